// SPDX-License-Identifier: MIT
/* ebpfctl doctor: one check per thing ebpfctl relies on (see doctor.h).
 *
 * Facts come first from what the kernel shows (/proc/mounts, /proc/self/status,
 * sysctls, PMUs, /proc/kallsyms) and, where only trying tells, from a trial:
 * a two-instruction program (r0 = 0; exit) or a small map, closed again before
 * the check returns.  Nothing is mounted, pinned or left loaded, and only
 * bpf_fentry_test1 (which only BPF_PROG_TEST_RUN calls) and the file_open LSM
 * hook (the program allows everything) ever have a trial program attached,
 * for the microseconds between attach and close. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "builder.h"
#include "doctor.h"
#include "pathsearch.h"

extern char **environ;

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"
#define KPROBE_PMU	"/sys/bus/event_source/devices/kprobe"
#define TRIAL_NAME	"ebpfctl_doctor"	/* what bpftool shows if a trial leaks */
#define TOOL_TIMEOUT_MS	5000

/* The kernel's internal "not supported" (trampolines on an arch without
 * them); user space has no name for it, strerror() says "Unknown error 524". */
#define KERNEL_ENOTSUPP	524

/* Capability numbers (linux/capability.h); CAP_BPF and CAP_PERFMON are newer
 * than some installed headers. */
#define DR_CAP_NET_ADMIN	12
#define DR_CAP_SYS_ADMIN	21
#define DR_CAP_SYS_RESOURCE	24
#define DR_CAP_PERFMON		38
#define DR_CAP_BPF		39

/* lsm_list_modules(2), Linux 6.8: the active LSMs without securityfs mounted.
 * Debian 12's headers predate it; syscalls added since 4.x share one number
 * on every architecture but alpha, mips and ia64. */
#if !defined(__NR_lsm_list_modules) && !defined(__alpha__) && !defined(__mips__) && \
	!defined(__ia64__)
#define __NR_lsm_list_modules 461
#endif

struct doctor_ctx {
	struct doctor_report *rep;
	struct doctor_check spare;	/* written to if the report is full */
	struct utsname uts;
	int kmajor, kminor;
	struct btf *btf;		/* vmlinux BTF, NULL if none */
	bool bpf_ok;			/* bpf() lets us create a map and load a program */
	uint64_t caps;			/* CapEff */
	bool caps_known;
	int cap_last;			/* /proc/sys/kernel/cap_last_cap, -1 unknown */
	struct rlimit memlock;		/* as found: libbpf raises it on old kernels */
	int memlock_err;
	char clang[PATH_MAX];		/* "" if not found */
	/* from /proc/mounts, "" if absent */
	char tracefs[PATH_MAX], debugfs[PATH_MAX], bpffs[PATH_MAX];
	char cgroup2[PATH_MAX], securityfs[PATH_MAX];
	char cgroup_root_type[32];	/* fs type mounted on /sys/fs/cgroup */
};

const char *doctor_status_name(enum doctor_status status)
{
	switch (status) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	default:
		return "fail";
	}
}

enum doctor_status doctor_worst(const struct doctor_report *rep)
{
	enum doctor_status worst = DOCTOR_OK;

	for (size_t i = 0; i < rep->n; i++)
		if (rep->checks[i].status > worst)
			worst = rep->checks[i].status;
	return worst;
}

static struct doctor_check *add_check(struct doctor_ctx *x, const char *name)
{
	struct doctor_check *c;

