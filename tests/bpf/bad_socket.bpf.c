// A socket filter has no target flag: ebpfctl must name the type.
#include "common.h"

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	return 0;
}
