// SPDX-License-Identifier: GPL-2.0
/*
 * runqlat: run-queue latency, the time a task waits between becoming
 * runnable (woken, or preempted while still runnable) and getting a CPU, as
 * a Prometheus histogram in microseconds per CPU.
 *
 *   ebpfctl build runqlat.bpf.c
 *   sudo ebpfctl run runqlat.bpf.o
 *   curl -s localhost:9091/metrics | grep runq_latency
 *
 * BTF-enabled tracepoints (tp_btf): the arguments are the kernel's own
 * task_struct pointers, read with CO-RE.  Needs kernel 5.5+.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define HIST_SLOTS	27	/* up to 2^27 us (134 s) */
#define TASK_RUNNING	0

/*
 * log2 histogram: slots[i] counts latencies in [2^i, 2^(i+1)-1] us (slot 0
 * also counts 0).  ebpfctl exports ebpf_solo_io_runq_latency_bucket with
 * le="2^(i+1)-1", _count, and _sum (from the sum member) in microseconds.
 */
struct hist {
	u32 slots[HIST_SLOTS];
	u64 sum;
};

struct cpu_key {
	u32 cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cpu_key);
	__type(value, struct hist);
} runq_latency SEC(".maps.hist");

/* Private: pid -> when it became runnable. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} queued_at SEC(".maps");

static struct hist zero_hist;

static __always_inline u32 log2_slot(u64 v)
{
	u32 slot = 0;

	if (v >> 32) { v >>= 32; slot += 32; }
	if (v >> 16) { v >>= 16; slot += 16; }
	if (v >> 8) { v >>= 8; slot += 8; }
	if (v >> 4) { v >>= 4; slot += 4; }
	if (v >> 2) { v >>= 2; slot += 2; }
	if (v >> 1)
		slot += 1;
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

/* Kernels before 5.14 call the field `state`: CO-RE picks the one this
 * kernel has when the program is loaded. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline void enqueue(struct task_struct *p)
{
	u32 pid = BPF_CORE_READ(p, pid);
	u64 now = bpf_ktime_get_ns();

	if (pid)	/* not the idle task */
		bpf_map_update_elem(&queued_at, &pid, &now, BPF_ANY);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpu_key key = { .cpu = bpf_get_smp_processor_id() };
	u32 pid = BPF_CORE_READ(next, pid);
	struct hist *h;
	u64 *ts, us;

	/* preempted while runnable: it queues again right away */
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev);

	ts = bpf_map_lookup_elem(&queued_at, &pid);
	if (!ts)
		return 0;
	us = (bpf_ktime_get_ns() - *ts) / 1000;
	bpf_map_delete_elem(&queued_at, &pid);

	h = bpf_map_lookup_elem(&runq_latency, &key);
	if (!h) {
		bpf_map_update_elem(&runq_latency, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&runq_latency, &key);
		if (!h)
			return 0;
	}
	__sync_fetch_and_add(&h->slots[log2_slot(us)], 1);
	__sync_fetch_and_add(&h->sum, us);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
