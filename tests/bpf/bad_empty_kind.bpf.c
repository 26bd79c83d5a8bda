// SEC(".maps.") has an empty output kind: an error, not a plain .maps map.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} blank SEC(".maps.");

SEC("raw_tp/sys_enter")
int blank_count(void *ctx)
{
	u32 k = 0;
	u64 one = 1;

	bpf_map_update_elem(&blank, &k, &one, BPF_ANY);
	return 0;
}
