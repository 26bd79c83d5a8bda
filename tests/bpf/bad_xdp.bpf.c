// XDP needs an interface: ebpfctl must name the missing target.
#include "common.h"

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
