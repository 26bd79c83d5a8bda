/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition format 0.0.4: pure helpers (names, lint,
 * escaping, number text, bucket math) shared by the metrics renderer and
 * its unit tests.  Nothing here touches BPF. */
#ifndef EBPFCTL_PROM_H
#define EBPFCTL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
};

const char *prom_type_name(enum prom_type t);

/* [a-zA-Z_:][a-zA-Z0-9_:]* (metric) / [a-zA-Z_][a-zA-Z0-9_]* (label). */
bool prom_valid_metric_name(const char *s);
bool prom_valid_label_name(const char *s);

/* Append "<ns>_<map>[_<member>]" (+ "_total" for counters unless the name
 * already ends in it).  Characters outside [a-zA-Z0-9_] become '_' so a
 * strange map or member name can never break the exposition. */
void prom_family_name(struct strbuf *sb, const char *ns, const char *map, const char *member,
		      enum prom_type type);
/* Copy s into sb as a label name: invalid characters become '_', a leading
 * digit gets a '_' in front. */
void prom_label_name(struct strbuf *sb, const char *s);

/* The rules `promtool check metrics` (client_golang promlint) applies to a
 * family and its label names.  Appends each problem text, "; "-separated,
 * to why (may be NULL) and returns the number of problems. */
int prom_lint(const char *family, enum prom_type type, const char *const *labels, int nlabels,
	      struct strbuf *why);

/* Label value: escape \ " and newline; bytes that are not valid UTF-8 become
 * the text \xHH first (so \\xHH on the wire): a scrape never fails to parse. */
void prom_label_escape(struct strbuf *sb, const char *s, size_t n);
/* HELP text: escape \ and newline. */
void prom_help_escape(struct strbuf *sb, const char *s);
/* Sample values. */
void prom_double(struct strbuf *sb, double d);		/* shortest round-trip, NaN, +Inf, -Inf */
void prom_i128(struct strbuf *sb, __int128 v);		/* exact decimal */
void prom_u128(struct strbuf *sb, unsigned __int128 v);

/* log2 buckets with le = 2^k - 1: the smallest k with v <= 2^k - 1
 * (0 -> 0, 1 -> 1, 2..3 -> 2, ...; 2^64-1 -> 64). */
int prom_log2_bucket_u64(uint64_t v);
int prom_log2_bucket_s64(int64_t v);			/* v <= 0 -> 0 */
/* Same for a double: 0..64, or 65 when v > 2^64-1 (only +Inf holds it). */
int prom_log2_bucket_double(double v);
#define PROM_LOG2_SLOTS 66
/* Explicit bounds (strictly increasing): the first i with v <= b[i], or n. */
int prom_bucket_index(const double *b, int n, double v);
/* Index for an exact integer, compared without losing precision. */
int prom_bucket_index_int(const double *b, int n, int64_t s, uint64_t u, bool is_signed);

/* A fast 64-bit hash of n bytes (not cryptographic). */
uint64_t prom_hash(const void *p, size_t n);

/* Valid UTF-8 sequence length at s (1..4), or 0 if s[0] does not start one
 * (overlongs, surrogates and > U+10FFFF are invalid). */
int prom_utf8_len(const unsigned char *s, size_t n);

#endif
