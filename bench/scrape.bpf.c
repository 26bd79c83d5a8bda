// SPDX-License-Identifier: MIT
// Scrape benchmark probe: a 100,000-entry hash counter with a struct key,
// filled by the probe itself (bpf_loop) on one getppid() of the target.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N_ENTRIES 100000

const volatile __u32 target_tgid = 0;

struct skey {
	__u32 pid;
	__u32 cpu;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct skey);
	__type(value, __u64);
} syscalls SEC(".maps.counter");

static long fill(__u32 i, void *ctx)
{
	struct skey k = { .pid = 100000 + i, .cpu = i & 1 };
	__u64 v = (__u64)i * 7 + 1;

	__builtin_memcpy(k.comm, "worker-", 8);
	k.comm[7] = 'a' + (i % 26);
	bpf_map_update_elem(&syscalls, &k, &v, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int fill_all(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	bpf_loop(N_ENTRIES, fill, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
