// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_protocols: packets and bytes received per interface and IP protocol
 * (IPv4 protocol, IPv6 next header after the extension headers), counted at
 * the XDP hook before the kernel allocates an skb.  Every packet is passed on.
 *
 *   ebpfctl build xdp_protocols.bpf.c
 *   sudo ebpfctl run --iface eth0 xdp_protocols.bpf.o
 *   sudo ebpfctl run --iface eth0 --iface eth1 --xdp-mode generic xdp_protocols.bpf.o
 *
 * Metrics: ebpf_solo_io_rx_packets_total and ebpf_solo_io_rx_bytes_total,
 * labelled {ifindex, proto}.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "solo_types.h"

/* Macros of the uapi headers, which vmlinux.h does not carry. */
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8

/*
 * IANA protocol numbers, named so that labels read proto="TCP".  A number
 * without a name here renders as the number (proto="132" would be SCTP if it
 * were not listed).  NOT_IP (256, outside the 8-bit protocol space) counts
 * frames that are neither IPv4 nor IPv6 (ARP, LLDP, ...).
 */
enum ip_proto {
	HOPOPTS = 0,	/* only when the IPv6 extension header chain is too long */
	ICMP = 1,
	IGMP = 2,
	IPIP = 4,
	TCP = 6,
	UDP = 17,
	IPV6 = 41,	/* IPv6 in IPv4 (6in4) or in IPv6 */
	ROUTING = 43,
	FRAGMENT = 44,
	GRE = 47,
	ESP = 50,
	AH = 51,
	ICMPV6 = 58,
	NO_NEXT_HEADER = 59,
	DSTOPTS = 60,
	SCTP = 132,
	UDPLITE = 136,
	MPLS = 137,
	NOT_IP = 256,
};

struct proto_key {
	u32 ifindex;		/* the receiving interface (ip link shows the number) */
	enum ip_proto proto;
};

struct traffic {
	u64 packets;
	u64 bytes;		/* frame length from the Ethernet header on */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct proto_key);
	__type(value, struct traffic);
} rx SEC(".maps.counter");

/* IPv6 extension headers walked before the protocol is taken. */
#define MAX_EXT_HEADERS 6

struct ext_hdr {
	u8 nexthdr;
	u8 hdrlen;
};

static __always_inline int ipv6_proto(void *p, void *end)
{
	struct ipv6hdr *ip6 = p;
	int nexthdr;

	if ((void *)(ip6 + 1) > end)
		return NOT_IP;
	nexthdr = ip6->nexthdr;
	p = ip6 + 1;
#pragma unroll
	for (int i = 0; i < MAX_EXT_HEADERS; i++) {
		struct ext_hdr *h = p;

		if (nexthdr != HOPOPTS && nexthdr != ROUTING && nexthdr != FRAGMENT &&
		    nexthdr != DSTOPTS)
			return nexthdr;
		if ((void *)(h + 1) > end)
			return nexthdr;
		/* the fragment header is 8 bytes; the others say (hdrlen + 1) * 8 */
		p += nexthdr == FRAGMENT ? 8 : (h->hdrlen + 1) * 8;
		nexthdr = h->nexthdr;
	}
	return nexthdr;
}

SEC("xdp")
int count_protocols(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct proto_key key = {};
	struct traffic *t;
	void *p;
	u16 type;

	key.ifindex = ctx->ingress_ifindex;
	key.proto = NOT_IP;
	if ((void *)(eth + 1) > end)
		goto count;
	type = eth->h_proto;
	p = eth + 1;
	/* up to two VLAN tags (802.1ad outer, 802.1Q inner) */
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vlan = p;

		if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vlan + 1) > end)
			goto count;
		type = vlan->h_vlan_encapsulated_proto;
		p = vlan + 1;
	}
	if (type == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = p;

		if ((void *)(ip + 1) <= end)
			key.proto = ip->protocol;
	} else if (type == bpf_htons(ETH_P_IPV6)) {
		key.proto = ipv6_proto(p, end);
	}

count:
	t = bpf_map_lookup_elem(&rx, &key);
	if (!t) {
		struct traffic first = { .packets = 1, .bytes = end - data };

		if (!bpf_map_update_elem(&rx, &key, &first, BPF_NOEXIST))
			return XDP_PASS;
		/* another CPU created the entry first: add to this CPU's slot */
		t = bpf_map_lookup_elem(&rx, &key);
		if (!t)
			return XDP_PASS;
	}
	/* per-CPU value: no other CPU writes it */
	t->packets++;
	t->bytes += end - data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
