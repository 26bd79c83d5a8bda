// Family order follows declaration order even when the maps' sections
// interleave (a counter, a gauge, then another counter), and when the program
// uses them in another order (clang emits maps in order of first use).
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} first_calls SEC(".maps.counter");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} second_level SEC(".maps.gauge");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} third_calls SEC(".maps.counter");

SEC("raw_tp/sys_enter")
int order(void *ctx)
{
	u32 k = 0;
	u64 *c = bpf_map_lookup_elem(&third_calls, &k);
	u64 *b = bpf_map_lookup_elem(&second_level, &k);
	u64 *a = bpf_map_lookup_elem(&first_calls, &k);

	if (!from_target() || !a || !b || !c)
		return 0;
	__sync_fetch_and_add(a, 1);
	*b = 7;
	__sync_fetch_and_add(c, 1);
	return 0;
}