	c = x->rep->n < DOCTOR_MAX_CHECKS ? &x->rep->checks[x->rep->n++] : &x->spare;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

__attribute__((format(printf, 3, 4)))
static void set(struct doctor_check *c, enum doctor_status status, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void hint(struct doctor_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->hint, sizeof(c->hint), fmt, ap);
	va_end(ap);
}

/* err is a positive errno value. */
static const char *errstr(int err)
{
	if (err == KERNEL_ENOTSUPP)
		return "Operation not supported (ENOTSUPP)";
	return strerror(err);
}

static bool has_cap(const struct doctor_ctx *x, int cap)
{
	return x->caps_known && (x->caps >> cap) & 1;
}

/* Capabilities the running kernel knows: CAP_BPF and CAP_PERFMON are 5.8+. */
static bool kernel_knows_cap(const struct doctor_ctx *x, int cap)
{
	return x->cap_last < 0 || cap <= x->cap_last;
}

static bool kernel_at_least(const struct doctor_ctx *x, int major, int minor)
{
	return x->kmajor > major || (x->kmajor == major && x->kminor >= minor);
}

/* First line of a small file, without its newline.  0 or -errno. */
static int read_line(const char *path, char *buf, size_t sz)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sz - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_int(const char *path, long *v)
{
	char buf[64], *end;
	int ret;

	ret = read_line(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}




/* First non-empty line `tool --version` prints, "" if none (or it hangs:
 * killed after TOOL_TIMEOUT_MS so a broken tool cannot hang doctor). */
static void tool_version(const char *tool, char *buf, size_t sz)
{
	char *argv[] = { (char *)tool, "--version", NULL };
	posix_spawn_file_actions_t fa;
	char out[1024], *line, *save;
	size_t len = 0;
	int pfd[2], status;
	bool eof = false;
	struct timespec start, now;
	pid_t pid;

	buf[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return;
	if (posix_spawn_file_actions_init(&fa)) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, tool, &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long left;
		ssize_t n;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = TOOL_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 +
					  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(pfd[0], out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = n == 0;
			break;
		}
		len += n;
		if (len == sizeof(out) - 1)
			break;	/* the first line is in there; the rest may go */
	}
	/* Timed out or still writing: we have what we wait for. */
	if (!eof)
		kill(pid, SIGKILL);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[len] = '\0';
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line) {
			snprintf(buf, sz, "%s", line);
			return;
		}
	}
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* Last non-empty line of a verifier log: the kernel's reason, if it gave one. */
static void log_reason(char *log, char *why, size_t why_sz)
{
	char *line, *last = NULL, *save;

	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line)
			last = line;
	snprintf(why, why_sz, "%s", last ? last : "");
}

/* Load ret0 as a program of type; an fd, or -errno with the verifier's reason
 * (possibly "") in why.  libbpf retries a failed load with the log on when a
 * log buffer is given. */
static int trial_load(enum bpf_prog_type type, enum bpf_attach_type attach, int btf_id,
		      char *why, size_t why_sz)
{
	char log[8192] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		.expected_attach_type = attach,
		.attach_btf_id = btf_id,
		.log_buf = log,
		.log_size = sizeof(log),
	);
	int fd, err;

	why[0] = '\0';
	fd = bpf_prog_load(type, TRIAL_NAME, "GPL", ret0, sizeof(ret0) / sizeof(ret0[0]), &opts);
	if (fd >= 0)
		return fd;
	err = errno ? errno : EINVAL;
	log_reason(log, why, why_sz);
	return -err;
}

/* "<error>" or "<error> (<verifier reason>)" */
static void load_error(char *buf, size_t sz, int err, const char *why)
{
	if (*why)
		snprintf(buf, sz, "%s (%s)", errstr(err), why);
	else
		snprintf(buf, sz, "%s", errstr(err));
}

static void scan_mounts(struct doctor_ctx *x)
{
	struct mntent *m;
	FILE *f;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return;
	while ((m = getmntent(f))) {
		char *dst = NULL;
		const char *preferred = NULL;

		if (!strcmp(m->mnt_type, "tracefs")) {
			dst = x->tracefs;
			preferred = "/sys/kernel/tracing";
		} else if (!strcmp(m->mnt_type, "debugfs")) {
			dst = x->debugfs;
			preferred = "/sys/kernel/debug";
		} else if (!strcmp(m->mnt_type, "bpf")) {
			dst = x->bpffs;
			preferred = "/sys/fs/bpf";
		} else if (!strcmp(m->mnt_type, "cgroup2")) {
			dst = x->cgroup2;
			preferred = "/sys/fs/cgroup";
		} else if (!strcmp(m->mnt_type, "securityfs")) {
			dst = x->securityfs;
			preferred = "/sys/kernel/security";
		}
		/* The usual place wins over a second mount elsewhere; otherwise
		 * the first one listed. */
		if (dst && (!*dst || !strcmp(m->mnt_dir, preferred)))
			snprintf(dst, PATH_MAX, "%s", m->mnt_dir);
		/* the last mount on a path is the one seen there */
		if (!strcmp(m->mnt_dir, "/sys/fs/cgroup"))
			snprintf(x->cgroup_root_type, sizeof(x->cgroup_root_type), "%s",
				 m->mnt_type);
	}
	endmntent(f);
}

