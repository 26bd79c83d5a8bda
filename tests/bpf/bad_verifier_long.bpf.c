// The verifier rejects this as bad_verifier.bpf.c does, but only after some
// 300 instructions: its log is longer than 4 KiB before the reason (libbpf
// hands the whole log over as one message, which ebpfctl used to cut at
// 4 KiB, and the error then said only "Permission denied").
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} long_counts SEC(".maps.counter");

SEC("raw_tp/sys_enter")
int unchecked_late(void *ctx)
{
	volatile u64 acc = 0;
	u32 k = 0;
	u64 *v;

#pragma clang loop unroll(full)
	for (int i = 0; i < 100; i++)
		acc += i * 3;
	v = bpf_map_lookup_elem(&long_counts, &k);
	*v += acc;
	return 0;
}

