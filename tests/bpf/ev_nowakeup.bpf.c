// Records submitted with BPF_RB_NO_WAKEUP: no epoll wakeup ever comes for them, so
// ebpfctl must read the ring when it is quiet and once more when it stops.
#include "common.h"

struct nw_event {
	u64 seq;
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct nw_event);
} nw_events SEC(".maps.print");

u64 nw_seq;

SEC("tp/syscalls/sys_enter_getppid")
int nw_emit(void *ctx)
{
	struct nw_event e = {};

	if (!from_target())
		return 0;
	e.seq = __sync_fetch_and_add(&nw_seq, 1);
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_output(&nw_events, &e, sizeof(e), BPF_RB_NO_WAKEUP);
	return 0;
}