static bool kernel_has_fs(const char *type)
{
	char line[128];
	bool found = false;
	FILE *f;

	f = fopen("/proc/filesystems", "re");
	if (!f)
		return true;	/* cannot tell: do not claim it is missing */
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		found = !strcmp(name, type);
	}
	fclose(f);
	return found;
}

/* 1 if /proc/kallsyms lists sym, 0 if not, -errno if unreadable. */
static int kallsyms_has(const char *sym)
{
	size_t cap = 0, n = strlen(sym);
	char *line = NULL;
	ssize_t len;
	int found = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -errno;
	while (!found && (len = getline(&line, &cap, f)) > 0) {
		/* "<addr> <type> <name>[\t[module]]\n" */
		char *name = strrchr(line, ' ');

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		found = name && !strncmp(name + 1, sym, n) && (!name[1 + n] || name[1 + n] == '\t');
	}
	free(line);
	fclose(f);
	return found;
}

static void check_kernel(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "kernel");

	if (uname(&x->uts)) {
		set(c, DOCTOR_WARN, "uname: %s", strerror(errno));
		return;
	}
	if (sscanf(x->uts.release, "%d.%d", &x->kmajor, &x->kminor) != 2)
		x->kmajor = x->kminor = 0;
	if (kernel_at_least(x, 5, 8)) {
		set(c, DOCTOR_OK, "%s %s", x->uts.release, x->uts.machine);
		return;
	}
	set(c, DOCTOR_WARN, "%s %s: older than 5.8, so no ring buffers, CAP_BPF or BPF LSM",
	    x->uts.release, x->uts.machine);
	hint(c, "ebpfctl is made for Linux 5.8 and newer");
}

static void check_btf(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "btf");
	struct stat st;
	int err;

	if (stat(VMLINUX_BTF, &st)) {
		err = errno;
		if (err == ENOENT)
			set(c, DOCTOR_FAIL, "no " VMLINUX_BTF ": the kernel was built without "
			    "CONFIG_DEBUG_INFO_BTF");
		else
			set(c, DOCTOR_FAIL, VMLINUX_BTF ": %s", strerror(err));
		hint(c, "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora "
		     "and RHEL kernels are)");
		return;
	}
	x->btf = btf__parse(VMLINUX_BTF, NULL);
	if (!x->btf) {
		err = errno ? errno : EINVAL;
		set(c, DOCTOR_FAIL, VMLINUX_BTF ": cannot be read as BTF: %s", strerror(err));
		return;
	}
	set(c, DOCTOR_OK, VMLINUX_BTF ", %u types, %.1f MiB", btf__type_cnt(x->btf) - 1,
	    st.st_size / 1048576.0);
}

static void check_bpf(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "bpf");
	char why[256], msg[320];
	int mfd, pfd;

	mfd = bpf_map_create(BPF_MAP_TYPE_ARRAY, TRIAL_NAME, 4, 8, 1, NULL);
	if (mfd < 0) {
		int err = errno;

		set(c, DOCTOR_FAIL, "bpf() cannot create a map: %s", errstr(err));
		if (err == ENOSYS)
			hint(c, "the kernel was built without CONFIG_BPF_SYSCALL");
		else if (err == EPERM)
			hint(c, "run as root or grant CAP_BPF and CAP_PERFMON (in a container, "
			     "its seccomp profile must also allow bpf())");
		return;
	}
	close(mfd);
	/* A tracepoint program: what every probe needs, and more than the
	 * socket filters unprivileged users may load. */
	pfd = trial_load(BPF_PROG_TYPE_TRACEPOINT, 0, 0, why, sizeof(why));
	if (pfd < 0) {
		load_error(msg, sizeof(msg), -pfd, why);
		set(c, DOCTOR_FAIL, "bpf() creates maps but cannot load a tracepoint program: %s",
		    msg);
		if (pfd == -EPERM || pfd == -EACCES)
			hint(c, "run as root or grant CAP_BPF and CAP_PERFMON");
		return;
	}
	close(pfd);
	x->bpf_ok = true;
	set(c, DOCTOR_OK, "bpf() allowed: a map and a tracepoint program load");
}

