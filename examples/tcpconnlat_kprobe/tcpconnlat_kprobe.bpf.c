// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconnlat_kprobe: TCP connect latency — from connect() sending the SYN to
 * the handshake's answer (SYN-ACK, or RST for a refused port) — one JSON line
 * per connection, and a Prometheus histogram per address family.  Written with
 * kprobes, as bumblebee's and bcc's tcpconnlat are (see tcpconnlat_fentry for
 * the same probe on BPF trampolines).
 *
 *   ebpfctl build tcpconnlat_kprobe.bpf.c
 *   sudo ebpfctl run tcpconnlat_kprobe.bpf.o
 *   sudo ebpfctl run --set target_pid=1234 tcpconnlat_kprobe.bpf.o   # one process
 *
 * Needs a kernel with kprobes (CONFIG_KPROBES) and IPv6 built in or loaded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "solo_types.h"

/* Names instead of numbers in the output. */
enum addr_family { AF_INET = 2, AF_INET6 = 10 };
#define TCP_SYN_SENT 2

/* --set target_pid=N: only connections made by this process (0: all) */
const volatile u32 target_pid = 0;

struct event {
	enum addr_family family;
	ipv4_addr saddr_v4;	/* AF_INET; 0.0.0.0 otherwise */
	ipv4_addr daddr_v4;
	ipv6_addr saddr_v6;	/* AF_INET6; :: otherwise */
	ipv6_addr daddr_v6;
	u16 sport;
	u16 dport;
	duration latency;
	u32 pid;		/* the process that called connect() */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
	__type(value, struct event);
} connects SEC(".maps.print");

/* The histogram: `value` is observed, in seconds since it is a duration. */
struct lat_event {
	enum addr_family family;
	duration value;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct lat_event);
} tcp_connect_latency_seconds SEC(".maps.hist");

/* Private: connecting socket -> who connected, when.  LRU, so connections
 * that never get an answer (timeouts) cannot fill it. */
struct start {
	u64 ts;
	u32 pid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sock *);
	__type(value, struct start);
} start SEC(".maps");

static __always_inline int trace_connect(struct sock *sk)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct start s = {};

	if (target_pid && pid != target_pid)
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.pid = pid;
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	bpf_map_update_elem(&start, &sk, &s, BPF_ANY);
	return 0;
}

/* Runs for every segment a socket receives: only the first one in SYN_SENT
 * of a socket we saw connect matters. */
static __always_inline int trace_answer(struct sock *sk)
{
	struct lat_event *h;
	struct start *s;
	struct event *e;
	u64 now;

	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	s = bpf_map_lookup_elem(&start, &sk);
	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	e = bpf_ringbuf_reserve(&connects, sizeof(*e), 0);
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (e->family == AF_INET) {
			e->saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			e->daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		} else {
			BPF_CORE_READ_INTO(&e->saddr_v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
			BPF_CORE_READ_INTO(&e->daddr_v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
		}
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		e->latency = now - s->ts;
		e->pid = s->pid;
		__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	h = bpf_ringbuf_reserve(&tcp_connect_latency_seconds, sizeof(*h), 0);
	if (h) {
		h->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		h->value = now - s->ts;
		bpf_ringbuf_submit(h, 0);
	}
	bpf_map_delete_elem(&start, &sk);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcp_v4_connect, struct sock *sk)
{
	return trace_connect(sk);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tcp_v6_connect, struct sock *sk)
{
	return trace_connect(sk);
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(tcp_rcv_state_process, struct sock *sk)
{
	return trace_answer(sk);
}

char LICENSE[] SEC("license") = "GPL";
