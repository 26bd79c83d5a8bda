/* SPDX-License-Identifier: MIT */
/* Prometheus side of the runner: turns exported maps into metric families
 * (DESIGN.md section 4, spec/metrics.md) and polls hash/array `print` maps.
 *
 * Threads: metrics_event()/metrics_events_*() come from the event thread,
 * metrics_render() from the HTTP thread, metrics_print_poll() from the
 * runner's loop; they may run concurrently.  metrics_new/add_map/finish/free
 * are single-threaded setup and teardown.  Every function accepts m == NULL
 * and then does nothing. */
#ifndef EBPFCTL_METRICS_H
#define EBPFCTL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "rerr.h"
#include "runner.h"
#include "strbuf.h"

#define METRICS_DEFAULT_NS "ebpf_solo_io"
#define METRICS_DEFAULT_MAX_SERIES 10000

struct metrics;

struct metrics_opts {
	const char *ns;			/* metric namespace; NULL: "ebpf_solo_io" */
	unsigned int max_series;	/* label sets kept per event map; 0: 10000 */
	unsigned int table_max_series;	/* per hash/array map scrape; 0: unbounded */
	const struct runner_hist_buckets *hist_buckets;	/* --hist-buckets */
	int n_hist_buckets;
};

int metrics_new(const struct metrics_opts *o, struct metrics **out);
void metrics_free(struct metrics *m);

/* Register one exported map, after load (em->fd valid), in declaration order;
 * print maps too (hash print polling and ring backlog live here).  em must
 * stay at the same address until metrics_free().  Validates the value shape
 * for the kind ("map 'x': counter value must be an integer or a struct of
 * integers, got char[16]"), prepares label and value plans, mmaps ring
 * buffer positions for the backlog metric, and rwarn()s once per family
 * name that will fail Prometheus lint.  0 or -errno with err set. */
int metrics_add_map(struct metrics *m, const struct export_map *em, struct rerr *err);
/* After the last metrics_add_map(): every --hist-buckets MAP must name a
 * ring-buffer/perf hist map (usage error otherwise). */
int metrics_finish(struct metrics *m, struct rerr *err);

/* One ring/perf record of a counter/gauge/hist event map (the event thread);
 * a record of a print map only counts as read.  Cheap: one hash lookup. */
void metrics_event(struct metrics *m, const struct export_map *em, const void *rec, size_t len);
/* n records of em were consumed without metrics_event() (print maps). */
void metrics_events_read(struct metrics *m, const struct export_map *em, uint64_t n);
/* perf buffer lost-sample callback. */
void metrics_events_lost(struct metrics *m, const struct export_map *em, uint64_t n);
/* The probe's own loss counter for event map em (loss.c; NULL: none):
 * ebpfctl_events_lost_total reports it, or the kernel's count if larger.
 * Setup only; c must outlive the metrics server. */
struct loss_counter;
void metrics_set_probe_lost(struct metrics *m, const struct export_map *em, const struct loss_counter *c);
void metrics_set_progs_attached(struct metrics *m, int n);
struct progstats;
/* Program cost families rendered after ebpfctl_programs_attached; ps must
 * outlive the metrics server. */
void metrics_set_progstats(struct metrics *m, const struct progstats *ps);
/* Append "family type\n" for every family em exports (check's report). */
int metrics_families(struct metrics *m, const struct export_map *em, struct strbuf *out);
/* Backlog of a ring buffer that is not exported (exported ones are
 * registered by metrics_add_map): its positions are mmapped read-only. */
int metrics_add_ringbuf(struct metrics *m, const char *name, int fd, uint32_t size);

/* Read every metric map now and append the whole text-format 0.0.4 body:
 * user families in declaration order, then ebpfctl_* ones.  0 or -ENOMEM;
 * a map that cannot be read is counted in ebpfctl_map_read_errors_total
 * and its families are left without samples. */
int metrics_render(struct metrics *m, struct strbuf *out);

/* Hash/array print maps: append one JSON line per new or changed entry and
 * one per removed entry since the previous call (spec/json-lines.md).  The
 * first call reports every entry as new.  0, or -errno of the first map
 * that could not be read (the others are still polled). */
int metrics_print_poll(struct metrics *m, struct strbuf *out);

#endif
