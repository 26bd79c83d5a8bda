// SPDX-License-Identifier: GPL-2.0
/* ELF-rewrite fixture: map-in-map and prog-array initialisers spread over
 * suffixed sections, so clang emits .rel.maps.* sections whose r_offset and
 * target index the rewrite must adjust. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

/* Something before the inner maps, so their offsets in the merged section
 * differ from their offsets in their own section. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} pad_gauge SEC(".maps.gauge");

struct inner_map inner_a SEC(".maps.gauge");
struct inner_map inner_b SEC(".maps.gauge");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps.counter") = {
	.values = { &inner_a, &inner_b },
};

/* Plain .maps map-in-map pointing into a suffixed section. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer_plain SEC(".maps");

SEC("raw_tp/sys_enter")
int tail_a(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&inner_a, &zero);

	if (v)
		(*v)++;
	return 0;
}

SEC("raw_tp/sys_enter")
int tail_b(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&inner_b, &zero);

	if (v)
		(*v)++;
	return 0;
}

/* key_size, not __type(key): libbpf 1.1 passes a BTF key id for prog
 * arrays, the kernel refuses it and libbpf warns "Retrying without BTF". */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps.print") = {
	.values = { [1] = (void *)&tail_a, [3] = (void *)&tail_b },
};

SEC("raw_tp/sys_enter")
int entry(void *ctx)
{
	__u32 zero = 0;
	void *in = bpf_map_lookup_elem(&outer, &zero);

	if (in) {
		__u64 *v = bpf_map_lookup_elem(in, &zero);

		if (v)
			(*v)++;
	}
	in = bpf_map_lookup_elem(&outer_plain, &zero);
	bpf_tail_call(ctx, &jumps, 1);
	return 0;
}
