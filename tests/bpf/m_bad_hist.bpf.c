// A hash hist whose value holds no slots array.
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} lat SEC(".maps.hist");

SEC("tracepoint/syscalls/sys_enter_getppid")
int tick(void *ctx)
{
	return 0;
}
