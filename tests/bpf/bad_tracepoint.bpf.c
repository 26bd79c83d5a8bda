// Attaches to a tracepoint that does not exist.
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_no_such_call")
int nowhere(void *ctx)
{
	return 0;
}
