/* SPDX-License-Identifier: MIT */
/* The generic runner: open -> rewrite -> configure -> load -> attach -> export.
 * No argv, no exit(), no printing: errors come back in struct rerr, messages
 * through the rlog sink, JSON lines on opts->out_fd. */
#ifndef EBPFCTL_RUNNER_H
#define EBPFCTL_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include "rerr.h"

struct runner_set {
	const char *object;	/* --set OBJECT:VAR=VALUE; NULL: every object declaring VAR */
	const char *name;
	const char *value;
};

/* --attach PROG=TARGET */
struct runner_attach {
	const char *prog;
	const char *target;
};

enum runner_xdp_mode {
	RUNNER_XDP_AUTO,
	RUNNER_XDP_NATIVE,
	RUNNER_XDP_GENERIC,
};

enum runner_mode {
	RUNNER_RUN,		/* load, attach, stream until stopped */
	RUNNER_CHECK,		/* everything before streaming, then report and detach */
	RUNNER_CHECK_LOAD_ONLY,	/* as RUNNER_CHECK, without attaching */
};

struct runner_hist_buckets {
	const char *map;
	double *bounds;		/* strictly increasing */
	int n;
};

struct runner_opts {
	const char *const *objects;	/* object files, in command-line order */
	int n_objects;
	/* each object's "object" name; NULL (or a NULL or "" entry): the file
	 * name without .bpf.o (an OCI artifact's blob has none worth showing) */
	const char *const *object_names;
	/* what messages and check reports call each object (an OCI reference
	 * whose file is a store blob); NULL or a NULL entry: its path */
	const char *const *object_shown;
	const char *metrics_addr;	/* NULL: no /metrics endpoint */
	const struct runner_set *sets;
	int n_sets;
	uint64_t interval_ns;		/* map print polling and iter reads */
	uint64_t duration_ns;		/* 0: until signalled */
	const char *metrics_ns;
	const struct runner_hist_buckets *hist_buckets;
	int n_hist_buckets;
	unsigned int max_series;	/* label sets per event map (default 10000) */
	unsigned int table_max_series;	/* per hash/array map; 0: none (--max-series given: N) */
	int verbose;
	int out_fd;
	/* attach targets (DESIGN.md section 8) */
	const char *const *ifaces;	/* --iface, for xdp and tc programs */
	int n_ifaces;
	enum runner_xdp_mode xdp_mode;
	const char *cgroup;		/* NULL: the cgroup v2 root */
	int pid;			/* 0: all processes */
	unsigned int sample_freq;	/* perf_event programs, Hz (default 49) */
	const struct runner_attach *attach;
	int n_attach;
	bool bpf_stats;			/* enable the kernel's BPF run-time stats for the run */
	bool enrich;			/* --enrich: container context of cgroup_id members */
	/* tests only (the CLI reads EBPFCTL_TEST_ATTACH_PAUSE_US): pause this
	 * long after each program's attach, so a test can act while a run is
	 * part way through attaching many programs */
	unsigned int attach_pause_us;
	const char *folded_path;	/* --folded FILE */
	enum runner_mode mode;
	/* RUNNER_CHECK*: one report line at a time (without newline) */
	void (*on_check_line)(void *ctx, const char *line);
	void *on_check_ctx;
	/* Called once everything is attached, just before events are read: the
	 * CLI arms its --duration timer here (a signal is what ends a write
	 * blocked on a stalled reader). */
	void (*on_running)(void *ctx);
	void *on_running_ctx;
	/* Called once when the event loop has ended, before detaching (the CLI
	 * tells systemd STOPPING=1 here). */
	void (*on_stopping)(void *ctx);
	void *on_stopping_ctx;
	/* A socket already listening for /metrics (systemd socket activation),
	 * used instead of binding metrics_addr; -1: none. */
	int metrics_fd;
	/* Where the host's / is mounted (a container): kernel BTF, kallsyms,
	 * /proc and cgroup paths are read under it.  NULL: "/". */
	const char *host_root;
	/* --btf FILE: the kernel BTF CO-RE relocates against (a kernel without
	 * /sys/kernel/btf/vmlinux); NULL: the running kernel's (under host_root) */
	const char *btf_path;
	/* --capabilities-keep: NULL or "auto" (what the rest of the run needs),
	 * "none", or a list; applied once everything is attached */
	const char *caps_keep;
	/* --web-config FILE: TLS, basic auth and headers for every endpoint */
	const char *web_config;
};

void runner_opts_init(struct runner_opts *opts);
/* Run until runner_stop(), opts->duration_ns, or a closed output (or, in a
 * check mode, until everything is loaded and attached).  0 or -errno. */
int runner_run(const struct runner_opts *opts, struct rerr *err);
/* Async-signal-safe: ask a running runner_run() to finish cleanly. */
void runner_stop(void);

/* Go duration syntax ("500ms", "1m30s", "1.5h"); a bare number is seconds.
 * Returns -EINVAL for malformed text, -ERANGE for zero, negative or overflow. */
int parse_duration(const char *s, uint64_t *ns);

#endif
