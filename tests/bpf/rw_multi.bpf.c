// SPDX-License-Identifier: GPL-2.0
/* ELF-rewrite fixture: one object using plain .maps and every suffixed
 * section kind at once, with programs that reference each map (so program
 * relocations against every merged section must be retargeted). */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_pid = 0;
__u64 seen = 0;

struct event_t {
	__u32 pid;
	__u32 tgid;
	char comm[16];
	__u64 ts;
};

struct key_t {
	__u32 pid;
	char comm[16];
};

struct hist_t {
	__u32 slots[26];
	__u64 sum;
};

/* Plain .maps: loaded and used, never exported. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct event_t);
} events SEC(".maps.print");

/* A second map in the same suffixed section. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct key_t);
} events2 SEC(".maps.print");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key_t);
	__type(value, __u64);
} hits SEC(".maps.counter");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} level SEC(".maps.gauge");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist_t);
} lat SEC(".maps.hist");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	while (v > 1 && r < 25) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct key_t key = {};
	struct event_t *e;
	__u64 one = 1, *v;
	__u32 zero = 0;

	if (target_pid && (id >> 32) != target_pid)
		return 0;
	seen++;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = id;
		e->tgid = id >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		e->ts = bpf_ktime_get_ns();
		bpf_ringbuf_submit(e, 0);
	}

	key.pid = id >> 32;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	bpf_ringbuf_output(&events2, &key, sizeof(key), 0);
	v = bpf_map_lookup_elem(&hits, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&hits, &key, &one, BPF_NOEXIST);

	bpf_map_update_elem(&scratch, &zero, &id, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_sys_enter(void *ctx)
{
	__u64 now = bpf_ktime_get_ns(), *start;
	__u32 zero = 0, slot;
	struct hist_t *h;
	__s64 *g;

	g = bpf_map_lookup_elem(&level, &zero);
	if (g)
		*g = (__s64)(now & 0xffff);

	start = bpf_map_lookup_elem(&scratch, &zero);
	h = bpf_map_lookup_elem(&lat, &zero);
	if (!h || !start)
		return 0;
	slot = log2_u64(now - *start);
	if (slot < 26)
		h->slots[slot]++;
	h->sum += now - *start;
	return 0;
}