static void read_caps(struct doctor_ctx *x)
{
	char line[256];
	long last;
	FILE *f;

	x->cap_last = read_int("/proc/sys/kernel/cap_last_cap", &last) ? -1 : (int)last;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			x->caps = v;
			x->caps_known = true;
			break;
		}
	}
	fclose(f);
}

static void check_capabilities(struct doctor_ctx *x)
{
	static const struct {
		int cap;
		const char *name;
		const char *for_what;
	} caps[] = {
		{ DR_CAP_BPF, "CAP_BPF", "maps and programs" },
		{ DR_CAP_PERFMON, "CAP_PERFMON", "tracing programs" },
		{ DR_CAP_NET_ADMIN, "CAP_NET_ADMIN", "xdp, tc and cgroup programs" },
		{ DR_CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "--bpf-stats, mounting tracefs and bpffs" },
	};
	struct doctor_check *c = add_check(x, "capabilities");
	char have[128] = "", missing[512] = "", old[128] = "";
	size_t nhave = 0, nmissing = 0, i;
	bool can_load;

	if (!x->caps_known) {
		set(c, DOCTOR_WARN, "cannot read CapEff from /proc/self/status");
		return;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!kernel_knows_cap(x, caps[i].cap)) {
			snprintf(old + strlen(old), sizeof(old) - strlen(old), "%s%s",
				 *old ? " and " : "", caps[i].name);
		} else if (has_cap(x, caps[i].cap)) {
			snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s",
				 nhave++ ? " " : "", caps[i].name);
		} else {
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s (%s)", nmissing++ ? ", " : "", caps[i].name,
				 caps[i].for_what);
		}
	}
	/* Before 5.8 CAP_SYS_ADMIN was the only way in. */
	can_load = has_cap(x, DR_CAP_SYS_ADMIN) ||
		   (kernel_knows_cap(x, DR_CAP_BPF) && has_cap(x, DR_CAP_BPF) &&
		    has_cap(x, DR_CAP_PERFMON));
	if (!nmissing) {
		set(c, DOCTOR_OK, "effective: %s%s%s%s", have, *old ? " (the kernel has no " : "",
		    old, *old ? ")" : "");
		return;
	}
	set(c, can_load ? DOCTOR_WARN : DOCTOR_FAIL, "effective: %s; missing: %s",
	    nhave ? have : "none of them", missing);
	if (!can_load)
		hint(c, "run as root or grant CAP_BPF and CAP_PERFMON (setcap, or systemd "
		     "AmbientCapabilities=)");
	else
		hint(c, "grant the missing capabilities for what they allow (setcap, or systemd "
		     "AmbientCapabilities=)");
}

static void check_unprivileged(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "unprivileged_bpf_disabled");
	long v;
	int err;

	err = read_int("/proc/sys/kernel/unprivileged_bpf_disabled", &v);
	if (err) {
		set(c, DOCTOR_WARN, "cannot read /proc/sys/kernel/unprivileged_bpf_disabled: %s",
		    strerror(-err));
		return;
	}
	/* Informational: ebpfctl's programs need privilege whatever it says. */
	if (v == 0)
		set(c, DOCTOR_OK, "0: users without privilege may load socket filters "
		    "(tracing programs always need CAP_BPF and CAP_PERFMON)");
	else if (v == 1)
		set(c, DOCTOR_OK, "1: bpf() needs privilege (fixed until reboot)");
	else if (v == 2)
		set(c, DOCTOR_OK, "2: bpf() needs privilege (an admin may set 0)");
	else
		set(c, DOCTOR_OK, "%ld", v);
}

static void check_tracefs(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "tracefs");

	if (*x->tracefs) {
		set(c, DOCTOR_OK, "mounted on %s", x->tracefs);
		return;
	}
	if (!kernel_has_fs("tracefs")) {
		set(c, DOCTOR_WARN, "the kernel has no tracefs: tracepoint/ programs cannot "
		    "attach (raw_tp/ and tp_btf/ can)");
		hint(c, "attach to raw_tp/ or tp_btf/ instead of tracepoint/");
		return;
	}
	/* Looking inside would mount it: debugfs automounts tracefs there. */
	if (*x->debugfs) {
		set(c, DOCTOR_OK, "not mounted, but appears in %s/tracing on first use (debugfs "
		    "is mounted)", x->debugfs);
		return;
	}
	set(c, DOCTOR_WARN, "not mounted (ebpfctl run mounts it on /sys/kernel/tracing for "
	    "tracepoint/ programs and unmounts it at exit)");
	hint(c, "mount -t tracefs nodev /sys/kernel/tracing, to list tracepoints yourself");
}

