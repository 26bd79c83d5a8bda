// SPDX-License-Identifier: MIT
/*
 * Load generator for bench/run.py: write(2) calls with a bad fd (EBADF, no
 * I/O) whose buffer is a path-like string; bench/ev.bpf.c turns each one
 * into an event, filtered by this process's tgid.
 *
 *   loadgen [-c CPU] [-r RATE] [-n COUNT] [-w] [-m MODE] [-f PATH]
 *     -c CPU    pin to this CPU (sched_setaffinity); default 1; -1 = no pinning
 *     -r RATE   calls per second, paced in 1 ms batches with clock_nanosleep
 *               (TIMER_ABSTIME); 0 = as fast as possible (default)
 *     -n COUNT  calls in total (default 100000); 0 = until killed
 *     -w        wait for a line on stdin before starting (the consumer is
 *               started with --set target_tgid=<our pid> first)
 *     -m MODE   what one call is:
 *               write  write(2) on a bad fd, as above (default)
 *               open   openat(AT_FDCWD, PATH, O_RDONLY) + close (-f PATH,
 *                      default /etc/hostname)
 *               exec   fork + execv("/bin/true", {"true", "bench", NULL}) +
 *                      waitpid (the child inherits the CPU pinning)
 *               spin   a CPU-bound loop through a few nested functions (a
 *                      stack for a profiler to sample); -r and -n ignored,
 *                      runs until SIGINT/SIGTERM
 *     -j N      spin mode: N threads, thread i pinned to CPU i (mod the CPU
 *               count), instead of the one thread pinned by -c
 * Prints "produced N elapsed_ns E" on stdout at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const paths[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/stat",
	"/var/log/syslog", "/sys/fs/cgroup/memory.max", "/home/user/src/ebpfctl/runner/btf_fmt.c",
	"/tmp/tmp.Xa81kQ", "/usr/share/zoneinfo/Europe/Berlin",
};

static volatile sig_atomic_t stop;
static void on_sig(int s) { stop = 1; }

enum mode { M_WRITE, M_OPEN, M_EXEC, M_SPIN };
static enum mode mode = M_WRITE;
static const char *open_path = "/etc/hostname";
static size_t lens[8];

static void one_call(uint64_t i)
{
	switch (mode) {
	case M_WRITE:
		syscall(SYS_write, -1 - (int)(i & 1023), paths[i & 7], lens[i & 7]);
		break;
	case M_OPEN: {
		int fd = openat(AT_FDCWD, open_path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		break;
	}
	case M_EXEC: {
		static char *const argv[] = { "true", "bench", NULL };
		pid_t pid = fork();

		if (pid == 0) {
			execv("/bin/true", argv);
			_exit(127);
		}
		if (pid > 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		break;
	}
	case M_SPIN:
		break;
	}
}

/* M_SPIN: a few frames deep, not inlined, so samples have a stack */
static volatile uint64_t sink;
__attribute__((noinline)) static uint64_t spin_leaf(uint64_t x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}
__attribute__((noinline)) static uint64_t spin_mid(uint64_t x) { return spin_leaf(x) ^ spin_leaf(x + 1); }
__attribute__((noinline)) static void spin_top(void)
{
	uint64_t x = 1;

	while (!stop)
		x = spin_mid(x);
	sink = x;
}

static void *spin_thread(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(long)arg, &set);
	sched_setaffinity(0, sizeof(set), &set);
	spin_top();
	return NULL;
}

static void spin_threads(int n)
{
	pthread_t t[64];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, spin_thread, (void *)(long)(i % (ncpu > 0 ? ncpu : 1)));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int cpu = 1, wait = 0, threads = 0, opt;
	uint64_t rate = 0, count = 100000, done = 0;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "c:r:n:wm:f:j:")) != -1) {
		switch (opt) {
		case 'c': cpu = atoi(optarg); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'w': wait = 1; break;
		case 'f': open_path = optarg; break;
		case 'j': threads = atoi(optarg); break;
		case 'm':
			if (!strcmp(optarg, "write"))
				mode = M_WRITE;
			else if (!strcmp(optarg, "open"))
				mode = M_OPEN;
			else if (!strcmp(optarg, "exec"))
				mode = M_EXEC;
			else if (!strcmp(optarg, "spin"))
				mode = M_SPIN;
			else
				goto usage;
			break;
		default:
		usage:
			fprintf(stderr, "usage: loadgen [-c CPU] [-r RATE] [-n COUNT] [-w] "
				"[-m write|open|exec|spin] [-f PATH] [-j THREADS]\n");
			return 64;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu >= 0 && sched_setaffinity(0, sizeof(set), &set)) {
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
	if (mode == M_SPIN && threads > 0) {
		spin_threads(threads);
	} else if (mode == M_SPIN) {
		spin_top();
	} else if (!rate) {
		while (!stop && (!count || done < count)) {
			one_call(done);
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
				one_call(done);
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
