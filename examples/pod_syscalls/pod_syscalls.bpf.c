// SPDX-License-Identifier: GPL-2.0
/*
 * pod_syscalls: system calls per cgroup and syscall; with --enrich, per pod
 * and container.
 *
 *   ebpfctl build pod_syscalls.bpf.c
 *   sudo ebpfctl run --enrich pod_syscalls.bpf.o
 *   sudo ebpfctl run --enrich --set only_cgroup=ID pod_syscalls.bpf.o   # one cgroup
 *
 * One raw tracepoint on sys_enter counts every system call by the caller's
 * cgroup v2 id and the call's number; ebpfctl names both (cgroup_id as the
 * cgroup's path, syscall_nr as the call's name) and, with --enrich, adds the
 * container's id and name and the pod's name and namespace as labels, read
 * from the cgroup path and the container runtime's files on the node.
 * Every exec is also printed as a JSON line, with the same context.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "solo_types.h"

/* --set only_cgroup=ID: only processes directly in this cgroup (its directory's
 * inode number, `stat -c %i DIR`); 0: every cgroup */
const volatile u64 only_cgroup = 0;

struct syscall_key {
	cgroup_id cgroup;
	syscall_nr syscall;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct syscall_key);
	__type(value, u64);
} cgroup_syscalls SEC(".maps.counter");

struct exec_event {
	u32 pid;
	user_id uid;
	cgroup_id cgroup;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
	__type(value, struct exec_event);
} execs SEC(".maps.print");

SEC("raw_tp/sys_enter")
int count_syscall(struct bpf_raw_tracepoint_args *ctx)
{
	struct syscall_key k = {
		.cgroup = bpf_get_current_cgroup_id(),
		.syscall = (long)ctx->args[1],
	};
	u64 one = 1, *n;

	if (only_cgroup && k.cgroup != only_cgroup)
		return 0;
	n = bpf_map_lookup_elem(&cgroup_syscalls, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&cgroup_syscalls, &k, &one, BPF_NOEXIST);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct exec_event *e;
	u64 cg = bpf_get_current_cgroup_id();

	if (only_cgroup && cg != only_cgroup)
		return 0;
	e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->cgroup = cg;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