static void check_bpffs(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "bpffs");

	if (!strcmp(x->bpffs, "/sys/fs/bpf")) {
		set(c, DOCTOR_OK, "mounted on /sys/fs/bpf");
		return;
	}
	if (*x->bpffs)
		set(c, DOCTOR_WARN, "not on /sys/fs/bpf (mounted on %s); ebpfctl run mounts one "
		    "on /sys/fs/bpf when a probe pins maps", x->bpffs);
	else
		set(c, DOCTOR_WARN, "not mounted on /sys/fs/bpf (only probes that pin maps need "
		    "it; ebpfctl run mounts one there for them)");
	hint(c, "mount -t bpf bpf /sys/fs/bpf");
}

static void check_cgroup2(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "cgroup2");

	if (!*x->cgroup2) {
		set(c, DOCTOR_WARN, "no cgroup2 mount: cgroup programs have nothing to attach to");
		hint(c, "mount -t cgroup2 none /sys/fs/cgroup/unified (or boot with "
		     "systemd.unified_cgroup_hierarchy=1)");
		return;
	}
	if (!strcmp(x->cgroup2, "/sys/fs/cgroup"))
		set(c, DOCTOR_OK, "mounted on /sys/fs/cgroup (unified hierarchy)");
	else if (*x->cgroup_root_type)
		set(c, DOCTOR_OK, "mounted on %s (hybrid: /sys/fs/cgroup is %s with v1 "
		    "controllers)", x->cgroup2, x->cgroup_root_type);
	else
		set(c, DOCTOR_OK, "mounted on %s", x->cgroup2);
}

static void check_kprobes(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "kprobes");
	int have;

	if (access(KPROBE_PMU, F_OK) == 0) {
		set(c, DOCTOR_OK, "kprobe PMU present: kprobe/, kretprobe/ and ksyscall/ "
		    "programs attach");
		return;
	}
	/* libbpf falls back to tracefs kprobe_events without the PMU (pre-4.17). */
	have = kallsyms_has("register_kprobe");
	if (have > 0) {
		set(c, DOCTOR_OK, "no kprobe PMU: libbpf attaches kprobes through tracefs "
		    "kprobe_events");
		return;
	}
	if (have == 0)
		set(c, DOCTOR_WARN, "not available: no kprobe PMU and no register_kprobe in "
		    "/proc/kallsyms (the kernel was built without CONFIG_KPROBES)");
	else
		set(c, DOCTOR_WARN, "not available: no kprobe PMU (" KPROBE_PMU ")");
	hint(c, "attach to tracepoint/, raw_tp/ or tp_btf/ instead of kprobe/, kretprobe/ or "
	     "ksyscall/");
}

/* Load and attach one program of type/attach on btf_id.  0, or -errno with
 * what failed in msg. */
static int trial_attach(enum bpf_prog_type type, enum bpf_attach_type attach, int btf_id,
			bool do_attach, char *msg, size_t msg_sz)
{
	char why[256];
	int pfd, lfd, err;

	pfd = trial_load(type, attach, btf_id, why, sizeof(why));
	if (pfd < 0) {
		char e[320];

		load_error(e, sizeof(e), -pfd, why);
		snprintf(msg, msg_sz, "load refused: %s", e);
		return pfd;
	}
	if (!do_attach) {
		close(pfd);
		return 0;
	}
	/* how libbpf 1.1 attaches fentry, fexit and lsm programs */
	lfd = bpf_raw_tracepoint_open(NULL, pfd);
	if (lfd < 0) {
		err = errno ? errno : EINVAL;
		close(pfd);
		snprintf(msg, msg_sz, "loads, but attach refused: %s", errstr(err));
		return -err;
	}
	close(lfd);
	close(pfd);
	return 0;
}

bool doctor_fentry_usable(void)
{
	static int known = -1;	/* the kernel does not change under a run */
	struct btf *btf;
	char msg[384];
	bool attach = true;
	int id;

	if (known >= 0)
		return known;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		known = 0;
		return false;
	}
	id = btf__find_by_name_kind(btf, "bpf_fentry_test1", BTF_KIND_FUNC);
	if (id < 0) {
		attach = false;
		id = btf__find_by_name_kind(btf, "vfs_read", BTF_KIND_FUNC);
	}
	known = id >= 0 && !trial_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, attach, msg, sizeof(msg));
	btf__free(btf);
	return known;
}

