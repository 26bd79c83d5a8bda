/* SPDX-License-Identifier: MIT */
/* ebpfctl doctor: what this machine lets ebpfctl do.  Each check looks at
 * what the kernel shows (files under /proc and /sys, /proc/mounts) and, where
 * only trying tells, makes a trial load that is closed again at once, so
 * nothing stays loaded or mounted.  No printing: the CLI formats the report. */
#ifndef EBPFCTL_DOCTOR_H
#define EBPFCTL_DOCTOR_H

#include <stddef.h>

/* WARN: a feature is missing but ebpfctl runs (e.g. no kprobes: tracepoints
 * still work).  FAIL: ebpfctl cannot run probes here (no bpf() permission,
 * no kernel BTF). */
enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_check {
	char name[32];			/* "kernel", "btf", "fentry/fexit", ... */
	enum doctor_status status;
	char detail[512];		/* what was found, one line */
	char hint[512];			/* what to do about it; "" if nothing known */
};

#define DOCTOR_MAX_CHECKS 32

struct doctor_report {
	size_t n;
	struct doctor_check checks[DOCTOR_MAX_CHECKS];
};

/* Run every check in the order DESIGN.md section 8 lists them: kernel, btf,
 * bpf, capabilities, unprivileged_bpf_disabled, tracefs, bpffs, cgroup2,
 * kprobes, fentry/fexit, bpf_lsm, ringbuf, bpf_stats, memlock, clang,
 * llvm-strip, bpftool.  Tools are looked up on $PATH.  0 or -errno. */
int doctor_run(struct doctor_report *rep);
/* Whether fentry programs load and attach on this kernel (a trial on
 * bpf_fentry_test1, or a load on vfs_read), for hints that would suggest
 * them.  Needs the kernel's BTF and bpf(); false when either is missing. */
bool doctor_fentry_usable(void);

/* "ok", "warn" or "fail". */
const char *doctor_status_name(enum doctor_status status);

/* The worst status in the report (DOCTOR_OK for an empty one). */
enum doctor_status doctor_worst(const struct doctor_report *rep);

#endif
