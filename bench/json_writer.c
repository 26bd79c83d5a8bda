// SPDX-License-Identifier: MIT
/*
 * JSON writer micro-benchmark: the event-formatting hot path alone.
 *
 * Builds the 6-field event BTF in memory (u64 ts, u32 pid, u32 tid, s32 ret,
 * char comm[16], char filename[64]), compiles one fmt_plan, then formats
 * 10 million records with realistic content into one reused strbuf that is
 * "flushed" (reset, no write) at 64 KiB, like the runner's stdout buffer.
 * The same lines are produced with snprintf for comparison, and checked to
 * be byte-identical first.  A third run mixes in strings that need escaping
 * (UTF-8, tabs, quotes, an invalid byte) to show the slow path's cost.
 *
 * Build (not part of `make`):
 *   make build/libebpfctl-runner.a
 *   gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Irunner -o build/json_writer \
 *       bench/json_writer.c build/libebpfctl-runner.a $(pkg-config --libs libbpf) -lm
 * Run: build/json_writer [events]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include "btf_fmt.h"

struct event {
	uint64_t ts;
	uint32_t pid;
	uint32_t tid;
	int32_t ret;
	char comm[16];
	char filename[64];
};

#define NREC	4096		/* distinct records, cycled */
#define FLUSH	(64 * 1024)

static const char *const comms[] = {
	"bash", "systemd", "sshd", "node", "python3", "kworker/u4:2", "containerd-shim",
	"cron", "journald", "nginx", "postgres", "java", "dockerd", "kubelet", "git", "make",
};

static const char *const files[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/stat",
	"/etc/passwd", "/var/log/syslog", "/sys/fs/cgroup/memory.max",
	"/home/user/projects/ebpfctl/runner/btf_fmt.c", "/tmp/tmp.Xa81kQ", "/dev/null",
	"/usr/share/zoneinfo/Europe/Berlin", "/proc/1234/cmdline", "/etc/nsswitch.conf",
	"/var/lib/docker/overlay2/4f1c/merged/usr/bin/env", "/run/systemd/journal/socket",
	"/usr/lib/python3.11/encodings/__init__.py", "/etc/hosts",
};

/* the slow path: bytes that need escaping or UTF-8 validation */
static const char *const odd_files[] = {
	"/home/jos\xc3\xa9/caf\xc3\xa9.txt", "/tmp/a\tb", "/srv/\"quoted\"", "/tmp/bad\xff.bin",
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void fill(struct event *r, int n, int odd_every)
{
	uint64_t ts = 1763800000123456789ULL;
	int i;

	memset(r, 0, sizeof(*r) * (size_t)n);
	for (i = 0; i < n; i++) {
		ts += 1000 + rnd() % 100000;
		r[i].ts = ts;
		r[i].pid = 1 + rnd() % 4194304;
		r[i].tid = r[i].pid + rnd() % 8;
		r[i].ret = (int32_t[]){ 0, 3, 4, -2, -13, 12, 4096, -11 }[rnd() % 8];
		strncpy(r[i].comm, comms[rnd() % 16], sizeof(r[i].comm) - 1);
		if (odd_every && i % odd_every == 0)
			strncpy(r[i].filename, odd_files[rnd() % 4], sizeof(r[i].filename) - 1);
		else
			strncpy(r[i].filename, files[rnd() % 16], sizeof(r[i].filename) - 1);
	}
}

static int snprintf_line(char *buf, size_t cap, const struct event *e)
{
	return snprintf(buf, cap,
			"{\"ts\":%llu,\"pid\":%u,\"tid\":%u,\"ret\":%d,\"comm\":\"%.16s\",\"filename\":\"%.64s\"}\n",
			(unsigned long long)e->ts, e->pid, e->tid, e->ret, e->comm, e->filename);
}

static double run_fmt(const struct fmt_plan *p, const struct event *r, long n, struct strbuf *sb,
		      uint64_t *bytes)
{
	double t0 = now_ns();
	long i;

	*bytes = 0;
	for (i = 0; i < n; i++) {
		if (fmt_json(p, &r[i & (NREC - 1)], sizeof(*r), sb)) {
			fprintf(stderr, "fmt_json failed\n");
			exit(1);
		}
		sb_putc(sb, '\n');
		if (sb->len >= FLUSH) {
			*bytes += sb->len;
			sb_reset(sb);
		}
	}
	*bytes += sb->len;
	sb_reset(sb);
	return (now_ns() - t0) / (double)n;
}

static double run_snprintf(const struct event *r, long n, char *buf, size_t cap, uint64_t *bytes)
{
	double t0 = now_ns();
	size_t len = 0;
	long i;

	*bytes = 0;
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf_line(buf + len, cap - len, &r[i & (NREC - 1)]);
		if (len >= FLUSH) {
			*bytes += len;
			len = 0;
		}
	}
	*bytes += len;
	return (now_ns() - t0) / (double)n;
}

