// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "output.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void output_init(struct output *o, int fd)
{
	*o = (struct output){ .fd = fd, .cached_sec = (time_t)-1 };
	o->tty = isatty(fd);
	sb_reserve(&o->sb, OUT_FLUSH_BYTES + 65536);
	o->last_flush_ns = mono_ns();
}

void output_free(struct output *o)
{
	sb_free(&o->sb);
}

/* A reader that stopped reading must not keep SIGINT/SIGTERM from ending
 * the run: once a stop is requested, a write the signal interrupted is not
 * retried and what is left is dropped. */
static bool stopping(const struct output *o)
{
	return o->stop && *o->stop;
}

int output_flush(struct output *o)
{
	size_t off = 0;

	o->last_flush_ns = mono_ns();
	if (o->abandoned) {
		o->sb.len = 0;
		return 0;
	}
	if (o->closed || o->error) {
		o->sb.len = 0;
		return o->closed ? -EPIPE : o->error;
	}
	while (off < o->sb.len) {
		struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
		ssize_t n;

		/* stopping: give a stalled reader one second, not forever */
		if (stopping(o) && poll(&pfd, 1, 1000) == 0) {
			o->abandoned = true;
			break;
		}
		n = write(o->fd, o->sb.buf + off, o->sb.len - off);

		if (n < 0) {
			if (errno == EINTR && !stopping(o))
				continue;
			if (errno == EINTR) {
				o->abandoned = true;
				break;
			}
			if (errno == EAGAIN) {
				/* non-blocking stdout: a blocked reader stalls us (documented) */
				usleep(1000);
				continue;
			}
			if (errno == EPIPE)
				o->closed = true;
			else
				o->error = -errno;
			break;
		}
		off += (size_t)n;
		/* a signal cut a blocked write short: the reader is not reading */
		if (off < o->sb.len && stopping(o)) {
			o->abandoned = true;
			break;
		}
	}
	o->sb.len = 0;
	return o->closed ? -EPIPE : o->error;
}


static void render_sec(char buf[64], time_t sec)
{
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void put_frac(struct strbuf *sb, long nsec)
{
	char f[10];
	unsigned int v = (unsigned int)nsec;

	for (int i = 8; i >= 0; i--) {
		f[i] = (char)('0' + v % 10);
		v /= 10;
	}
	f[9] = 'Z';
	sb_add(sb, f, 10);
}

void output_time(struct output *o, struct strbuf *sb, const struct timespec *ts)
{
	/* gmtime once per second: the date part is cached */
	if (ts->tv_sec != o->cached_sec) {
		render_sec(o->cached, ts->tv_sec);
		o->cached_sec = ts->tv_sec;
	}
	sb_add(sb, o->cached, 20);
	put_frac(sb, ts->tv_nsec);
}
