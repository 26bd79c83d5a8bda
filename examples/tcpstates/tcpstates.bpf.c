// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstates: every TCP state change, IPv4 and IPv6, with how long the socket
 * spent in the state it left; plus counters of connections opened, per
 * address family and direction (outbound connect, inbound accept).
 *
 *   ebpfctl build tcpstates.bpf.c
 *   sudo ebpfctl run tcpstates.bpf.o
 *   sudo ebpfctl run --set target_port=443 tcpstates.bpf.o    # one port only
 *
 * Uses the sock/inet_sock_set_state tracepoint (kernel 4.16+), which gives
 * ports and addresses of both families without reading struct sock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "solo_types.h"

/* Names instead of numbers in the output. */
enum addr_family { AF_INET = 2, AF_INET6 = 10 };
enum tcp_state {
	ESTABLISHED = 1, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,
	CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV, BOUND_INACTIVE,
};
enum direction { OUTBOUND = 1, INBOUND = 2 };

/* --set target_port=N: only sockets with this local or remote port (0: all) */
const volatile u16 target_port = 0;

struct event {
	enum addr_family family;
	enum tcp_state oldstate;
	enum tcp_state newstate;
	u16 sport;
	u16 dport;
	ipv4_addr saddr_v4;	/* AF_INET; 0.0.0.0 otherwise */
	ipv4_addr daddr_v4;
	ipv6_addr saddr_v6;	/* AF_INET6; :: otherwise */
	ipv6_addr daddr_v6;
	duration in_oldstate;	/* time spent in oldstate; 0s if not seen entering it */
	u32 pid;		/* the task running at the change: for changes driven by
				 * incoming packets often not the socket's owner */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
	__type(value, struct event);
} events SEC(".maps.print");

struct open_key {
	enum addr_family family;
	enum direction direction;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct open_key);
	__type(value, u64);
} tcp_opens SEC(".maps.counter");

/* Private: socket address -> when it entered its current state. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, u64);
} since SEC(".maps");

static __always_inline void count_open(enum addr_family family, enum direction dir)
{
	struct open_key key = { .family = family, .direction = dir };
	u64 *n = bpf_map_lookup_elem(&tcp_opens, &key);

	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		u64 one = 1;

		if (bpf_map_update_elem(&tcp_opens, &key, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&tcp_opens, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}
}

SEC("tp/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	u64 sk = (u64)ctx->skaddr;
	u64 now = bpf_ktime_get_ns();
	struct event *e;
	u64 *ts;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (target_port && ctx->sport != target_port && ctx->dport != target_port)
		return 0;

	if (ctx->newstate == ESTABLISHED)
		count_open(ctx->family, ctx->oldstate == SYN_SENT ? OUTBOUND : INBOUND);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		e->family = ctx->family;
		e->oldstate = ctx->oldstate;
		e->newstate = ctx->newstate;
		e->sport = ctx->sport;
		e->dport = ctx->dport;
		/* the verifier forbids copying from a moved context pointer */
		if (ctx->family == AF_INET) {
			bpf_probe_read_kernel(&e->saddr_v4, 4, ctx->saddr);
			bpf_probe_read_kernel(&e->daddr_v4, 4, ctx->daddr);
		} else {
			bpf_probe_read_kernel(&e->saddr_v6, 16, ctx->saddr_v6);
			bpf_probe_read_kernel(&e->daddr_v6, 16, ctx->daddr_v6);
		}
		ts = bpf_map_lookup_elem(&since, &sk);
		if (ts)
			e->in_oldstate = now - *ts;
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}

	if (ctx->newstate == CLOSE)
		bpf_map_delete_elem(&since, &sk);
	else
		bpf_map_update_elem(&since, &sk, &now, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
