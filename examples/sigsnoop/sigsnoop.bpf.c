// SPDX-License-Identifier: GPL-2.0
/*
 * sigsnoop: every signal sent (kill, tgkill, the kernel's own SIGSEGV,
 * SIGCHLD, ...) with sender, target and result, one JSON line each; plus a
 * counter per signal.
 *
 *   ebpfctl build sigsnoop.bpf.c
 *   sudo ebpfctl run sigsnoop.bpf.o
 *   sudo ebpfctl run --set target_signal=9 sigsnoop.bpf.o     # SIGKILLs only
 *
 * Uses the signal/signal_generate tracepoint, which fires in the sender's
 * context for every generated signal, delivered or not.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "solo_types.h"

/* --set target_signal=N: only this signal (0: all) */
const volatile int target_signal = 0;

/* What the kernel did with it (include/trace/events/signal.h). */
enum signal_result {
	DELIVERED = 0, IGNORED, ALREADY_PENDING, OVERFLOW_FAIL, LOSE_INFO,
};

struct event {
	signal_num signal;	/* "SIGTERM" */
	enum signal_result result;
	u32 sender_pid;
	u32 target_pid;
	char sender_comm[16];
	char target_comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps.print");

struct signal_key {
	signal_num signal;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct signal_key);
	__type(value, u64);
} signals SEC(".maps.counter");

SEC("tp/signal/signal_generate")
int handle_signal(struct trace_event_raw_signal_generate *ctx)
{
	/* each field read once: see syscount.bpf.c */
	int sig = ctx->sig, result = ctx->result;
	u32 target = ctx->pid;
	struct signal_key key = { .signal = sig };
	struct event *e;
	u64 *n;

	if (target_signal && sig != target_signal)
		return 0;
	n = bpf_map_lookup_elem(&signals, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		u64 one = 1;

		if (bpf_map_update_elem(&signals, &key, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&signals, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->signal = sig;
	e->result = result;
	e->sender_pid = bpf_get_current_pid_tgid() >> 32;
	e->target_pid = target;
	bpf_get_current_comm(e->sender_comm, sizeof(e->sender_comm));
	bpf_probe_read_kernel_str(e->target_comm, sizeof(e->target_comm), ctx->comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
