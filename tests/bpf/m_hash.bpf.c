// Metrics from hash maps: counter, gauge and hist on HASH, LRU_HASH,
// PERCPU_HASH and LRU_PERCPU_HASH (DESIGN.md section 4, second row).  Every
// getppid() of the target process is numbered seq = 1, 2, ...; the map
// entry is keyed by seq % 12, but the labels only see `kind` (seq % 2): the
// tag bytes after the NUL and the hidden __pid differ, so entries merge.
// getpgid() deletes every entry of hs_calls (vanished series, then a reset).
#include "common.h"

struct key {
	u32 kind;		/* seq % 2: the only label besides tag */
	char tag[8];		/* "k", NUL, then seq % 4 */
	u32 __pid;		/* seq % 3 */
};

struct gval {
	s64 last;		/* seq of the last update of this entry */
	u64 seen;		/* updates of this entry */
};

struct hval {
	u32 slots[8];		/* slot i: seq in [2^i, 2^(i+1)-1], 0 also in slot 0 */
	u64 sum;
};

#define METRIC_MAPS(T, p)							\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 1024);					\
		__type(key, struct key);					\
		__type(value, u64);						\
	} p##_calls SEC(".maps.counter");					\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 1024);					\
		__type(key, struct key);					\
		__type(value, struct gval);					\
	} p##_level SEC(".maps.gauge");						\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 1024);					\
		__type(key, struct key);					\
		__type(value, struct hval);					\
	} p##_lat SEC(".maps.hist");

METRIC_MAPS(BPF_MAP_TYPE_HASH, hs)

/* a duration sum: the slots are log2 of nanoseconds, shown in seconds */
struct dval {
	u32 slots[8];
	duration sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key);
	__type(value, struct dval);
} hs_dur_seconds SEC(".maps.hist");
METRIC_MAPS(BPF_MAP_TYPE_LRU_HASH, lru)
METRIC_MAPS(BPF_MAP_TYPE_PERCPU_HASH, pch)
METRIC_MAPS(BPF_MAP_TYPE_LRU_PERCPU_HASH, lpch)

u64 seq;

static __always_inline u32 slot_of(u64 v)
{
	u32 s = 0;

	for (int i = 1; i < 8; i++)
		if (v >= (1ULL << i))
			s = i;
	return s;
}

static __always_inline void *get(void *map, struct key *k, struct hval *zero)
{
	void *v = bpf_map_lookup_elem(map, k);

	if (v)
		return v;
	bpf_map_update_elem(map, k, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, k);
}

static __always_inline void update(void *calls, void *level, void *lat, struct key *k, u64 s)
{
	struct hval zero = {};
	struct gval *g;
	struct hval *h;
	u64 *c;

	c = get(calls, k, &zero);
	if (c)
		__sync_fetch_and_add(c, 1);
	g = get(level, k, &zero);
	if (g) {
		g->last = s;
		g->seen++;
	}
	h = get(lat, k, &zero);
	if (h) {
		u32 i = slot_of(s);

		if (i < 8)
			h->slots[i]++;
		h->sum += s;
	}
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tick(void *ctx)
{
	struct key k = {};
	u64 s;

	if (!from_target())
		return 0;
	s = __sync_fetch_and_add(&seq, 1) + 1;
	k.kind = s % 2;
	k.tag[0] = 'k';
	k.tag[2] = s % 4;
	k.__pid = s % 3;
	update(&hs_calls, &hs_level, &hs_lat, &k, s);
	{
		struct dval zero = {}, *d = get(&hs_dur_seconds, &k, (struct hval *)&zero);
		u32 i = slot_of(s);

		if (d) {
			if (i < 8)
				d->slots[i]++;
			d->sum += s;	/* s nanoseconds */
		}
	}
	update(&lru_calls, &lru_level, &lru_lat, &k, s);
	update(&pch_calls, &pch_level, &pch_lat, &k, s);
	update(&lpch_calls, &lpch_level, &lpch_lat, &k, s);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wipe(void *ctx)
{
	if (!from_target())
		return 0;
	for (u32 r = 0; r < 12; r++) {
		struct key k = {};

		k.kind = r % 2;
		k.tag[0] = 'k';
		k.tag[2] = r % 4;
		k.__pid = r % 3;
		bpf_map_delete_elem(&hs_calls, &k);
	}
	return 0;
}
