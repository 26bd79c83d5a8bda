// A counter whose value is a string: "counter value must be an integer".
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, char[16]);
} names SEC(".maps.counter");

SEC("tracepoint/syscalls/sys_enter_getppid")
int tick(void *ctx)
{
	return 0;
}
