// Metrics from ring buffers and perf event arrays: counter, gauge and hist
// on both (DESIGN.md section 4, first row).  Every getppid() of the target
// process emits one event per map, numbered seq = 1, 2, 3, ... so the e2e
// test can compute every exact sample.
#include "common.h"

struct cnt_event {
	u32 kind;		/* seq % 3 */
	char tag[8];		/* "q\"\\\xff": quote, backslash, invalid UTF-8 */
	u64 __seq;		/* hidden: never a label */
};

struct gauge_event {
	u32 slot;		/* seq % 2 */
	s64 value;		/* 10 * seq - 25: goes negative */
};

struct hist_event {
	u32 op;			/* seq % 2 */
	u64 value;		/* seq */
};

struct dur_event {
	duration le;		/* bumblebee's value name; seq microseconds */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct cnt_event);
} rb_calls SEC(".maps.counter");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct gauge_event);
} rb_level SEC(".maps.gauge");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct hist_event);
} rb_lat SEC(".maps.hist");

/* bumblebee's name-prefix convention in a plain .maps section */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct dur_event);
} hist_rb_dur SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(value, struct cnt_event);
} pe_calls SEC(".maps.counter");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(value, struct gauge_event);
} pe_level SEC(".maps.gauge");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(value, struct hist_event);
} pe_lat SEC(".maps.hist");

/* How a probe reports its own ring buffer drops (spec/metrics.md): count
 * failed reservations in a one-element counter array. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} rb_drops SEC(".maps.counter");

u64 seq;

static __always_inline void dropped(void)
{
	u32 zero = 0;
	u64 *d = bpf_map_lookup_elem(&rb_drops, &zero);

	if (d)
		__sync_fetch_and_add(d, 1);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int emit(void *ctx)
{
	struct cnt_event c = {};
	struct gauge_event g = {};
	struct hist_event h = {};
	struct dur_event *d;
	u64 s;

	if (!from_target())
		return 0;
	s = __sync_fetch_and_add(&seq, 1) + 1;

	c.kind = s % 3;
	c.tag[0] = 'q';
	c.tag[1] = '"';
	c.tag[2] = '\\';
	c.tag[3] = (char)0xff;
	c.__seq = s;
	g.slot = s % 2;
	g.value = 10 * (s64)s - 25;
	h.op = s % 2;
	h.value = s;

	if (bpf_ringbuf_output(&rb_calls, &c, sizeof(c), 0))
		dropped();
	if (bpf_ringbuf_output(&rb_level, &g, sizeof(g), 0))
		dropped();
	if (bpf_ringbuf_output(&rb_lat, &h, sizeof(h), 0))
		dropped();
	d = bpf_ringbuf_reserve(&hist_rb_dur, sizeof(*d), 0);
	if (d) {
		d->le = s * 1000;
		bpf_ringbuf_submit(d, 0);
	} else {
		dropped();
	}
	bpf_perf_event_output(ctx, &pe_calls, BPF_F_CURRENT_CPU, &c, sizeof(c));
	bpf_perf_event_output(ctx, &pe_level, BPF_F_CURRENT_CPU, &g, sizeof(g));
	bpf_perf_event_output(ctx, &pe_lat, BPF_F_CURRENT_CPU, &h, sizeof(h));
	return 0;
}
