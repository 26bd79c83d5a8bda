// 64 programs, so that attaching them takes long enough for test_lifecycle.py
// to signal ebpfctl while some but not all are attached.  48 raw_tp/sys_enter
// programs (they attach in microseconds, detach at once) and 16 classic
// tracepoints, one on each of 16 rarely called syscalls both kernels have
// (about 0.5 ms each to attach through perf_event_open: the window the test
// aims at; 35 ms each to detach, an RCU grace period, which is why not all 64
// are classic; and at most 64 perf-event programs fit one tracepoint).  Each
// counts the target's calls (--set target_tgid) into its own slot; slot 0
// also prints one line per getppid(), so the test can count lines, close
// stdout and see the run notice.
#include "common.h"

#if defined(__TARGET_ARCH_arm64)
#define NR_GETPPID 173
#else
#define NR_GETPPID 110		/* x86_64 */
#endif

#define N_PROGS 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, N_PROGS);
	__type(key, u32);
	__type(value, u64);
} lc_runs SEC(".maps.counter");

struct lc_event {
	u32 pid;
	u32 prog;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct lc_event);
} lc_events SEC(".maps.print");

static __always_inline void bump(u32 k)
{
	u64 *v = bpf_map_lookup_elem(&lc_runs, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int count(struct bpf_raw_tracepoint_args *ctx, u32 k)
{
	/* args[1] of sys_enter is the syscall number */
	if (!target_tgid || !from_target() || ctx->args[1] != NR_GETPPID)
		return 0;
	bump(k);
	if (k == 0) {
		struct lc_event e = { bpf_get_current_pid_tgid() >> 32, k };

		bpf_ringbuf_output(&lc_events, &e, sizeof(e), 0);
	}
	return 0;
}

#define LC_RT(i, j)							\
SEC("raw_tp/sys_enter")							\
int lc_rt_##i##_##j(struct bpf_raw_tracepoint_args *ctx)		\
{									\
	return count(ctx, (i) * 4 + (j));				\
}

#define LC_TP(i, sc)							\
SEC("tracepoint/syscalls/sys_enter_" #sc)				\
int lc_tp_##sc(void *ctx)						\
{									\
	if (target_tgid && from_target())				\
		bump((i) * 4 + 3);					\
	return 0;							\
}

/* slots 4 * i .. 4 * i + 2: raw_tp; 4 * i + 3: the i-th classic tracepoint */
#define LC_4(i, sc) LC_RT(i, 0) LC_RT(i, 1) LC_RT(i, 2) LC_TP(i, sc)

LC_4(0, getpgid)
LC_4(1, getsid)
LC_4(2, getresuid)
LC_4(3, getresgid)
LC_4(4, getpriority)
LC_4(5, sched_getparam)
LC_4(6, sched_getscheduler)
LC_4(7, sched_rr_get_interval)
LC_4(8, getitimer)
LC_4(9, getrusage)
LC_4(10, times)
LC_4(11, sysinfo)
LC_4(12, newuname)
LC_4(13, umask)
LC_4(14, capget)
LC_4(15, personality)
