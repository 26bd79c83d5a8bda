// Names that fail Prometheus lint (each gets one `warning:` at start) and
// bumblebee's name-prefix convention (the prefix leaves the metric name).
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} lat_ms SEC(".maps.gauge");			/* abbreviated unit */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} open_counter SEC(".maps.counter");		/* type in the name */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} counter_conv_hits SEC(".maps");		/* -> ebpf_solo_io_conv_hits_total */

SEC("tracepoint/syscalls/sys_enter_getppid")
int tick(void *ctx)
{
	u32 zero = 0;
	u64 one = 1, *v;

	if (!from_target())
		return 0;
	v = bpf_map_lookup_elem(&counter_conv_hits, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&lat_ms, &zero, &one, BPF_ANY);
	bpf_map_update_elem(&open_counter, &zero, &one, BPF_ANY);
	return 0;
}
