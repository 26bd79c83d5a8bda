/* Exact loss accounting (include/ebpfctl_helpers.h), shared by ev_flood.bpf.c
 * (writes through the helpers) and ev_flood_plain.bpf.c (the same probe with
 * the plain kernel helpers).  Every getppid() of the target process tries to
 * write `burst` records into each of three maps: two 4 KiB ring buffers (one
 * written with ..._output, one with ..._reserve + submit: 170 records of 24
 * bytes fit, so one call with the default burst overflows both) and a perf
 * event array.  Every attempt is counted in `produced` first, so the e2e test
 * can check produced = delivered + lost, map by map, exactly. */
#include "common.h"
#ifndef FLOOD_PLAIN
#include "ebpfctl_helpers.h"
#define RB_OUTPUT(map, data, size, flags) ebpfctl_ringbuf_output(map, data, size, flags)
#define RB_RESERVE(map, size, flags) ebpfctl_ringbuf_reserve(map, size, flags)
#define PERF_OUTPUT(ctx, map, flags, data, size) ebpfctl_perf_output(ctx, map, flags, data, size)
#define LOSS_COUNTER(map) EBPFCTL_LOSS_COUNTER(map)
#else
#define RB_OUTPUT(map, data, size, flags) bpf_ringbuf_output(&(map), data, size, flags)
#define RB_RESERVE(map, size, flags) bpf_ringbuf_reserve(&(map), size, flags)
#define PERF_OUTPUT(ctx, map, flags, data, size) bpf_perf_event_output(ctx, &(map), flags, data, size)
#define LOSS_COUNTER(map) struct __flood_unused_##map
#endif

#define MAX_BURST 1024

struct flood_event {
	u64 seq;		/* the getppid() call: 1, 2, 3, ... */
	u32 map;		/* 0 flood, 1 flood_rsv, 2 flood_pe (the produced key) */
	u32 i;			/* 0 .. burst-1 within the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct flood_event);
} flood SEC(".maps.print");
LOSS_COUNTER(flood);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct flood_event);
} flood_rsv SEC(".maps.print");
LOSS_COUNTER(flood_rsv);

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(value, struct flood_event);
} flood_pe SEC(".maps.print");
LOSS_COUNTER(flood_pe);

/* records each map was asked to take: ebpf_solo_io_produced_total{key="0".."2"} */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, u32);
	__type(value, u64);
} produced SEC(".maps.counter");

const volatile u32 burst = 256;
u64 flood_seq;

SEC("tracepoint/syscalls/sys_enter_getppid")
int flood_emit(void *ctx)
{
	u32 k0 = 0, k1 = 1, k2 = 2;
	u64 *p0, *p1, *p2;
	struct flood_event e = {}, *r;

	if (!from_target())
		return 0;
	p0 = bpf_map_lookup_elem(&produced, &k0);
	p1 = bpf_map_lookup_elem(&produced, &k1);
	p2 = bpf_map_lookup_elem(&produced, &k2);
	if (!p0 || !p1 || !p2)
		return 0;
	e.seq = __sync_fetch_and_add(&flood_seq, 1) + 1;
	for (u32 i = 0; i < MAX_BURST; i++) {
		if (i >= burst)
			break;
		e.i = i;

		e.map = 0;
		__sync_fetch_and_add(p0, 1);
		RB_OUTPUT(flood, &e, sizeof(e), 0);

		e.map = 1;
		__sync_fetch_and_add(p1, 1);
		r = RB_RESERVE(flood_rsv, sizeof(*r), 0);
		if (r) {
			*r = e;
			bpf_ringbuf_submit(r, 0);
		}

		e.map = 2;
		__sync_fetch_and_add(p2, 1);
		PERF_OUTPUT(ctx, flood_pe, BPF_F_CURRENT_CPU, &e, sizeof(e));
	}
	return 0;
}
