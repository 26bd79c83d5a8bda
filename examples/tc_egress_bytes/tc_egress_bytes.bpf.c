// SPDX-License-Identifier: GPL-2.0
/*
 * tc_egress_bytes: bytes and packets sent per destination IPv4 address, on
 * the tc egress hook of the interfaces given with --iface (a tcx link where
 * the kernel has tcx, 6.6+; else a filter on a clsact qdisc).  Every packet
 * goes on unchanged.
 *
 *   ebpfctl build tc_egress_bytes.bpf.c
 *   sudo ebpfctl run --iface eth0 tc_egress_bytes.bpf.o
 *
 * Metrics: ebpf_solo_io_egress_bytes_total and ebpf_solo_io_egress_packets_total,
 * labelled {daddr} ("192.0.2.2").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "solo_types.h"

/* Macros of the uapi headers, which vmlinux.h does not carry. */
#define ETH_P_IP	0x0800
#ifndef TC_ACT_OK
#define TC_ACT_OK	0	/* let the packet continue */
#endif

struct dest_key {
	ipv4_addr daddr;	/* network order, as in the IP header: label "192.0.2.2" */
};

struct traffic {
	u64 bytes;		/* skb->len: the whole frame, headers included */
	u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct dest_key);
	__type(value, struct traffic);
} egress SEC(".maps.counter");

/*
 * "tc/egress" is the name newer libbpf (1.3+) gives a tcx egress program;
 * ebpfctl sets the program type itself (libbpf 1.1 does not know the name)
 * and attaches it as a tcx link, or as a clsact egress filter before 6.6.
 */
SEC("tc/egress")
int tc_egress(struct __sk_buff *skb)
{
	struct dest_key key = {};
	struct traffic *t;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	/*
	 * Relative to the network header: right for Ethernet and for L3
	 * devices (tun, wireguard) alike, and whatever the linear part holds.
	 */
	if (bpf_skb_load_bytes_relative(skb, offsetof(struct iphdr, daddr), &key.daddr,
					sizeof(key.daddr), BPF_HDR_START_NET))
		return TC_ACT_OK;

	t = bpf_map_lookup_elem(&egress, &key);
	if (!t) {
		struct traffic first = { .bytes = skb->len, .packets = 1 };

		if (!bpf_map_update_elem(&egress, &key, &first, BPF_NOEXIST))
			return TC_ACT_OK;
		/* another CPU created the entry first */
		t = bpf_map_lookup_elem(&egress, &key);
		if (!t)
			return TC_ACT_OK;
	}
	__sync_fetch_and_add(&t->bytes, skb->len);
	__sync_fetch_and_add(&t->packets, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
