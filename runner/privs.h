/* SPDX-License-Identifier: MIT */
/* Least privilege after attach (DESIGN.md section 11): once every program
 * is loaded and attached, ebpfctl keeps only the capabilities the rest of
 * the run uses and drops the others from its effective, permitted,
 * inheritable, ambient and bounding sets (libcap), so a bug in the
 * exporter, the HTTP server or a decoder cannot use them. */
#ifndef EBPFCTL_PRIVS_H
#define EBPFCTL_PRIVS_H

#include <stdbool.h>
#include "rerr.h"

/* What the rest of a run needs, decided by the runner. */
struct privs_need {
	bool net_admin;		/* clsact filters to remove at exit */
	bool sys_admin;		/* tracefs to unmount at exit */
	bool sys_ptrace;	/* /proc/PID/maps of other users' processes (user stack frames) */
	bool syslog;		/* kallsyms addresses (kptr_restrict=1), when read again */
	bool dac_override;	/* --folded: replace a file in any directory */
	bool dac_read_search;	/* --web-config: re-read a file only its owner may read */
};

/* keep: NULL or "auto" = what need says; "none"; or a comma-separated list
 * of names (cap_bpf, CAP_BPF, bpf) kept whatever need says.  Checks the
 * list's names: a usage error names a bad one. */
int privs_check_keep(const char *keep, struct rerr *err);
/* Drop everything else; 0 or -errno.  Without CAP_SETPCAP the bounding set
 * is left as it is (only an unprivileged run lacks it, and it has nothing
 * to drop there). */
int privs_drop(const char *keep, const struct privs_need *need, struct rerr *err);
/* Whether this process has what bpf() asks of a tracing loader: CAP_SYS_ADMIN,
 * or CAP_BPF and CAP_PERFMON, effective (a refusal is then someone else's). */
bool privs_bpf_capable(void);

#endif
