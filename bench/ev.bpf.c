// SPDX-License-Identifier: MIT
// Benchmark probe: one 6-field event per write(2) of the load generator
// (filtered by its tgid, --set target_tgid=PID), into a 4 MiB ring buffer.
// Built twice: as is for ebpfctl (ring buffer with a value type in
// .maps.print, drops counted in .maps.counter), and with -DFLOOR for the bare
// libbpf reader (bench/floor.c), whose ring buffer has no value type.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ev.h"

const volatile __u32 target_tgid = 0;
/* events per write(2), 1..16 (--set burst=N): offers more events per second
 * than one syscall per event can, to find where consumers start losing */
const volatile __u32 burst = 1;

#ifdef FLOOR
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rb_drops SEC(".maps");
#else
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__type(value, struct event);
} events SEC(".maps.print");
/* ring buffer drops, as spec/metrics.md suggests: ebpf_solo_io_rb_drops_total */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rb_drops SEC(".maps.counter");
#endif

/* /sys/kernel/tracing/events/syscalls/sys_enter_write/format */
struct sys_enter_write_ctx {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
	const char *buf;
	__u64 count;
};

static __always_inline void emit(struct sys_enter_write_ctx *ctx, __u64 id)
{
	struct event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&rb_drops, &zero);

		if (d)
			__sync_fetch_and_add(d, 1);
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->fd = (__s32)ctx->fd;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), ctx->buf);
#ifdef CGROUP
	e->cgroup = bpf_get_current_cgroup_id();
#endif
	bpf_ringbuf_submit(e, 0);
}

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(struct sys_enter_write_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if ((id >> 32) != target_tgid || (__s32)ctx->fd >= 0)
		return 0;
	for (__u32 i = 0; i < 16; i++) {
		if (i >= burst)
			break;
		emit(ctx, id);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
