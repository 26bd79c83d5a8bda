// A perf event array print map, plus a raw_tp program (no tracefs needed).
#include "common.h"

struct pevent {
	u32 pid;
	u32 seq;
	char tag[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(value, struct pevent);
} pevents SEC(".maps.print");

u32 seq = 0;

SEC("raw_tp/sys_enter")
int perf_emit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pevent e = {};

	/* args[1] is the syscall number; 110 = getppid on x86_64 */
	if (!from_target() || ctx->args[1] != 110)
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.seq = seq++;
	__builtin_memcpy(e.tag, "perf", 5);
	bpf_perf_event_output(ctx, &pevents, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