static void check_fentry(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "fentry/fexit");
	char ent[384] = "", ex[384] = "";
	const char *fn = "bpf_fentry_test1";
	int id, e1, e2;
	bool do_attach = true;

	if (!x->btf) {
		set(c, DOCTOR_WARN, "not tried: fentry/fexit programs need kernel BTF");
		return;
	}
	if (!x->bpf_ok) {
		set(c, DOCTOR_WARN, "not tried: bpf() is not permitted");
		return;
	}
	id = btf__find_by_name_kind(x->btf, fn, BTF_KIND_FUNC);
	if (id < 0) {
		/* Attaching to a hot function, even briefly, is not a doctor's
		 * business: load only. */
		fn = "vfs_read";
		do_attach = false;
		id = btf__find_by_name_kind(x->btf, fn, BTF_KIND_FUNC);
	}
	if (id < 0) {
		set(c, DOCTOR_WARN, "not tried: neither bpf_fentry_test1 nor vfs_read is in the "
		    "kernel BTF");
		return;
	}
	e1 = trial_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, do_attach, ent, sizeof(ent));
	e2 = trial_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, id, do_attach, ex, sizeof(ex));
	if (!e1 && !e2) {
		set(c, DOCTOR_OK, "fentry and fexit programs %s (trial on %s)",
		    do_attach ? "load and attach" : "load", fn);
		return;
	}
	if (e1 && e2 && !strcmp(ent, ex))
		set(c, DOCTOR_WARN, "trial on %s: fentry and fexit %s", fn, ent);
	else if (e1 && e2)
		set(c, DOCTOR_WARN, "trial on %s: fentry %s; fexit %s", fn, ent, ex);
	else
		set(c, DOCTOR_WARN, "trial on %s: %s %s; %s works", fn, e1 ? "fentry" : "fexit",
		    e1 ? ent : ex, e1 ? "fexit" : "fentry");
	if (e1 == -KERNEL_ENOTSUPP || e2 == -KERNEL_ENOTSUPP)
		hint(c, "this kernel or architecture has no BPF trampolines; attach to "
		     "tracepoint/, raw_tp/ or tp_btf/ instead");
	else
		hint(c, "this kernel refuses BPF trampoline programs (fentry, fexit, fmod_ret, "
		     "lsm); attach to tracepoint/, raw_tp/ or tp_btf/ instead");
}

static const char *lsm_id_name(uint64_t id)
{
	/* include/uapi/linux/lsm.h */
	static const char *names[] = {
		"capability", "selinux", "smack", "tomoyo", "apparmor", "yama", "loadpin",
		"safesetid", "lockdown", "bpf", "landlock", "ima", "evm", "ipe",
	};

	if (id >= 100 && id < 100 + sizeof(names) / sizeof(names[0]))
		return names[id - 100];
	return NULL;
}

/* The active LSMs, comma-separated, from securityfs or lsm_list_modules(2).
 * 0, or -errno when neither tells. */
static int active_lsms(const struct doctor_ctx *x, char *buf, size_t sz)
{
	char path[PATH_MAX + 8];

	if (*x->securityfs) {
		snprintf(path, sizeof(path), "%s/lsm", x->securityfs);
		if (read_line(path, buf, sz) == 0)
			return 0;
	}
#ifdef __NR_lsm_list_modules
	{
		uint64_t ids[64];
		uint32_t size = sizeof(ids);
		long n, i;
		size_t len = 0;

		n = syscall(__NR_lsm_list_modules, ids, &size, 0);
		if (n < 0)
			return -errno;
		buf[0] = '\0';
		for (i = 0; i < n && len < sz; i++) {
			const char *name = lsm_id_name(ids[i]);
			int w;

			if (name)
				w = snprintf(buf + len, sz - len, "%s%s", len ? "," : "", name);
			else
				w = snprintf(buf + len, sz - len, "%s%llu", len ? "," : "",
					     (unsigned long long)ids[i]);
			if (w < 0)
				break;
			len += w;
		}
		return 0;
	}
#else
	return -ENOSYS;
#endif
}

