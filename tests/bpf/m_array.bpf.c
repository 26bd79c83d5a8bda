// Metrics from ARRAY and PERCPU_ARRAY maps: counter, gauge and hist
// (DESIGN.md section 4, second row).  Every getppid() of the target process
// is numbered seq = 1, 2, ...; counters and gauges use element seq % 3 of 8
// (elements 3..7 stay zero and are not exported), the hist one element.
#include "common.h"

struct gval {
	s64 last;
	u64 seen;
};

struct hval {
	u64 slots[8];
	u64 sum;
};

#define ARRAY_MAPS(T, p)							\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 8);						\
		__type(key, u32);						\
		__type(value, u64);						\
	} p##_calls SEC(".maps.counter");					\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 8);						\
		__type(key, u32);						\
		__type(value, struct gval);					\
	} p##_level SEC(".maps.gauge");						\
	struct {								\
		__uint(type, T);						\
		__uint(max_entries, 1);						\
		__type(key, u32);						\
		__type(value, struct hval);					\
	} p##_lat SEC(".maps.hist");

ARRAY_MAPS(BPF_MAP_TYPE_ARRAY, a)
ARRAY_MAPS(BPF_MAP_TYPE_PERCPU_ARRAY, pa)

u64 seq;

static __always_inline void update(void *calls, void *level, void *lat, u64 s)
{
	u32 k = s % 3, zero = 0;
	struct gval *g;
	struct hval *h;
	u64 *c;

	c = bpf_map_lookup_elem(calls, &k);
	if (c)
		__sync_fetch_and_add(c, 1);
	g = bpf_map_lookup_elem(level, &k);
	if (g) {
		g->last = s;
		g->seen++;
	}
	h = bpf_map_lookup_elem(lat, &zero);
	if (h) {
		u32 i = 0;

		for (int b = 1; b < 8; b++)
			if (s >= (1ULL << b))
				i = b;
		if (i < 8)
			h->slots[i]++;
		h->sum += s;
	}
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tick(void *ctx)
{
	u64 s;

	if (!from_target())
		return 0;
	s = __sync_fetch_and_add(&seq, 1) + 1;
	update(&a_calls, &a_level, &a_lat, s);
	update(&pa_calls, &pa_level, &pa_lat, s);
	return 0;
}
