// SPDX-License-Identifier: GPL-2.0
/*
 * profile: a sampling CPU profiler.  On every online CPU, a software CPU
 * clock event fires --sample-freq times a second (default 49); each sample
 * counts the running task's kernel and user stacks.  ebpfctl symbolizes the
 * stack ids (kernel frames from /proc/kallsyms, user frames from the
 * process's binaries) and --folded writes what flame graph tools read.
 *
 *   ebpfctl build profile.bpf.c
 *   sudo ebpfctl run --sample-freq 99 --folded out.folded --duration 10s profile.bpf.o
 *   flamegraph.pl out.folded > out.svg
 *
 * Metrics: ebpf_solo_io_samples_total{pid, comm, kstack, ustack}.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "solo_types.h"

/* --set target_pid=N: only this process (0: all) */
const volatile u32 target_pid = 0;
/* --set include_idle=true: also count the idle task (pid 0) */
const volatile bool include_idle = false;

#define PERF_MAX_STACK_DEPTH 127	/* the kernel's default, sysctl kernel.perf_event_max_stack */

/* Private: stack id -> frames (instruction pointers).  Not exported. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(u64));
} stacks SEC(".maps");

/*
 * stack_id (solo_types.h): a bpf_get_stackid() result, rendered as the
 * stack's symbolized frames; negative when there is no such stack (no user
 * stack in a kernel thread, no kernel stack for a sample taken in user
 * mode).  User frames are resolved for the process in `pid`.
 */
struct sample_key {
	u32 pid;
	char comm[16];
	stack_id kstack;
	stack_id ustack;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sample_key);
	__type(value, u64);
} samples SEC(".maps.counter");

SEC("perf_event")
int profile_cpu(struct bpf_perf_event_data *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct sample_key key;
	u32 pid = id >> 32;
	u64 *n;

	if (!pid && !include_idle)
		return 0;
	if (target_pid && pid != target_pid)
		return 0;

	__builtin_memset(&key, 0, sizeof(key));	/* padding is part of the key */
	key.pid = pid;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.kstack = bpf_get_stackid(ctx, &stacks, 0);
	key.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);

	n = bpf_map_lookup_elem(&samples, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		u64 one = 1;

		if (bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&samples, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
