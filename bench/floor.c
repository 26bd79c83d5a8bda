// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
/*
 * The floor: a bare libbpf ring-buffer reader for bench/ev.bpf.c (built with
 * -DFLOOR: its ring buffer has no value type, so plain libbpf loads it) that
 * prints the line ebpfctl prints, byte for byte:
 *
 *   {"time":"2026-11-22T10:00:00.123456789Z","map":"events","event":{"ts":..,
 *    "pid":..,"tid":..,"fd":..,"comm":"..","path":".."}}
 *
 * time = CLOCK_REALTIME read per record at consumption, RFC 3339 UTC with 9
 * digits (the date part cached per second); strings with ebpfctl's JSON
 * escaping (short escapes, \u00XX for other controls and DEL, invalid UTF-8
 * bytes as the text \xHH JSON-escaped).  Hand-written for this one struct,
 * output through stdio (a 256 KiB fully buffered stdout, unlocked writes),
 * flushed when ring_buffer__poll returns (drained), like ebpfctl.
 *
 *   floor TARGET_TGID [LINGER_US [BURST]]
 *     prints "ready" on stderr once attached; on SIGINT/SIGTERM prints
 *     "delivered N drops D".  With LINGER_US, after a poll that read records
 *     it flushes and sleeps that long before polling again (the wakeup
 *     coalescing ebpfctl's event loop does, for a like-for-like comparison).
 *     BURST sets the probe's events per write(2) (default 1).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ev.h"
#include "floor.skel.h"

static volatile sig_atomic_t stop;
static void on_sig(int s) { stop = 1; }
static uint64_t delivered;
static time_t cached_sec = -1;
static char cached[80];

static void put_u64(FILE *f, uint64_t v)
{
	char b[24], *p = b + sizeof(b);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, (size_t)(b + sizeof(b) - p), 1, f);
}

static void put_s64(FILE *f, int64_t v)
{
	if (v < 0) {
		putc_unlocked('-', f);
		put_u64(f, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(f, (uint64_t)v);
	}
}

static int utf8_len(const unsigned char *s, size_t r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return r >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (c == 0xe0) lo = 0xa0;
		else if (c == 0xed) hi = 0x9f;
		return r >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c < 0xf5) {
		if (c == 0xf0) lo = 0x90;
		else if (c == 0xf4) hi = 0x8f;
		return r >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void put_str(FILE *f, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	putc_unlocked('"', f);
	while (i < n && s[i]) {
		unsigned char c = s[i];
		int k;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		fwrite_unlocked(s + run, i - run, 1, f);
		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(c, f);
			i++;
		} else if (c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
			putc_unlocked('\\', f);
			putc_unlocked(c == '\b' ? 'b' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\f' ? 'f' : 'r', f);
			i++;
		} else if (c < 0x80) {
			fputs_unlocked("\\u00", f);
			putc_unlocked(hex[c >> 4], f);
			putc_unlocked(hex[c & 15], f);
			i++;
		} else if ((k = utf8_len(s + i, n - i))) {
			fwrite_unlocked(s + i, (size_t)k, 1, f);
			i += (size_t)k;
		} else {
			fputs_unlocked("\\\\x", f);
			putc_unlocked(hex[c >> 4], f);
			putc_unlocked(hex[c & 15], f);
			i++;
		}
		run = i;
	}
	fwrite_unlocked(s + run, i - run, 1, f);
	putc_unlocked('"', f);
}

static void put_time(FILE *f)
{
	struct timespec ts;
	char frac[11];
	long v;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_sec = ts.tv_sec;
	}
	fwrite_unlocked(cached, 20, 1, f);
	v = ts.tv_nsec;
	for (int i = 8; i >= 0; i--) {
		frac[i] = (char)('0' + v % 10);
		v /= 10;
	}
	frac[9] = 'Z';
	fwrite_unlocked(frac, 10, 1, f);
}

#define LIT(f, s) fwrite_unlocked(s, sizeof(s) - 1, 1, f)

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	FILE *f = stdout;

	if (size < sizeof(*e))
		return 0;
	delivered++;
	LIT(f, "{\"time\":\"");
	put_time(f);
	LIT(f, "\",\"map\":\"events\",\"event\":{\"ts\":");
	put_u64(f, e->ts);
	LIT(f, ",\"pid\":");
	put_u64(f, e->pid);
	LIT(f, ",\"tid\":");
	put_u64(f, e->tid);
	LIT(f, ",\"fd\":");
	put_s64(f, e->fd);
	LIT(f, ",\"comm\":");
	put_str(f, e->comm, sizeof(e->comm));
	LIT(f, ",\"path\":");
	put_str(f, e->path, sizeof(e->path));
	LIT(f, "}}\n");
	return 0;
}

int main(int argc, char **argv)
{
	static char obuf[256 * 1024];
	struct ring_buffer *rb = NULL;
	struct floor *skel;
	uint64_t drops = 0;
	uint32_t zero = 0;
	int err;

	long linger_us = argc > 2 ? atol(argv[2]) : 0;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: floor TARGET_TGID [LINGER_US [BURST]]\n");
		return 64;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	skel = floor__open();
	if (!skel)
		return 1;
	skel->rodata->target_tgid = (uint32_t)strtoul(argv[1], NULL, 10);
	skel->rodata->burst = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1;
	err = floor__load(skel);
	if (!err)
		err = floor__attach(skel);
	if (err) {
		fprintf(stderr, "floor: load/attach failed: %s\n", strerror(-err));
		floor__destroy(skel);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		floor__destroy(skel);
		return 1;
	}
	fprintf(stderr, "ready\n");
	while (!stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR)
			break;
		fflush_unlocked(stdout);
		if (err > 0 && linger_us) {
			struct timespec ts = { linger_us / 1000000, linger_us % 1000000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.rb_drops), &zero, &drops);
	fprintf(stderr, "delivered %llu drops %llu\n", (unsigned long long)delivered,
		(unsigned long long)drops);
	ring_buffer__free(rb);
	floor__destroy(skel);
	return 0;
}
