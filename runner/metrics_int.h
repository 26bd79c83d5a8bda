/* SPDX-License-Identifier: MIT */
/* Internals shared by metrics.c (families, events, rendering), mapprint.c
 * (hash/array print polling) and the unit tests.  Not a public API. */
#ifndef EBPFCTL_METRICS_INT_H
#define EBPFCTL_METRICS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "btf_fmt.h"
#include "mapread.h"
#include "metrics.h"
#include "prom.h"
#include "stab.h"

/* One accumulator: integers are summed exactly (any width, per-CPU and
 * merged label sets included) in 128 bits, floats as doubles. */
union mm_cell {
	__int128 i;
	double d;
};

struct mm_label {
	const struct fmt_field *f;
	char *name;			/* exposition label name */
};

/* A hash/array counter or gauge family: one per value member. */
struct mm_family {
	char *name;			/* as in # TYPE ("x_total" for counters) */
	char *help;			/* already escaped */
	const struct fmt_field *vf;	/* the value field (NULL for hist/event families) */
	bool is_float;
	bool is_duration;		/* integer ns, exposed in seconds */
};

/* Event hist series payload: sum, count, then the bucket counts. */
struct mm_ehist {
	union mm_cell sum;
	uint64_t count;
	uint64_t b[];
};

struct mm_map {
	const struct export_map *em;
	char *name;			/* real map name */
	char *owner;			/* for messages: name, or "name' of object 'obj" */
	struct strbuf fam_list;		/* "family type\n" per registered family */
	char *json_name;		/* JSON-escaped, for print lines */
	enum out_kind kind;
	enum prom_type ptype;
	uint32_t type;			/* enum bpf_map_type */
	int fd;
	bool is_event, is_array, percpu;
	int ncpu;
	uint32_t key_size, value_size, max_entries;
	const struct btf *btf;

	/* labels: key fields (hash/array) or event fields (ring/perf) */
	struct fmt_fields *lfields;
	struct mm_label *labels;
	int nlabels;
	size_t canon_size;		/* event maps: bytes of a canonical label key */

	/* families in render order */
	struct fmt_fields *vfields;	/* hash/array counter/gauge value fields */
	struct mm_family *fams;
	int nfams;

	/* hash/array hist: the slots array and the optional `sum` member */
	uint32_t slots_off, nslots, slot_size;
	bool has_sum, sum_signed;
	bool sum_duration;	/* hash/array hist: sum is a `duration`: ns slots, seconds out */
	uint32_t sum_off, sum_size;

	/* ring/perf gauge/hist: the value field */
	const struct fmt_field *evf;
	bool ev_float, ev_duration;
	const double *bounds;		/* --hist-buckets, else NULL: log2 */
	int nbounds;
	int nbuckets;			/* slots in mm_ehist.b */
	/* hist bucket bounds as text, rendered once at setup */
	struct strbuf le_sb;
	uint32_t *le_off;		/* le_n + 1 offsets into le_sb */
	int le_n;

	/* hash/array reads: render thread for metric maps, poll for print */
	struct mapread rd;
	struct stab scrape;		/* label text -> accumulators, per scrape */
	struct strbuf lbl, tmp;		/* scratch */
	/* --max-series for hash/array maps: once a scrape has had more label
	 * sets than allowed, the ones exported last time keep their place */
	struct stab admitted;		/* label text, no payload */
	unsigned char *keep;		/* per scrape record: exported? */
	uint32_t keep_cap;
	bool over_series;

	/* event series: event thread and render thread, under mu */
	pthread_mutex_t mu;
	bool mu_init;
	struct stab series;		/* label text -> state */
	struct stab raw;		/* canonical label bytes -> series index */
	unsigned char *canon;
	struct strbuf ev_lbl, ev_tmp;
	int max_k;			/* highest log2 bucket observed */
	bool warned_full;

	/* print hash/array */
	struct fmt_plan *kplan, *vplan;
	bool v_numeric;
	struct stab snap[2];
	int cur;

	/* ring buffer positions (read-only mapping) */
	void *rb_pages;
	size_t rb_len;

	/* self statistics: updated with relaxed atomics */
	uint64_t events_read, events_lost, series_dropped, read_errors, entries;
	const struct loss_counter *probe_lost;	/* the probe's count (loss.c), or NULL */
	bool entries_known;
	bool warned_read;
};

struct mm_ring {
	char *name;
	void *pages;
	size_t len;
	uint32_t size;
};

struct metrics {
	char *ns;
	unsigned int max_series;
	unsigned int table_max_series;
	const struct runner_hist_buckets *hb;
	int nhb;
	bool *hb_used;
	struct mm_map **maps;
	int nmaps;
	struct mm_ring *rings;
	int nrings;
	char **names;			/* every sample name in use */
	const char **owners;		/* the map each name belongs to */
	int nnames;
	pthread_mutex_t render_mu;
	int progs_attached;
	const struct progstats *progstats;
	struct strbuf scratch;
};

/* Render one hash/array metric map from entries already in memory (keys
 * key_size apart, values vstride apart, per-CPU images cpu_stride apart):
 * what metrics_render() does after the map read.  For unit tests. */
int mm_render_entries(struct metrics *m, struct mm_map *mm, const void *keys, const void *vals,
		      uint32_t n, uint32_t vstride, uint32_t cpu_stride, struct strbuf *out);
/* Render an event map's series (metrics_render does this under mm->mu). */
void mm_render_event_map(struct metrics *m, struct mm_map *mm, struct strbuf *out);
struct mm_map *mm_find(struct metrics *m, const struct export_map *em);
int mm_require_kv_types(const struct mm_map *mm, struct rerr *err);

/* mapprint.c */
int mm_print_init(struct mm_map *mm, struct rerr *err);
void mm_print_free(struct mm_map *mm);
/* Diff entries in memory against the previous snapshot; append lines. */
void mm_print_entries(struct mm_map *mm, const void *keys, const void *vals, uint32_t n,
		      const char *time, struct strbuf *out);

/* true when all n bytes are zero */
bool mm_all_zero(const void *p, size_t n);

#endif
