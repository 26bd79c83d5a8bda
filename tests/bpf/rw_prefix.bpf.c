// SPDX-License-Identifier: GPL-2.0
/* ELF-rewrite fixture: bumblebee >= 0.0.15 naming (kind as a name prefix in
 * plain .maps) mixed with one prefixed name inside a suffixed section. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct event_t {
	__u32 pid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct event_t);
} print_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counter_hits SEC(".maps");

/* Prefix says counter, section says gauge: the section suffix wins. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter_level SEC(".maps.gauge");

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct event_t *e;
	__u64 one = 1, *v;

	e = bpf_ringbuf_reserve(&print_events, sizeof(*e), 0);
	if (e) {
		e->pid = pid;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	v = bpf_map_lookup_elem(&counter_hits, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counter_hits, &pid, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&counter_level, &zero);
	if (v)
		*v = pid;
	return 0;
}
