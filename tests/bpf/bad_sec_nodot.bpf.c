// SEC(".mapsprint"): a '.maps' section name without the dot, an error that names the section as written.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} typo SEC(".mapsprint");

SEC("raw_tp/sys_enter")
int typo_count(void *ctx)
{
	u32 k = 0;
	u64 one = 1;

	bpf_map_update_elem(&typo, &k, &one, BPF_ANY);
	return 0;
}
