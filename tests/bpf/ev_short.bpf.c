// A record shorter than the map's value type: reported once, never over-read.
#include "common.h"

struct big {
	u64 a;
	u64 b;
	char name[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct big);
} shorty SEC(".maps.print");

SEC("tp_btf/sys_enter")
int short_emit(u64 *ctx)
{
	u64 v = 42;

	if (!from_target())
		return 0;
	bpf_ringbuf_output(&shorty, &v, sizeof(v), 0);
	return 0;
}
