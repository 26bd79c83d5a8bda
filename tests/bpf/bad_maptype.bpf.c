// A map type that cannot be exported.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, u64);
} q SEC(".maps.print");

SEC("raw_tp/sys_enter")
int push(void *ctx)
{
	u64 v = 1;

	bpf_map_push_elem(&q, &v, 0);
	return 0;
}
