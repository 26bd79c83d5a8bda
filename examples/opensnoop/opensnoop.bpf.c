// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop: every file open (openat) with its result, one JSON line each,
 * and a Prometheus counter of opens per command name.
 *
 *   ebpfctl build opensnoop.bpf.c
 *   sudo ebpfctl run opensnoop.bpf.o
 *   sudo ebpfctl run --set target_comm=nginx --set failed_only=true opensnoop.bpf.o
 *
 * The file name pointer is saved on entry and read on return (the caller's
 * memory is still there), so each line carries the fd or the errno.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "solo_types.h"

/* --set target_comm=NAME: only this command (empty: all) */
const volatile char target_comm[16] = "";
/* --set failed_only=true: print only failed opens (the counter counts all) */
const volatile bool failed_only = false;

struct event {
	u32 pid;
	u32 uid;
	int fd;			/* the new descriptor, -1 on failure */
	errno_code error;	/* why it failed ("ENOENT"), 0 on success */
	int flags;		/* O_* flags as a number */
	char comm[16];
	char filename[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
	__type(value, struct event);
} events SEC(".maps.print");

struct comm_key {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct comm_key);
	__type(value, u64);
} opens SEC(".maps.counter");

struct args {
	const char *filename;
	int flags;
};

/* Private: thread id -> the arguments of the openat in progress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args);
} inflight SEC(".maps");

static __always_inline bool comm_allowed(const char *comm)
{
	if (!target_comm[0])
		return true;
	for (int i = 0; i < 16; i++) {
		if (comm[i] != target_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

SEC("tp/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct comm_key key = {};
	struct args args = {};
	u64 *n;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (!comm_allowed(key.comm))
		return 0;
	n = bpf_map_lookup_elem(&opens, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		u64 one = 1;

		if (bpf_map_update_elem(&opens, &key, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&opens, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}
	args.filename = (const char *)ctx->args[1];
	args.flags = (int)ctx->args[2];
	bpf_map_update_elem(&inflight, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct args *args;
	struct event *e;
	long ret = ctx->ret;

	args = bpf_map_lookup_elem(&inflight, &tid);
	if (!args)
		return 0;	/* entered before load, or filtered out */
	if (failed_only && ret >= 0)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;
	e->pid = id >> 32;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->fd = ret >= 0 ? ret : -1;
	e->error = ret < 0 ? -ret : 0;
	e->flags = args->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), args->filename) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
