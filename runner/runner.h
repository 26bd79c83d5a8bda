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
	const char *name;
	const char *value;
};

struct runner_hist_buckets {
	const char *map;
	double *bounds;		/* strictly increasing */
	int n;
};

struct runner_opts {
	const char *object_path;
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
	/* Called once everything is attached, just before events are read: the
	 * CLI arms its --duration timer here (a signal is what ends a write
	 * blocked on a stalled reader). */
	void (*on_running)(void *ctx);
	void *on_running_ctx;
};

void runner_opts_init(struct runner_opts *opts);
/* Run until runner_stop(), opts->duration_ns, or a closed output.  0 or -errno. */
int runner_run(const struct runner_opts *opts, struct rerr *err);
/* Async-signal-safe: ask a running runner_run() to finish cleanly. */
void runner_stop(void);

/* Go duration syntax ("500ms", "1m30s", "1.5h"); a bare number is seconds.
 * Returns -EINVAL for malformed text, -ERANGE for zero, negative or overflow. */
int parse_duration(const char *s, uint64_t *ns);

#endif
