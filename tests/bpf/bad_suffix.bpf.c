// A typo in the output kind must be an error, not a silently unexported map.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} hits SEC(".maps.countr");

SEC("raw_tp/sys_enter")
int count(void *ctx)
{
	u32 k = 0;
	u64 one = 1;

	bpf_map_update_elem(&hits, &k, &one, BPF_ANY);
	return 0;
}
