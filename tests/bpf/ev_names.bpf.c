// The special types named from the running system (solo_types.h): ksym, syscall_nr,
// ifindex, cgroup_id, user_id and net_port, in an event and as counter labels, with
// values that have no name next to each.  Records getppid(2) and getpid(2) calls of the
// target (x86_64 numbers 110 and 39).
#include "common.h"

const volatile u64 addr = 0;		/* a kernel address: the test looks one up in kallsyms */
const volatile u32 ifidx = 0;		/* an interface index */
const volatile u16 port_be = 0;		/* a port, in network order */

struct name_event {
	ksym sym;
	syscall_nr nr;
	ifindex ifx;
	cgroup_id cg;
	user_id uid;
	net_port port;
	/* no names: below every symbol, no such interface, user, cgroup, syscall */
	ksym nosym;
	ifindex noif;
	user_id nouser;
	cgroup_id nocg;
	syscall_nr nonr;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct name_event);
} name_events SEC(".maps.print");

struct name_key {
	syscall_nr nr;
	cgroup_id cg;
	user_id uid;
	ifindex ifx;
	net_port port;
	ksym sym;
	user_id nouser;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct name_key);
	__type(value, u64);
} name_calls SEC(".maps.counter");

SEC("raw_tp/sys_enter")
int on_enter(struct bpf_raw_tracepoint_args *ctx)
{
	long id = (long)ctx->args[1];
	struct name_event *e;
	struct name_key k = {};
	u64 one = 1, *n;

	if (!target_tgid || !from_target() || (id != 110 && id != 39))
		return 0;
	k.nr = id;
	k.cg = bpf_get_current_cgroup_id();
	k.uid = (u32)bpf_get_current_uid_gid();
	k.ifx = ifidx;
	k.port = port_be;
	k.sym = addr;
	k.nouser = 4000000;
	n = bpf_map_lookup_elem(&name_calls, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&name_calls, &k, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&name_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->sym = addr;
	e->nr = id;
	e->ifx = ifidx;
	e->cg = k.cg;
	e->uid = k.uid;
	e->port = port_be;
	e->nosym = 1;
	e->noif = 32767;
	e->nouser = 4000000;
	e->nocg = 0xffffffffffULL;
	e->nonr = 100000;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
