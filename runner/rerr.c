// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
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
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(log_ctx, level, msg);
}