static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void check_bpf_lsm(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "bpf_lsm");
	char lsms[256], msg[384];
	bool known;
	int id, err;

	known = active_lsms(x, lsms, sizeof(lsms)) == 0;
	if (known && !list_has(lsms, "bpf")) {
		set(c, DOCTOR_WARN, "not active (lsm=%s): lsm/ programs load but are never run",
		    lsms);
		hint(c, "boot with lsm=%s,bpf (the kernel needs CONFIG_BPF_LSM=y)", lsms);
		return;
	}
	if (!x->btf) {
		set(c, DOCTOR_WARN, "not tried: lsm/ programs need kernel BTF");
		return;
	}
	id = btf__find_by_name_kind(x->btf, "bpf_lsm_file_open", BTF_KIND_FUNC);
	if (id < 0) {
		set(c, DOCTOR_WARN, "not available: no bpf_lsm_file_open in the kernel BTF (built "
		    "without CONFIG_BPF_LSM)");
		return;
	}
	if (!x->bpf_ok) {
		set(c, DOCTOR_WARN, "not tried: bpf() is not permitted");
		return;
	}
	err = trial_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id, true, msg, sizeof(msg));
	if (err) {
		set(c, DOCTOR_WARN, "%s%s%s; trial lsm/file_open program %s",
		    known ? "active (lsm=" : "active LSMs unknown", known ? lsms : "",
		    known ? ")" : "", msg);
		if (err == -EPERM)
			hint(c, "lsm/ programs run on BPF trampolines, which this kernel refuses "
			     "(see fentry/fexit)");
		return;
	}
	if (!known) {
		set(c, DOCTOR_WARN, "a trial lsm/file_open program loads and attaches, but whether "
		    "the BPF LSM is active is unknown (securityfs not mounted)");
		hint(c, "mount -t securityfs securityfs /sys/kernel/security and run doctor again");
		return;
	}
	set(c, DOCTOR_OK, "active (lsm=%s); a trial lsm/file_open program loads and attaches",
	    lsms);
}

static void check_ringbuf(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "ringbuf");
	long page = sysconf(_SC_PAGESIZE);
	int fd, err;

	if (!x->bpf_ok) {
		set(c, DOCTOR_WARN, "not tried: bpf() is not permitted");
		return;
	}
	/* the smallest ring buffer: one page */
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, TRIAL_NAME, 0, 0, page > 0 ? page : 4096, NULL);
	if (fd < 0) {
		err = errno;
		set(c, DOCTOR_WARN, "cannot create a ring buffer map: %s (they are in Linux 5.8 "
		    "and newer)", errstr(err));
		hint(c, "declare print maps as BPF_MAP_TYPE_PERF_EVENT_ARRAY instead");
		return;
	}
	close(fd);
	set(c, DOCTOR_OK, "a BPF_MAP_TYPE_RINGBUF map is created");
}

static void check_bpf_stats(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "bpf_stats");
	long v;
	int err;

	err = read_int("/proc/sys/kernel/bpf_stats_enabled", &v);
	if (err) {
		set(c, DOCTOR_WARN, "cannot read /proc/sys/kernel/bpf_stats_enabled: %s (Linux "
		    "5.1 and newer have it)", strerror(-err));
		hint(c, "without it, programs' run time is not measured");
		return;
	}
	if (v) {
		set(c, DOCTOR_OK, "on: the kernel counts every program's runs and run time");
		return;
	}
	if (has_cap(x, DR_CAP_SYS_ADMIN)) {
		set(c, DOCTOR_OK, "off (ebpfctl run --bpf-stats turns it on for a run)");
		return;
	}
	set(c, DOCTOR_WARN, "off, and --bpf-stats needs CAP_SYS_ADMIN to turn it on");
	hint(c, "sysctl -w kernel.bpf_stats_enabled=1 as root, or grant CAP_SYS_ADMIN");
}

static void fmt_limit(rlim_t v, char *buf, size_t sz)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, sz, "unlimited");
	else
		snprintf(buf, sz, "%llu KiB", (unsigned long long)v / 1024);
}

