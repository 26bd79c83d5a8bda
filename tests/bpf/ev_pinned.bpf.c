// A map the probe pins itself (LIBBPF_PIN_BY_NAME): ebpfctl honours it, and a
// second run reuses the pinned map, so the counter carries on.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ebpfctl_test_pin SEC(".maps.counter");

SEC("tp_btf/sys_enter")
int pinned_count(u64 *ctx)
{
	u32 k = 0;
	u64 *v;

	if (!target_tgid || !from_target())
		return 0;
	v = bpf_map_lookup_elem(&ebpfctl_test_pin, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
