/* SPDX-License-Identifier: MIT */
#ifndef EBPFCTL_ATTACH_H
#define EBPFCTL_ATTACH_H

#include <stdbool.h>

struct bpf_program;

enum attach_how {
	ATTACH_AUTO,		/* libbpf attaches it from the section name */
	ATTACH_NEEDS_TARGET,	/* a target libbpf cannot infer (xdp, bare uprobe...) */
	ATTACH_NONE,		/* never attached: run by other means (syscall) */
};

/* How a target given on the command line (or a default one) attaches it:
 * targets.c.  TGT_LIBBPF: only libbpf's own auto-attach. */
enum attach_tgt {
	TGT_LIBBPF,
	TGT_XDP,		/* --iface, --xdp-mode */
	TGT_TC,			/* --iface: tcx link or clsact filter */
	TGT_CGROUP,		/* --cgroup, default the cgroup v2 root */
	TGT_PERF,		/* every online CPU at --sample-freq */
	TGT_UPROBE,		/* PATH:FUNC[+OFF] */
	TGT_USDT,		/* PATH:PROVIDER:NAME */
	TGT_KPROBE,		/* FUNC[+OFF] */
	TGT_KSYSCALL,		/* syscall name */
	TGT_BTF,		/* fentry/fexit/fmod_ret/lsm/tp_btf: set before load */
	TGT_RAW_TP,		/* tracepoint name */
	TGT_TRACEPOINT,		/* CATEGORY/NAME */
	TGT_NOFLAG,		/* no flag gives this type a target: an error */
};

struct attach_info {
	enum attach_how how;
	const char *kind;	/* "tracepoint", "uprobe", ... for messages */
	const char *target;	/* the part after the first '/', "" if none */
	const char *missing;	/* for ATTACH_NEEDS_TARGET: what is missing */
	bool tracefs;		/* attach reads tracefs (classic tracepoints) */
	bool iter;
	enum attach_tgt tgt;
	bool retprobe;		/* uretprobe, kretprobe, kretsyscall */
	bool egress;		/* tc/egress, tcx/egress (tc, classifier: ingress) */
};

/* Classify a program by its ELF section name (libbpf 1.1's section_defs,
 * plus tc/ingress, tc/egress, tcx/ingress, tcx/egress which 1.1 lacks). */
void attach_classify(const char *sec, struct attach_info *ai);
/* Section names libbpf 1.1 does not know but the runner loads as
 * BPF_PROG_TYPE_SCHED_CLS (tc/..., tcx/...). */
bool attach_sec_is_new_tc(const char *sec);

#endif