static void check_memlock(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "memlock");
	char cur[32];

	if (x->memlock_err) {
		set(c, DOCTOR_WARN, "getrlimit(RLIMIT_MEMLOCK): %s", strerror(x->memlock_err));
		return;
	}
	fmt_limit(x->memlock.rlim_cur, cur, sizeof(cur));
	if (x->memlock.rlim_cur == RLIM_INFINITY) {
		set(c, DOCTOR_OK, "unlimited");
		return;
	}
	if (kernel_at_least(x, 5, 11)) {
		set(c, DOCTOR_OK, "%s, which does not limit BPF here: Linux 5.11 and newer charge "
		    "BPF memory to the memory cgroup", cur);
		return;
	}
	/* libbpf sets RLIMIT_MEMLOCK to infinity itself when it may. */
	if (has_cap(x, DR_CAP_SYS_RESOURCE) ||
	    x->memlock.rlim_max == RLIM_INFINITY) {
		set(c, DOCTOR_OK, "%s; this kernel charges BPF maps to it, and libbpf raises it "
		    "to unlimited when loading", cur);
		return;
	}
	set(c, DOCTOR_WARN, "%s: this kernel (before 5.11) charges BPF maps to it and libbpf "
	    "cannot raise it (no CAP_SYS_RESOURCE); large maps fail with EPERM", cur);
	hint(c, "ulimit -l unlimited (or LimitMEMLOCK=infinity in a systemd unit)");
}

static void check_clang(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "clang");
	struct rerr err = {};
	char ver[256];

	if (builder_find_clang(NULL, x->clang, sizeof(x->clang), &err)) {
		x->clang[0] = '\0';
		set(c, DOCTOR_WARN, "not found on PATH: ebpfctl build cannot compile probes "
		    "(ebpfctl run does not need it)");
		hint(c, "apt-get install clang llvm (Fedora: dnf install clang llvm), or "
		     "ebpfctl build --clang PATH");
		return;
	}
	tool_version(x->clang, ver, sizeof(ver));
	set(c, DOCTOR_OK, "%s%s%s", x->clang, *ver ? ": " : "", ver);
}


static void check_llvm(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "llvm-strip");
	char path[PATH_MAX];

	if (builder_find_strip(x->clang, path, sizeof(path))) {
		set(c, DOCTOR_WARN, "not found beside clang or on PATH: objects from ebpfctl build "
		    "keep their DWARF debug info");
		hint(c, "apt-get install llvm (Fedora: dnf install llvm)");
		return;
	}
	set(c, DOCTOR_OK, "%s (ebpfctl build strips DWARF with it)", path);
}

static void check_bpftool(struct doctor_ctx *x)
{
	struct doctor_check *c = add_check(x, "bpftool");
	char path[PATH_MAX], ver[256];

	if (path_search("bpftool", path, sizeof(path))) {
		set(c, DOCTOR_WARN, "not found on PATH (optional: ebpfctl build writes vmlinux.h "
		    "itself; bpftool shows loaded programs and maps)");
		hint(c, "apt-get install bpftool (Ubuntu: linux-tools-common); Debian puts it in "
		     "/usr/sbin");
		return;
	}
	tool_version(path, ver, sizeof(ver));
	/* bpftool names itself by the path it was run as: "/usr/sbin/bpftool v7.1.0" */
	if (!strncmp(ver, path, strlen(path)) && ver[strlen(path)] == ' ')
		set(c, DOCTOR_OK, "%s", ver);
	else
		set(c, DOCTOR_OK, "%s%s%s", path, *ver ? ": " : "", ver);
}

int doctor_run(struct doctor_report *rep)
{
	struct doctor_ctx *x;
	libbpf_print_fn_t old_print;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->rep = rep;
	rep->n = 0;
	/* Before any bpf() call: libbpf raises the limit on kernels that
	 * still charge BPF memory to it, and we report what we were given. */
	if (getrlimit(RLIMIT_MEMLOCK, &x->memlock))
		x->memlock_err = errno;
	/* libbpf warns on stderr about what a check expects to fail. */
	old_print = libbpf_set_print(silent_print);
	read_caps(x);
	scan_mounts(x);

	check_kernel(x);
	check_btf(x);
	check_bpf(x);
	check_capabilities(x);
	check_unprivileged(x);
	check_tracefs(x);
	check_bpffs(x);
	check_cgroup2(x);
	check_kprobes(x);
	check_fentry(x);
	check_bpf_lsm(x);
	check_ringbuf(x);
	check_bpf_stats(x);
	check_memlock(x);
	check_clang(x);
	check_llvm(x);
	check_bpftool(x);

	libbpf_set_print(old_print);
	btf__free(x->btf);
	free(x);
	return 0;
}
