// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconns: a Prometheus gauge of established TCP connections per address
 * family and direction (outbound = this host connected, inbound = accepted).
 *
 *   ebpfctl build tcpconns.bpf.c
 *   sudo ebpfctl run tcpconns.bpf.o
 *   curl -s localhost:9091/metrics | grep tcp_active_connections
 *
 * Counts the connections established while the probe runs: one that was
 * already open when ebpfctl started is not seen until it closes, and is then
 * ignored (the gauge never goes below what it counted).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "solo_types.h"

enum addr_family { AF_INET = 2, AF_INET6 = 10 };
enum direction { OUTBOUND = 1, INBOUND = 2 };
#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2

/* --set target_port=N: only connections with this local or remote port */
const volatile u16 target_port = 0;

struct conn_key {
	enum addr_family family;
	enum direction direction;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct conn_key);
	__type(value, s64);
} tcp_active_connections SEC(".maps.gauge");

/* Private: socket address -> the series it is counted in. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct conn_key);
} counted SEC(".maps");

static __always_inline void gauge_add(const struct conn_key *key, s64 delta)
{
	s64 *v = bpf_map_lookup_elem(&tcp_active_connections, key);

	if (!v) {
		s64 zero = 0;

		bpf_map_update_elem(&tcp_active_connections, key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&tcp_active_connections, key);
		if (!v)
			return;
	}
	__sync_fetch_and_add(v, delta);
}

SEC("tp/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	u64 sk = (u64)ctx->skaddr;
	struct conn_key key, *prev;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (target_port && ctx->sport != target_port && ctx->dport != target_port)
		return 0;

	if (ctx->newstate == TCP_ESTABLISHED) {
		key.family = ctx->family;
		key.direction = ctx->oldstate == TCP_SYN_SENT ? OUTBOUND : INBOUND;
		if (bpf_map_update_elem(&counted, &sk, &key, BPF_NOEXIST) == 0)
			gauge_add(&key, 1);
		return 0;
	}
	if (ctx->oldstate != TCP_ESTABLISHED)
		return 0;
	/* leaving ESTABLISHED (FIN_WAIT1, CLOSE_WAIT, CLOSE on reset) */
	prev = bpf_map_lookup_elem(&counted, &sk);
	if (!prev)
		return 0;
	gauge_add(prev, -1);
	bpf_map_delete_elem(&counted, &sk);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
