// The verifier rejects this: a map value dereferenced without a NULL check.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps.counter");

SEC("raw_tp/sys_enter")
int unchecked(void *ctx)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&counts, &k);

	*v += 1;
	return 0;
}
