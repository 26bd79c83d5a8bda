// A typo in a map's section name: SEC(".maps..print") (the kind after '.maps.' is
// '.print') by default, SEC(".mapsprint") (no dot: not a map section) when built as
// bad_sec_nodot (Makefile).  Both are errors that name the section as written.
#include "common.h"

#ifndef TYPO_SEC
#define TYPO_SEC ".maps..print"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} typo SEC(TYPO_SEC);

SEC("raw_tp/sys_enter")
int typo_count(void *ctx)
{
	u32 k = 0;
	u64 one = 1;

	bpf_map_update_elem(&typo, &k, &one, BPF_ANY);
	return 0;
}