static void report(const char *what, double ns, uint64_t bytes, long n)
{
	printf("%-34s %7.1f ns/event  %6.2f M ev/s  %6.0f MB/s  (%.1f B/line)\n", what, ns,
	       1e3 / ns, bytes / (ns * n) * 1e3, (double)bytes / n);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	struct event *recs = malloc(sizeof(*recs) * NREC), *odd = malloc(sizeof(*odd) * NREC);
	char *buf = malloc(FLUSH + 4096), line[512];
	struct strbuf sb = {};
	struct fmt_plan *plan;
	struct btf *btf;
	uint64_t bytes;
	double ns;
	int u32, s32, u64, chr, idx, st, i, rep;

	/* the event type, exactly as clang lays it out */
	btf = btf__new_empty();
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	idx = btf__add_array(btf, u32, chr, 16);
	i = btf__add_array(btf, u32, chr, 64);
	st = btf__add_struct(btf, "event", sizeof(struct event));
	btf__add_field(btf, "ts", u64, 0, 0);
	btf__add_field(btf, "pid", u32, 64, 0);
	btf__add_field(btf, "tid", u32, 96, 0);
	btf__add_field(btf, "ret", s32, 128, 0);
	btf__add_field(btf, "comm", idx, 160, 0);
	btf__add_field(btf, "filename", i, 288, 0);
	if (fmt_plan_new(btf, (uint32_t)st, &plan)) {
		fprintf(stderr, "fmt_plan_new failed\n");
		return 1;
	}

	fill(recs, NREC, 0);
	fill(odd, NREC, 16);	/* 1 filename in 16 needs escaping */
	/* same bytes from both writers before timing anything */
	for (i = 0; i < NREC; i++) {
		sb_reset(&sb);
		fmt_json(plan, &recs[i], sizeof(recs[i]), &sb);
		sb_putc(&sb, '\n');
		snprintf_line(line, sizeof(line), &recs[i]);
		if (sb.len != strlen(line) || memcmp(sb.buf, line, sb.len)) {
			fprintf(stderr, "mismatch:\n%.*s%s", (int)sb.len, sb.buf, line);
			return 1;
		}
	}
	sb_reset(&sb);
	printf("%ld events, %d distinct records, strbuf reset every %d KiB, sample line:\n%s",
	       n, NREC, FLUSH / 1024, line);
	for (rep = 0; rep < 2; rep++) {	/* second round: warm caches, stable clocks */
		ns = run_fmt(plan, recs, n, &sb, &bytes);
		report("fmt_json (BTF plan)", ns, bytes, n);
		ns = run_snprintf(recs, n, buf, FLUSH + 4096, &bytes);
		report("snprintf (no escaping at all)", ns, bytes, n);
		ns = run_fmt(plan, odd, n, &sb, &bytes);
		report("fmt_json, 1 in 16 needs escaping", ns, bytes, n);
	}
	fmt_plan_free(plan);
	btf__free(btf);
	sb_free(&sb);
	free(recs);
	free(odd);
	free(buf);
	return 0;
}
