// An exported ring buffer with no value type: nothing to decode events with.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} untyped SEC(".maps.print");

SEC("raw_tp/sys_enter")
int emit(void *ctx)
{
	bpf_ringbuf_output(&untyped, &ctx, sizeof(ctx), 0);
	return 0;
}
