// USDT: ebpfctl_test:tick in build/tests/usdt_target (tests/usdt/usdt_target.c), with
// both of its arguments.  USDT_TARGET is the target's absolute path (Makefile).
#include "at_event.h"
#include <stdbool.h>
#include <bpf/usdt.bpf.h>

#ifndef USDT_TARGET
#error "build with -DUSDT_TARGET=\"/path/to/usdt_target\""
#endif

SEC("usdt/" USDT_TARGET ":ebpfctl_test:tick")
int BPF_USDT(at_usdt, long n, long n1000)
{
	at_emit("usdt", n, n1000);
	return 0;
}
