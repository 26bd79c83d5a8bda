// SPDX-License-Identifier: GPL-2.0
/*
 * syscount: system calls counted per syscall number in a per-CPU hash (no
 * contention between CPUs; ebpfctl sums the CPUs), and failed calls counted
 * per syscall and errno.
 *
 *   ebpfctl build syscount.bpf.c
 *   sudo ebpfctl run syscount.bpf.o
 *   sudo ebpfctl run --set target_pid=1234 syscount.bpf.o      # one process
 *
 * Syscall numbers are per architecture: `ausyscall --dump` (auditd) or
 * /usr/include/x86_64-linux-gnu/asm/unistd_64.h name them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "solo_types.h"

/* --set target_pid=N: only this process (0: all) */
const volatile u32 target_pid = 0;

struct syscall_key {
	int syscall_nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct syscall_key);
	__type(value, u64);
} syscalls SEC(".maps.counter");

struct error_key {
	int syscall_nr;
	errno_code error;	/* label "ENOENT", "EAGAIN", ... */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct error_key);
	__type(value, u64);
} syscall_errors SEC(".maps.counter");

static __always_inline bool pid_allowed(void)
{
	return !target_pid || (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline void count(void *map, const void *key)
{
	u64 *n = bpf_map_lookup_elem(map, key);

	if (n) {
		/* per-CPU value: no other CPU writes it */
		(*n)++;
	} else {
		u64 one = 1;

		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	}
}

/* raw tracepoint: cheaper than tp/raw_syscalls/sys_enter, needs no tracefs */
SEC("raw_tp/sys_enter")
int BPF_PROG(count_enter, struct pt_regs *regs, long id)
{
	struct syscall_key key = { .syscall_nr = (int)id };

	if (pid_allowed())
		count(&syscalls, &key);
	return 0;
}

/* the classic tracepoint carries the syscall number on exit too */
SEC("tp/raw_syscalls/sys_exit")
int count_errors(struct trace_event_raw_sys_exit *ctx)
{
	/* read each field once: clang may otherwise address ctx through a
	 * moved pointer, which the verifier rejects */
	long ret = ctx->ret, id = ctx->id;
	struct error_key key;

	if (ret >= 0 || ret < -4095 || !pid_allowed())
		return 0;
	key.syscall_nr = (int)id;
	key.error = (int)-ret;
	count(&syscall_errors, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
