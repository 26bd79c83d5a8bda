/* SPDX-License-Identifier: MIT */
/* Error reporting from the runner library: it never prints; it fills a
 * struct rerr that the CLI turns into `error: <msg>` (+ `hint: <hint>`). */
#ifndef EBPFCTL_RERR_H
#define EBPFCTL_RERR_H

#include <stdbool.h>

struct rerr {
	int code;		/* -errno */
	bool usage;		/* a command-line problem: exit status 64 */
	char msg[1024];		/* "<what failed>: <why>" */
	char hint[512];		/* optional "what to do" */
};

/* Sets err (if not yet set) and returns code (a negative errno) so callers
 * can write `return rerr_set(err, -EINVAL, "map '%s': ...", name);`.
 * The first error set wins: later, less specific errors do not overwrite it. */
int rerr_set(struct rerr *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rerr_usage(struct rerr *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rerr_hint(struct rerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logging sink: the CLI decides what to show. */
/* RLOG_DETAIL: multi-line text shown verbatim before an error (verifier log). */
/* RLOG_NOTE: a line the user asked for (e.g. program costs at exit), always shown. */
enum rlog_level { RLOG_WARN, RLOG_INFO, RLOG_DEBUG, RLOG_DETAIL, RLOG_NOTE };
typedef void (*rlog_fn)(void *ctx, enum rlog_level level, const char *msg);
void rlog_set_sink(rlog_fn fn, void *ctx);
void rlog(enum rlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define rwarn(...) rlog(RLOG_WARN, __VA_ARGS__)
#define rinfo(...) rlog(RLOG_INFO, __VA_ARGS__)
#define rdebug(...) rlog(RLOG_DEBUG, __VA_ARGS__)

#endif
