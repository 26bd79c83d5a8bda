// SPDX-License-Identifier: GPL-2.0
/*
 * exitsnoop: every process exit with its exit code or killing signal and how
 * long the process lived; plus a counter of exits per code and signal.
 *
 *   ebpfctl build exitsnoop.bpf.c
 *   sudo ebpfctl run exitsnoop.bpf.o
 *   sudo ebpfctl run --set failed_only=true exitsnoop.bpf.o   # non-zero or signalled
 *
 * Fires on sched_process_exit for the last thread of a process, so a process
 * that exits from a worker thread is still reported once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "solo_types.h"

/* --set failed_only=true: only exits with a non-zero code or a signal */
const volatile bool failed_only = false;

struct event {
	u32 pid;
	u32 ppid;
	u32 uid;
	int exit_code;		/* exit(N) status, 0-255 */
	signal_num signal;	/* "SIGKILL" when killed by a signal, else 0 */
	bool core_dumped;
	ktime started;		/* wall-clock start time */
	duration lifetime;	/* "1.5s" */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps.print");

/* Labels: exit code and signal; bounded (256 x 64), unlike pid or comm. */
struct exit_key {
	int exit_code;
	signal_num signal;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct exit_key);
	__type(value, u64);
} exits SEC(".maps.counter");

SEC("tp/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_key key;
	struct event *e;
	int code;
	u64 *n;

	/* the whole process is gone only when its last thread exits */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	code = BPF_CORE_READ(task, signal, group_exit_code);
	if (!code)
		code = BPF_CORE_READ(task, exit_code);
	key.exit_code = (code >> 8) & 0xff;
	key.signal = code & 0x7f;
	if (failed_only && !key.exit_code && !key.signal)
		return 0;

	n = bpf_map_lookup_elem(&exits, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		u64 one = 1;

		/* a racing first insert on another CPU wins; count again then */
		if (bpf_map_update_elem(&exits, &key, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&exits, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = BPF_CORE_READ(task, tgid);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	e->exit_code = key.exit_code;
	e->signal = key.signal;
	e->core_dumped = code & 0x80;
	e->started = BPF_CORE_READ(task, start_time);
	e->lifetime = bpf_ktime_get_ns() - e->started;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
