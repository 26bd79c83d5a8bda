/* Fixture probes build without vmlinux.h: uapi headers + libbpf's helpers. */
#ifndef FIXTURE_COMMON_H
#define FIXTURE_COMMON_H
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "solo_types.h"

typedef __u8 u8;
typedef __s8 s8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;

/* Only events from the test process: set with --set target_tgid=PID. */
const volatile u32 target_tgid = 0;

static __always_inline int from_target(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

char LICENSE[] SEC("license") = "GPL";
#endif
