// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_sock: bytes and packets sent and received per cgroup, from
 * cgroup_skb programs on a cgroup v2 directory (--cgroup PATH; default the
 * cgroup v2 root, i.e. every socket on the machine).  Every packet is let
 * through.
 *
 *   ebpfctl build cgroup_sock.bpf.c
 *   sudo ebpfctl run cgroup_sock.bpf.o
 *   sudo ebpfctl run --cgroup /sys/fs/cgroup/system.slice cgroup_sock.bpf.o
 *
 * Metrics: ebpf_solo_io_cgroup_traffic_bytes_total and
 * ebpf_solo_io_cgroup_traffic_packets_total, labelled {cgroup_id, direction}.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "solo_types.h"

enum direction { EGRESS = 1, INGRESS = 2 };

struct cgroup_key {
	/*
	 * The cgroup v2 id of the socket's cgroup: the inode number of its
	 * directory (`stat -c %i /sys/fs/cgroup/system.slice`).
	 */
	u64 cgroup_id;
	enum direction direction;
};

struct traffic {
	u64 bytes;		/* skb->len: from the IP header on */
	u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct cgroup_key);
	__type(value, struct traffic);
} cgroup_traffic SEC(".maps.counter");

static __always_inline void count(struct __sk_buff *skb, enum direction dir)
{
	/*
	 * The cgroup of the socket the packet belongs to, not of the task
	 * that happens to run: received packets are mostly processed in
	 * softirq context, on behalf of no particular task.  (Also: 6.1
	 * does not allow bpf_get_current_cgroup_id() in cgroup_skb programs.)
	 */
	struct cgroup_key key;
	struct traffic *t;

	/* the padding after direction too: a verifier without CAP_PERFMON
	 * refuses to read uninitialised stack (6.1) */
	__builtin_memset(&key, 0, sizeof(key));
	key.cgroup_id = bpf_skb_cgroup_id(skb);
	key.direction = dir;
	t = bpf_map_lookup_elem(&cgroup_traffic, &key);

	if (!t) {
		struct traffic first = { .bytes = skb->len, .packets = 1 };

		if (!bpf_map_update_elem(&cgroup_traffic, &key, &first, BPF_NOEXIST))
			return;
		/* another CPU created the entry first */
		t = bpf_map_lookup_elem(&cgroup_traffic, &key);
		if (!t)
			return;
	}
	__sync_fetch_and_add(&t->bytes, skb->len);
	__sync_fetch_and_add(&t->packets, 1);
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	count(skb, EGRESS);
	return 1;	/* 1: let the packet through */
}

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	count(skb, INGRESS);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
