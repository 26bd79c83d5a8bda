// A prog array with initial values in .maps.print, so clang emits a
// .rel.maps.print section for tests/e2e/badelf.py to point at symbols that do
// not exist.  Unpatched it fails with the map kind error (a prog array cannot
// be printed), after libbpf has read the relocations.
#include "common.h"

SEC("raw_tp/sys_enter")
int bi_tail(void *ctx)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(u32));
	__array(values, int (void *));
} bi_jumps SEC(".maps.print") = {
	.values = { [1] = (void *)&bi_tail },
};

SEC("raw_tp/sys_enter")
int bi_entry(void *ctx)
{
	bpf_tail_call(ctx, &bi_jumps, 1);
	return 0;
}
