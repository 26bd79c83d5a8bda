/* SPDX-License-Identifier: MIT */
/* JSON line output: one big reused buffer written with write(2).  Flushed by
 * the event loop when the ready records are drained, when the buffer is big,
 * at least every 100 ms, and per line on a TTY. */
#ifndef EBPFCTL_OUTPUT_H
#define EBPFCTL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <time.h>
#include "strbuf.h"

#define OUT_FLUSH_BYTES (256 * 1024)
#define OUT_FLUSH_NS (100 * 1000000ULL)

struct output {
	int fd;
	bool tty;
	bool closed;		/* reader went away (EPIPE): stop quietly */
	int error;		/* other write error (-errno) */
	volatile sig_atomic_t *stop;	/* set by a signal: stop retrying a blocked write */
	bool abandoned;		/* a stop interrupted a blocked write: drop output */
	struct strbuf sb;
	uint64_t last_flush_ns;	/* CLOCK_MONOTONIC */
	time_t cached_sec;	/* the second whose text is in cached[] */
	char cached[64];	/* "2026-11-22T10:00:00." */
};

void output_init(struct output *o, int fd);
void output_free(struct output *o);
/* Write everything buffered; returns 0, -EPIPE (o->closed) or -errno. */
int output_flush(struct output *o);
/* After a line has been appended: flush when a TTY, or when big. */
static inline void output_line_done(struct output *o)
{
	if (o->tty || o->sb.len >= OUT_FLUSH_BYTES)
		output_flush(o);
}
/* Append the RFC 3339 UTC time of ts (CLOCK_REALTIME) with 9 fraction digits,
 * without quotes: 2026-11-22T10:00:00.123456789Z */
void output_time(struct output *o, struct strbuf *sb, const struct timespec *ts);
uint64_t mono_ns(void);

#endif
