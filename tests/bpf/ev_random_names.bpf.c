// A flood of special-type values nobody can name: random cgroup ids, user ids and interface
// indexes on every syscall of the target, as events and as counter keys (100k series).  The
// names are looked up once each within a per-second budget (runner/names.c): the run must keep
// its --duration, its scrapes and its signals (a sorted-table insert per unknown cgroup id made
// it quadratic: minutes).
#include "common.h"

struct rnd_ev {
	cgroup_id cg;
	user_id uid;
	ifindex ifi;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
	__type(value, struct rnd_ev);
} rnd_events SEC(".maps.print");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 100000);
	__type(key, struct rnd_ev);
	__type(value, u64);
} rnd_keys SEC(".maps.counter");

SEC("raw_tp/sys_enter")
int on_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct rnd_ev e = {
		.cg = bpf_get_prandom_u32(),
		.uid = bpf_get_prandom_u32(),
		.ifi = bpf_get_prandom_u32(),
	};
	u64 one = 1;

	if (!target_tgid || !from_target())
		return 0;
	bpf_ringbuf_output(&rnd_events, &e, sizeof(e), 0);
	bpf_map_update_elem(&rnd_keys, &e, &one, BPF_ANY);
	return 0;
}
