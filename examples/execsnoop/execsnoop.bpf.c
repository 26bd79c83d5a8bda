// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop: every exec() with its arguments and result, one JSON line each.
 *
 *   ebpfctl build execsnoop.bpf.c
 *   sudo ebpfctl run execsnoop.bpf.o
 *   sudo ebpfctl run --set failed_only=true execsnoop.bpf.o     # only failed execs
 *
 * The arguments are read when execve() is entered (the caller's memory is
 * gone once it succeeds) and the event is sent when it returns, with the new
 * program's name and the result.  CO-RE: runs on any kernel with BTF and the
 * syscalls tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "solo_types.h"

#define MAX_ARGS	20	/* arguments read per exec */
#define ARG_SIZE	128	/* bytes read per argument */
#define ARGS_BUF	1024	/* all arguments, space separated (a power of 2) */

/* --set failed_only=true: only execs that failed */
const volatile bool failed_only = false;

struct event {
	u32 pid;
	u32 ppid;
	u32 uid;
	u32 argc;		/* arguments captured (at most MAX_ARGS) */
	errno_code error;	/* why exec failed ("ENOENT"), 0 on success */
	char comm[16];		/* the new program's name (the caller's on failure) */
	char args[ARGS_BUF];	/* "ls -l /tmp", truncated when longer */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
	__type(value, struct event);
} events SEC(".maps.print");

/* Private: the event being assembled, per process, from entry to return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct event);
} pending SEC(".maps");

/* Private: scratch space (an event is too big for the 512-byte BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} scratch SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	const char *const *argv = (const char *const *)ctx->args[1];
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32, zero = 0, off = 0;
	struct task_struct *task;
	struct event *e;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	e->argc = 0;
	e->error = 0;
	e->args[0] = '\0';
	for (int i = 0; i < MAX_ARGS; i++) {
		const char *arg = NULL;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (off > ARGS_BUF - ARG_SIZE)
			break;	/* no room left: the rest is cut */
		n = bpf_probe_read_user_str(&e->args[off], ARG_SIZE, arg);
		if (n <= 0)
			break;
		e->argc++;
		off += n;
		/* the argument's NUL becomes the separator */
		e->args[(off - 1) & (ARGS_BUF - 1)] = ' ';
	}
	if (off)
		e->args[(off - 1) & (ARGS_BUF - 1)] = '\0';
	/* keyed by the process: a successful exec from a thread makes that
	 * thread the leader, so its thread id changes but the pid does not */
	bpf_map_update_elem(&pending, &pid, e, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *stored, *e;

	stored = bpf_map_lookup_elem(&pending, &pid);
	if (!stored)
		return 0;
	if (failed_only && ctx->ret >= 0)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;	/* ring buffer full: dropped */
	bpf_probe_read_kernel(e, sizeof(*e), stored);
	e->error = (int)ctx->ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&pending, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
