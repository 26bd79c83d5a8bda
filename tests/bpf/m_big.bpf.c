// A 100k-entry hash counter for the scrape-time check: one getppid() of the
// target process fills it with bpf_loop (id i, shard i % 16, value i).
#include "common.h"

#define N_ENTRIES 100000

struct bkey {
	u32 id;
	u32 shard;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct bkey);
	__type(value, u64);
} big SEC(".maps.counter");

static long fill(u32 i, void *ctx)
{
	struct bkey k = { .id = i, .shard = i % 16 };
	u64 v = i;

	bpf_map_update_elem(&big, &k, &v, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int fill_all(void *ctx)
{
	if (!from_target())
		return 0;
	bpf_loop(N_ENTRIES, fill, NULL, 0);
	return 0;
}
