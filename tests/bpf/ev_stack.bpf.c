// stack_id members of an event: kernel and user stacks of getpgid(2) calls by the target
// (x86_64 syscall number).
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

struct stack_event {
	u32 pid;
	stack_id kstack;
	stack_id ustack;
	stack_id none;		/* always an error: [] */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct stack_event);
} stack_events SEC(".maps.print");

/* the same stacks as a counter: labels */
struct stack_key {
	u32 pid;
	char comm[16];
	stack_id kstack;
	stack_id ustack;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct stack_key);
	__type(value, u64);
} stack_calls SEC(".maps.counter");

/* raw_tp, not tp/syscalls/sys_enter_getpgid: before 6.x-something a syscall
 * tracepoint hands bpf_get_stackid() the user registers, so its kernel stack
 * is empty (seen on 6.1); a raw tracepoint records the kernel's own. */
SEC("raw_tp/sys_enter")
int on_getpgid(struct bpf_raw_tracepoint_args *ctx)
{
	struct stack_event *e;
	struct stack_key k = {};
	u64 one = 1, *n;

	/* args[1] is the syscall number; 121 = getpgid on x86_64 */
	if (!from_target() || ctx->args[1] != 121)
		return 0;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.kstack = bpf_get_stackid(ctx, &stacks, 0);
	k.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	n = bpf_map_lookup_elem(&stack_calls, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&stack_calls, &k, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&stack_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = k.pid;
	e->kstack = k.kstack;
	e->ustack = k.ustack;
	e->none = -14;	/* -EFAULT, as bpf_get_stackid() returns for no stack */
	bpf_ringbuf_submit(e, 0);
	return 0;
}
