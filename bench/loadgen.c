// SPDX-License-Identifier: MIT
/*
 * Load generator for bench/run.py: write(2) calls with a bad fd (EBADF, no
 * I/O) whose buffer is a path-like string; bench/ev.bpf.c turns each one
 * into an event, filtered by this process's tgid.
 *
 *   loadgen [-c CPU] [-r RATE] [-n COUNT] [-w]
 *     -c CPU    pin to this CPU (sched_setaffinity); default 1
 *     -r RATE   calls per second, paced in 1 ms batches with clock_nanosleep
 *               (TIMER_ABSTIME); 0 = as fast as possible (default)
 *     -n COUNT  calls in total (default 100000); 0 = until killed
 *     -w        wait for a line on stdin before starting (the consumer is
 *               started with --set target_tgid=<our pid> first)
 * Prints "produced N elapsed_ns E" on stdout at the end.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *const paths[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/stat",
	"/var/log/syslog", "/sys/fs/cgroup/memory.max", "/home/user/src/ebpfctl/runner/btf_fmt.c",
	"/tmp/tmp.Xa81kQ", "/usr/share/zoneinfo/Europe/Berlin",
};

static volatile sig_atomic_t stop;
static void on_sig(int s) { stop = 1; }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int cpu = 1, wait = 0, opt;
	uint64_t rate = 0, count = 100000, done = 0;
	size_t lens[8];
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "c:r:n:w")) != -1) {
		switch (opt) {
		case 'c': cpu = atoi(optarg); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'w': wait = 1; break;
		default:
			fprintf(stderr, "usage: loadgen [-c CPU] [-r RATE] [-n COUNT] [-w]\n");
			return 64;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	for (int i = 0; i < 8; i++)
		lens[i] = strlen(paths[i]) + 1;
	if (wait) {
		char line[64];

		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}

	uint64_t t0 = now_ns();
	if (!rate) {
		while (!stop && (!count || done < count)) {
			syscall(SYS_write, -1 - (int)(done & 1023), paths[done & 7], lens[done & 7]);
			done++;
		}
	} else {
		/* 1 ms ticks; the batch size carries the fraction over */
		struct timespec next;
		uint64_t tick = 0;

		clock_gettime(CLOCK_MONOTONIC, &next);
		while (!stop && (!count || done < count)) {
			uint64_t due = (tick + 1) * rate / 1000;

			while (done < due && (!count || done < count)) {
				syscall(SYS_write, -1 - (int)(done & 1023), paths[done & 7], lens[done & 7]);
				done++;
			}
			tick++;
			next.tv_nsec += 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
	}
	printf("produced %llu elapsed_ns %llu\n", (unsigned long long)done,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}
