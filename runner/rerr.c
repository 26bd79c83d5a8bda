// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "rerr.h"

static rlog_fn log_fn;
static void *log_ctx;

static int rerr_vset(struct rerr *err, int code, bool usage, const char *fmt, va_list ap)
{
	if (!err || err->msg[0])
		return code;
	err->code = code;
	err->usage = usage;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int rerr_set(struct rerr *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rerr_vset(err, code, false, fmt, ap);
	va_end(ap);
	return code;
}

int rerr_usage(struct rerr *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rerr_vset(err, code, true, fmt, ap);
	va_end(ap);
	return code;
}

void rerr_hint(struct rerr *err, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->hint[0])
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void rlog_set_sink(rlog_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void rlog(enum rlog_level level, const char *fmt, ...)
{
	char small[1024], *msg = small;
	va_list ap;
	int n;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	/* verifier logs are long: never truncate them */
	if (n >= (int)sizeof(small) && (msg = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	} else if (n >= (int)sizeof(small)) {
		msg = small;
	}
	log_fn(log_ctx, level, msg);
	if (msg != small)
		free(msg);
}
