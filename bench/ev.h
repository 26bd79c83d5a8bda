/* SPDX-License-Identifier: MIT */
/* The benchmark event: 6 fields, shared by the probe (bench/ev.bpf.c) and
 * the bare libbpf reader (bench/floor.c). */
#ifndef BENCH_EV_H
#define BENCH_EV_H
#include <linux/types.h>
#ifdef CGROUP
#include "solo_types.h"	/* cgroup_id: bench/enrich_cost.py's variant */
#endif

struct event {
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u32 pid;
	__u32 tid;
	__s32 fd;		/* the write(2) fd the generator passed: -1 .. -1024 */
	char comm[16];
	char path[64];		/* the buffer the generator passed (a path-like string) */
#ifdef CGROUP
	cgroup_id cgroup;	/* bpf_get_current_cgroup_id() */
#endif
};
#endif
