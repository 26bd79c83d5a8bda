// SPDX-License-Identifier: MIT
/* The args fuzz target's object (fuzz/fuzz_args.c): one program of each kind
 * whose --attach PROG=TARGET has a shape to check (runner/targets.c), with
 * bare sections so the target comes from the command line. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PROG(sec, name)                 \
	SEC(sec) int name(void *ctx)    \
	{                               \
		return 0;               \
	}

PROG("uprobe", p_uprobe)
PROG("uretprobe", p_uretprobe)
PROG("usdt", p_usdt)
PROG("kprobe", p_kprobe)
PROG("kretprobe", p_kretprobe)
PROG("ksyscall", p_ksyscall)
PROG("raw_tp", p_raw_tp)
PROG("tp", p_tp)
PROG("xdp", p_xdp)
PROG("tc", p_tc)
PROG("tcx/ingress", p_tcx)
PROG("cgroup_skb/ingress", p_cgroup)
PROG("perf_event", p_perf)
PROG("action", p_action)
PROG("socket", p_socket)
PROG("syscall", p_syscall)

char LICENSE[] SEC("license") = "GPL";
