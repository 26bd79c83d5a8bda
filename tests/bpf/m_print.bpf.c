// Hash/array `print` maps polled every --interval (DESIGN.md section 4,
// second row, print column).  getppid() of the target process upserts key
// {id 1, "one"} in every map (count = number of calls); getpgid() deletes it
// from the hash maps and zeroes it in the arrays.
#include "common.h"

struct pkey {
	u32 id;
	char name[8];
};

struct pval {
	u64 count;
	s32 delta;		/* -count */
};

struct sval {
	char who[4];		/* not numeric: per-CPU values are listed */
};

#define HASH_PRINT(T, n)							\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 64);					\
		__type(key, struct pkey);					\
		__type(value, struct pval);					\
	} n SEC(".maps.print");

#define ARRAY_PRINT(T, n)							\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 4);						\
		__type(key, u32);						\
		__type(value, struct pval);					\
	} n SEC(".maps.print");

HASH_PRINT(BPF_MAP_TYPE_HASH, p_hash)
HASH_PRINT(BPF_MAP_TYPE_LRU_HASH, p_lru)
HASH_PRINT(BPF_MAP_TYPE_PERCPU_HASH, p_pch)
HASH_PRINT(BPF_MAP_TYPE_LRU_PERCPU_HASH, p_lpch)
ARRAY_PRINT(BPF_MAP_TYPE_ARRAY, p_arr)
ARRAY_PRINT(BPF_MAP_TYPE_PERCPU_ARRAY, p_parr)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct sval);
} p_pcstr SEC(".maps.print");

static __always_inline void upsert(void *map, void *key)
{
	struct pval zero = {}, *v;

	v = bpf_map_lookup_elem(map, key);
	if (!v) {
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(map, key);
	}
	if (v) {
		v->count++;
		v->delta = -(s32)v->count;
	}
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int put(void *ctx)
{
	struct pkey k = { .id = 1, .name = "one" };
	struct sval s = { .who = "me" };
	u32 idx = 1;

	if (!from_target())
		return 0;
	upsert(&p_hash, &k);
	upsert(&p_lru, &k);
	upsert(&p_pch, &k);
	upsert(&p_lpch, &k);
	upsert(&p_arr, &idx);
	upsert(&p_parr, &idx);
	bpf_map_update_elem(&p_pcstr, &idx, &s, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int del(void *ctx)
{
	struct pkey k = { .id = 1, .name = "one" };
	struct pval zero = {};
	u32 idx = 1;

	if (!from_target())
		return 0;
	bpf_map_delete_elem(&p_hash, &k);
	bpf_map_delete_elem(&p_lru, &k);
	bpf_map_delete_elem(&p_pch, &k);
	bpf_map_delete_elem(&p_lpch, &k);
	bpf_map_update_elem(&p_arr, &idx, &zero, BPF_ANY);
	bpf_map_update_elem(&p_parr, &idx, &zero, BPF_ANY);
	bpf_map_delete_elem(&p_pcstr, &idx);
	return 0;
}
