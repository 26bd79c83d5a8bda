// Loss counters declared by hand: ebpfctl takes any 8-byte global named
// __ebpfctl_lost_<map> in a data section (here .bss) for exported ring buffer
// or perf event array <map>, and warns about, then ignores, the others.
#include "common.h"

struct decl_event {
	u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct decl_event);
} hand SEC(".maps.print");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct decl_event);
} narrow SEC(".maps.print");

u64 __ebpfctl_lost_hand;		/* counted by hand: 3 per call */
u32 __ebpfctl_lost_narrow;		/* not 8 bytes: warned about, ignored */
u64 __ebpfctl_lost_ghost SEC(".data");	/* no map 'ghost': warned about, ignored */
u64 decl_seq;

SEC("tracepoint/syscalls/sys_enter_getppid")
int decl_emit(void *ctx)
{
	struct decl_event e = {};

	if (!from_target())
		return 0;
	e.seq = __sync_fetch_and_add(&decl_seq, 1) + 1;
	__sync_fetch_and_add(&__ebpfctl_lost_hand, 3);
	__sync_fetch_and_add(&__ebpfctl_lost_narrow, 1);
	__sync_fetch_and_add(&__ebpfctl_lost_ghost, 1);
	bpf_ringbuf_output(&hand, &e, sizeof(e), 0);
	bpf_ringbuf_output(&narrow, &e, sizeof(e), 0);
	return 0;
}
