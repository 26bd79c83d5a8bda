// SPDX-License-Identifier: MIT
/* Probe compilation: clang + vmlinux.h + solo_types.h, the way libbpf-tools
 * builds its objects (-g -O2 -target bpf -D__TARGET_ARCH_x, llvm-strip -g). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "builder.h"
#include "readfile.h"
#include "pathsearch.h"
#include "decl_order.h"
#include "rerr.h"
#include "strbuf.h"

#ifndef EBPFCTL_INCDIR
#define EBPFCTL_INCDIR "/usr/local/include/ebpfctl"
#endif

extern char **environ;

#define CLANG_HINT "install clang and llvm (Debian/Ubuntu: apt-get install clang llvm; " \
		   "Fedora: dnf install clang llvm) or pass --clang PATH; builder/README.md " \
		   "describes a container build"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}


static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}



int builder_find_clang(const char *want, char *buf, size_t sz, struct rerr *err)
{
	char name[32];
	int v;

	if (want && strchr(want, '/')) {
		if (!path_is_exec(want)) {
			int e = errno ? errno : ENOENT;

			if (access(want, F_OK) == 0 && !is_dir(want))
				e = EACCES;
			rerr_set(err, -e, "clang: %s: %s", want, strerror(e));
			rerr_hint(err, CLANG_HINT);
			return -e;
		}
		if ((size_t)snprintf(buf, sz, "%s", want) >= sz)
			return rerr_set(err, -ENAMETOOLONG, "clang: %s: path too long", want);
		return 0;
	}
	if (want) {
		if (path_search(want, buf, sz) == 0)
			return 0;
		rerr_set(err, -ENOENT, "clang: '%s' not found on PATH", want);
		rerr_hint(err, CLANG_HINT);
		return -ENOENT;
	}
	if (path_search("clang", buf, sz) == 0)
		return 0;
	/* Debian/Ubuntu install versioned binaries without the bare name
	 * unless the unversioned `clang` package is installed too. */
	v = path_newest_versioned("clang-");
	if (v >= 0) {
		snprintf(name, sizeof(name), "clang-%d", v);
		if (path_search(name, buf, sz) == 0)
			return 0;
	}
	rerr_set(err, -ENOENT, "clang: not found on PATH");
	rerr_hint(err, CLANG_HINT);
	return -ENOENT;
}

/* llvm-strip from clang's own directory (/usr/lib/llvm-14/bin), else PATH. */
int builder_find_strip(const char *clang, char *buf, size_t sz)
{
	char real[PATH_MAX], name[32];
	char *slash;
	int v;

	if (realpath(clang, real)) {
		slash = strrchr(real, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(buf, sz, "%s/llvm-strip", real) < sz && path_is_exec(buf))
				return 0;
			/* clang-14 beside llvm-strip-14 */
			slash = strrchr(clang, '-');
			if (slash && slash[1] >= '0' && slash[1] <= '9' &&
			    (size_t)snprintf(buf, sz, "%s/llvm-strip%s", real, slash) < sz &&
			    path_is_exec(buf))
				return 0;
		}
	}
	if (path_search("llvm-strip", buf, sz) == 0)
		return 0;
	v = path_newest_versioned("llvm-strip-");
	if (v >= 0) {
		snprintf(name, sizeof(name), "llvm-strip-%d", v);
		if (path_search(name, buf, sz) == 0)
			return 0;
	}
	return -ENOENT;
}

const char *builder_target_arch(void)
{
	static const struct {
		const char *prefix;
		const char *arch;
	} map[] = {
		{ "x86_64", "x86" }, { "i386", "x86" }, { "i486", "x86" }, { "i586", "x86" },
		{ "i686", "x86" }, { "aarch64", "arm64" }, { "arm64", "arm64" }, { "arm", "arm" },
		{ "ppc", "powerpc" }, { "s390", "s390" }, { "riscv", "riscv" },
		{ "mips", "mips" }, { "loongarch", "loongarch" }, { "sparc", "sparc" },
	};
	static struct utsname u;
	size_t i;

	if (!u.machine[0] && uname(&u))
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(u.machine, map[i].prefix, strlen(map[i].prefix)))
			return map[i].arch;
	return NULL;
}

int builder_default_output(const char *source, char *buf, size_t sz)
{
	size_t n = strlen(source);
	const char *base = strrchr(source, '/');

	base = base ? base + 1 : source;
	if (n > 2 && !strcmp(source + n - 2, ".c") && strlen(base) > 2)
		n -= 2;
	if ((size_t)snprintf(buf, sz, "%.*s.o", (int)n, source) >= sz)
		return -ENAMETOOLONG;
	return 0;
}

static bool has_solo_types(const char *dir)
{
	char p[PATH_MAX];

	return (size_t)snprintf(p, sizeof(p), "%s/solo_types.h", dir) < sizeof(p) && is_file(p);
}

/* 0 when dir (relative to exedir) holds solo_types.h; its real path in buf. */
static int try_include(const char *exedir, const char *rel, char *buf, size_t sz)
{
	char cand[PATH_MAX + 32], real[PATH_MAX];

	if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", exedir, rel) >= sizeof(cand))
		return -ENAMETOOLONG;
	if (!has_solo_types(cand) || !realpath(cand, real))
		return -ENOENT;
	if ((size_t)snprintf(buf, sz, "%s", real) >= sz)
		return -ENAMETOOLONG;
	return 0;
}

int builder_include_dir(char *buf, size_t sz)
{
	const char *env = getenv("EBPFCTL_INCLUDE");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return (size_t)snprintf(buf, sz, "%s", env) < sz ? 0 : -ENAMETOOLONG;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	/* build/ebpfctl in a source tree: the tree's own headers win over an
	 * older installed copy. */
	if (n > 0 && try_include(exe, "../include", buf, sz) == 0)
		return 0;
	if (has_solo_types(EBPFCTL_INCDIR))
		return (size_t)snprintf(buf, sz, "%s", EBPFCTL_INCDIR) < sz ? 0 : -ENAMETOOLONG;
	/* installed under another prefix than the one compiled in */
	if (n > 0 && try_include(exe, "../include/ebpfctl", buf, sz) == 0)
		return 0;
	return -ENOENT;
}


static bool usable_dir(const char *dir, mode_t mode)
{
	return mkdir_p(dir, mode) == 0 && access(dir, W_OK | X_OK) == 0;
}

int builder_cache_dir(char *buf, size_t sz, struct rerr *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct stat st;

	if (xdg && *xdg == '/' && (size_t)snprintf(buf, sz, "%s/ebpfctl", xdg) < sz &&
	    usable_dir(buf, 0755))
		return 0;
	/* a HOME that does not exist (daemons, sudo -H oddities) is not created */
	if (home && *home == '/' && !stat(home, &st) && S_ISDIR(st.st_mode) &&
	    (size_t)snprintf(buf, sz, "%s/.cache/ebpfctl", home) < sz && usable_dir(buf, 0755))
		return 0;
	/* Shared /var/tmp: a private per-user directory we own. */
	snprintf(buf, sz, "/var/tmp/ebpfctl-%u", (unsigned int)getuid());
	if (mkdir(buf, 0700) && errno != EEXIST)
		return rerr_set(err, -errno, "cache dir %s: %s", buf, strerror(errno));
	if (lstat(buf, &st))
		return rerr_set(err, -errno, "cache dir %s: %s", buf, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return rerr_set(err, -EPERM, "cache dir %s: not a directory owned by uid %u", buf,
				(unsigned int)getuid());
	return 0;
}

static void vmlinux_printf(void *ctx, const char *fmt, va_list ap)
{
	vfprintf(ctx, fmt, ap);
}

/* libbpf prints its own warnings to stderr unless told otherwise; the
 * builder reports through struct rerr instead. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	rdebug("libbpf: %s", msg);
	return 0;
}

static int btf_error(struct rerr *err, const char *btf_path, int e)
{
	const char *why = strerror(e);

	if (e == ENOENT)
		why = "no kernel BTF (No such file or directory)";
	else if (e >= 4000 || e == EINVAL || e == EPROTO)
		why = "not BTF (neither raw BTF nor an ELF file with a .BTF section)";
	rerr_set(err, -e, "vmlinux.h: %s: %s", btf_path, why);
	if (e == EACCES || e == EPERM)
		rerr_hint(err, "make %s readable, or pass --btf FILE", btf_path);
	else if (!strcmp(btf_path, BUILDER_DEFAULT_BTF))
		rerr_hint(err, "the kernel needs CONFIG_DEBUG_INFO_BTF=y; or pass --btf FILE with the "
			  "target kernel's BTF (raw BTF or a vmlinux ELF with .BTF)");
	else
		rerr_hint(err, "--btf takes raw BTF (a copy of /sys/kernel/btf/vmlinux from the "
			  "target machine) or a vmlinux ELF with a .BTF section");
	return e >= 4000 ? -EINVAL : -e;
}

static const char vmlinux_head[] =
	"#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
	"#endif\n\n";
static const char vmlinux_tail[] =
	"\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
	"#endif /* __VMLINUX_H__ */\n";

/* The first line of a cached vmlinux.h: it names the BTF it came from, so a
 * kernel rebuilt under the same release string is noticed. */
static int stamp_line(const char *btf_path, char *buf, size_t sz, struct rerr *err)
{
	struct stat st;

	if (stat(btf_path, &st))
		return btf_error(err, btf_path, errno);
	snprintf(buf, sz, "/* vmlinux.h generated by ebpfctl from %s (%lld bytes) */\n", btf_path,
		 (long long)st.st_size);
	return 0;
}

int builder_write_vmlinux_h(const char *btf_path, const char *path, struct rerr *err)
{
	libbpf_print_fn_t old_print;
	struct btf_dump *d = NULL;
	struct btf *btf = NULL;
	char tmp[PATH_MAX], stamp[PATH_MAX + 96];
	FILE *f = NULL;
	__u32 id, n;
	int ret, fd;

	ret = stamp_line(btf_path, stamp, sizeof(stamp), err);
	if (ret)
		return ret;
	old_print = libbpf_set_print(quiet_libbpf);
	btf = btf__parse(btf_path, NULL);
	if (!btf) {
		ret = btf_error(err, btf_path, errno ? errno : EINVAL);
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp)) {
		ret = rerr_set(err, -ENAMETOOLONG, "vmlinux.h: %s: path too long", path);
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = rerr_set(err, -errno, "vmlinux.h: %s: %s", tmp, strerror(errno));
		goto out;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		ret = rerr_set(err, -errno, "vmlinux.h: %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	d = btf_dump__new(btf, vmlinux_printf, f, NULL);
	if (!d) {
		ret = rerr_set(err, -errno, "vmlinux.h: btf_dump: %s", strerror(errno));
		goto fail;
	}
	fputs(stamp, f);
	fputs(vmlinux_head, f);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		ret = btf_dump__dump_type(d, id);
		if (ret) {
			rerr_set(err, ret, "vmlinux.h: dumping BTF type %u of %s: %s", id, btf_path,
				 strerror(-ret));
			goto fail;
		}
	}
	fputs(vmlinux_tail, f);
	if (fflush(f) || ferror(f)) {
		ret = rerr_set(err, -errno, "vmlinux.h: writing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fclose(f)) {
		f = NULL;
		ret = rerr_set(err, -errno, "vmlinux.h: writing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path)) {
		ret = rerr_set(err, -errno, "vmlinux.h: %s: %s", path, strerror(errno));
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	if (f)
		fclose(f);
	unlink(tmp);
out:
	btf_dump__free(d);
	btf__free(btf);
	libbpf_set_print(old_print);
	return ret;
}

/* FNV-1a over the file: the cache key for a --btf file that is not the
 * running kernel's. */
static int hash_file(const char *path, uint64_t *h, struct rerr *err)
{
	unsigned char buf[65536];
	ssize_t n, i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return btf_error(err, path, errno);
	*h = 1469598103934665603ULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			*h = (*h ^ buf[i]) * 1099511628211ULL;
	if (n < 0) {
		int e = errno;

		close(fd);
		return btf_error(err, path, e);
	}
	close(fd);
	return 0;
}

static bool cache_fresh(const char *path, const char *stamp)
{
	char line[PATH_MAX + 96];
	bool ok = false;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f) && !strcmp(line, stamp)) {
		/* and it is whole: a cut-short file (disk full, killed writer
		 * before the rename existed) lacks the closing guard */
		static const char tail[] = "#endif /* __VMLINUX_H__ */\n";
		char end[sizeof(tail)] = "";

		ok = !fseek(f, -(long)(sizeof(tail) - 1), SEEK_END) &&
		     fread(end, 1, sizeof(tail) - 1, f) == sizeof(tail) - 1 && !strcmp(end, tail);
	}
	fclose(f);
	return ok;
}

int builder_vmlinux_dir(const char *btf_path, char *dir, size_t dir_sz, struct rerr *err)
{
	char root[PATH_MAX], path[PATH_MAX + 16], stamp[PATH_MAX + 96];
	struct utsname u;
	uint64_t h = 0;
	int ret;

	if (!btf_path)
		btf_path = BUILDER_DEFAULT_BTF;
	ret = stamp_line(btf_path, stamp, sizeof(stamp), err);
	if (ret)
		return ret;
	ret = builder_cache_dir(root, sizeof(root), err);
	if (ret)
		return ret;
	if (!strcmp(btf_path, BUILDER_DEFAULT_BTF)) {
		if (uname(&u))
			return rerr_set(err, -errno, "uname: %s", strerror(errno));
		ret = snprintf(dir, dir_sz, "%s/%s", root, u.release);
	} else {
		ret = hash_file(btf_path, &h, err);
		if (ret)
			return ret;
		ret = snprintf(dir, dir_sz, "%s/btf-%016llx", root, (unsigned long long)h);
	}
	if (ret < 0 || (size_t)ret >= dir_sz)
		return rerr_set(err, -ENAMETOOLONG, "cache dir %s: path too long", root);
	ret = mkdir_p(dir, 0755);
	if (ret)
		return rerr_set(err, ret, "cache dir %s: %s", dir, strerror(-ret));
	snprintf(path, sizeof(path), "%s/vmlinux.h", dir);
	if (cache_fresh(path, stamp))
		return 0;
	rinfo("generating %s from %s", path, btf_path);
	ret = builder_write_vmlinux_h(btf_path, path, err);
	if (ret)
		rmdir(dir);	/* only succeeds if we left it empty */
	return ret;
}

int builder_split_flags(const char *s, char ***argv, int *argc, struct rerr *err)
{
	size_t len = strlen(s);
	char *word, *w;
	char quote = 0;
	bool in_word = false;
	const char *p;

	word = malloc(len + 1);
	if (!word)
		return rerr_set(err, -ENOMEM, "--cflags: out of memory");
	w = word;
	for (p = s; ; p++) {
		char c = *p;
		bool end = !c || (!quote && (c == ' ' || c == '\t' || c == '\n'));

		if (end) {
			if (!c && quote) {
				free(word);
				return rerr_usage(err, -EINVAL, "--cflags: unterminated %c quote in '%s'",
						  quote, s);
			}
			if (in_word) {
				char **nv = realloc(*argv, (*argc + 2) * sizeof(char *));

				*w = '\0';
				if (!nv || !(nv[*argc] = strdup(word))) {
					if (nv)
						*argv = nv;
					free(word);
					return rerr_set(err, -ENOMEM, "--cflags: out of memory");
				}
				nv[++*argc] = NULL;
				*argv = nv;
				w = word;
				in_word = false;
			}
			if (!c)
				break;
			continue;
		}
		in_word = true;
		if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == '\\' && quote == '"' && p[1])
				*w++ = *++p;
			else
				*w++ = c;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '\\' && p[1]) {
			*w++ = *++p;
		} else {
			*w++ = c;
		}
	}
	free(word);
	return 0;
}

/* What clang's diagnostics said that deserves a hint. */
struct diag_scan {
	char line[1024];
	size_t len;
	bool no_vmlinux, no_solo, no_libbpf;
};

static void scan_line(struct diag_scan *d)
{
	d->line[d->len] = '\0';
	if (strstr(d->line, "file not found")) {
		if (strstr(d->line, "'vmlinux.h'"))
			d->no_vmlinux = true;
		else if (strstr(d->line, "'solo_types.h'"))
			d->no_solo = true;
		else if (strstr(d->line, "'bpf/"))
			d->no_libbpf = true;
	}
	d->len = 0;
}

static void scan_bytes(struct diag_scan *d, const char *p, size_t n)
{
	for (; n; n--, p++) {
		if (*p == '\n')
			scan_line(d);
		else if (d->len < sizeof(d->line) - 1)
			d->line[d->len++] = *p;
	}
}

/* Write all of buf to fd 2, tolerating short writes and EINTR. */
static void copy_stderr(const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= w;
	}
}

/* Run argv[0] with stdin/stdout inherited.  Its stderr goes through a pipe
 * and is copied to ours byte for byte (so diagnostics appear exactly as the
 * tool printed them) while scan (if any) looks for missing headers. */
static int spawn_wait(char *const argv[], int *status, struct diag_scan *scan, struct rerr *err)
{
	posix_spawn_file_actions_t fa;
	int pfd[2] = { -1, -1 };
	char buf[4096];
	ssize_t n;
	pid_t pid;
	int ret;

	if (scan && pipe2(pfd, O_CLOEXEC))
		return rerr_set(err, -errno, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	if (scan)
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (scan)
		close(pfd[1]);
	if (ret) {
		if (scan)
			close(pfd[0]);
		return rerr_set(err, -ret, "%s: %s", argv[0], strerror(ret));
	}
	if (scan) {
		while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			copy_stderr(buf, n);
			scan_bytes(scan, buf, n);
		}
		if (scan->len)
			scan_line(scan);
		close(pfd[0]);
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return rerr_set(err, -errno, "waitpid %s: %s", argv[0], strerror(errno));
	}
	return 0;
}

/* The command line as a shell would need it, for -v. */
static void log_command(char *const argv[])
{
	struct strbuf sb = {};
	const char *p;
	int i;

	for (i = 0; argv[i]; i++) {
		if (i)
			sb_putc(&sb, ' ');
		if (argv[i][0] && !argv[i][strcspn(argv[i], " \t\n'\"\\$`*?[]{}()<>|&;#~")]) {
			sb_puts(&sb, argv[i]);
			continue;
		}
		sb_putc(&sb, '\'');
		for (p = argv[i]; *p; p++) {
			if (*p == '\'')
				sb_puts(&sb, "'\\''");
			else
				sb_putc(&sb, *p);
		}
		sb_putc(&sb, '\'');
	}
	rinfo("%s", sb_cstr(&sb));
	sb_free(&sb);
}

static bool mentions_vmlinux_h(const char *source)
{
	char *buf;
	bool hit = false;
	FILE *f;
	size_t n;

	f = fopen(source, "r");
	if (!f)
		return false;
	buf = malloc(1 << 20);
	if (buf) {
		n = fread(buf, 1, (1 << 20) - 1, f);
		buf[n] = '\0';
		hit = strstr(buf, "vmlinux.h") != NULL;
		free(buf);
	}
	fclose(f);
	return hit;
}

/* Debian's multiarch include dir (/usr/include/x86_64-linux-gnu). */
static int multiarch_dir(char *buf, size_t sz)
{
	static const char *const suffix[] = { "-linux-gnu", "-linux-gnueabihf", "-linux-gnueabi" };
	struct utsname u;
	size_t i;

	if (uname(&u))
		return -errno;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
		if ((size_t)snprintf(buf, sz, "/usr/include/%s%s", u.machine, suffix[i]) < sz &&
		    is_dir(buf))
			return 0;
	return -ENOENT;
}

static bool libbpf_headers_present(void)
{
	return is_file("/usr/include/bpf/bpf_helpers.h") ||
	       is_file("/usr/local/include/bpf/bpf_helpers.h");
}

static void describe_status(char *buf, size_t sz, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, sz, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sz, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sz, "failed (status 0x%x)", status);
}

/* Strip DWARF (BTF stays).  The maps' declaration order lives only in
 * DWARF, so it is kept first as the DECL_ORDER_SEC note (decl_order.c),
 * with llvm-objcopy from beside llvm-strip (they are one program); without
 * it, a plain `llvm-strip -g` (families then follow first use). */
static int strip_object(const char *strip, const char *obj, const char *source, bool verbose,
			struct rerr *err)
{
	char objcopy[PATH_MAX], order[PATH_MAX + 8], arg[PATH_MAX + 40], how[128];
	const char *base = strrchr(strip, '/');
	char *sargv[] = { (char *)strip, "-g", (char *)obj, NULL };
	char *oargv[] = { objcopy, "--strip-debug", "--add-section", arg, (char *)obj, NULL };
	char **argv = sargv;
	int status, ret;

	base = base ? base + 1 : strip;
	if (!strncmp(base, "llvm-strip", 10) &&
	    (size_t)snprintf(objcopy, sizeof(objcopy), "%.*sllvm-objcopy%s", (int)(base - strip), strip,
			     base + 10) < sizeof(objcopy) && path_is_exec(objcopy) &&
	    (size_t)snprintf(order, sizeof(order), "%s.order", obj) < sizeof(order) &&
	    !decl_order_write(obj, order)) {
		snprintf(arg, sizeof(arg), DECL_ORDER_SEC "=%s", order);
		argv = oargv;
	}
	if (verbose)
		log_command(argv);
	ret = spawn_wait(argv, &status, NULL, err);
	if (argv == oargv)
		unlink(order);
	if (ret)
		return ret;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		describe_status(how, sizeof(how), status);
		return rerr_set(err, -EIO, "build %s: %s %s %s", source, argv[0], argv[1], how);
	}
	return 0;
}

#define MAX_FIXED_ARGS 24

int builder_build(const struct build_opts *opts, struct rerr *err)
{
	char clang[PATH_MAX], strip[PATH_MAX], out[PATH_MAX], tmp[PATH_MAX + 32];
	char incdir[PATH_MAX], vmdir[PATH_MAX], multiarch[PATH_MAX];
	char arch_def[64], how[128];
	struct rerr vm_err = {};
	struct diag_scan scan = {};
	bool have_inc, have_vm;
	const char *arch;
	struct stat st;
	char **argv = NULL;
	int argc = 0, i, status, ret, fd;

	if (stat(opts->source, &st))
		return rerr_set(err, -errno, "%s: %s", opts->source, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return rerr_set(err, -EISDIR, "%s: %s", opts->source, strerror(EISDIR));
	if (access(opts->source, R_OK))
		return rerr_set(err, -errno, "%s: %s", opts->source, strerror(errno));
	if (opts->output) {
		if ((size_t)snprintf(out, sizeof(out), "%s", opts->output) >= sizeof(out))
			return rerr_set(err, -ENAMETOOLONG, "%s: path too long", opts->output);
	} else if (builder_default_output(opts->source, out, sizeof(out))) {
		return rerr_set(err, -ENAMETOOLONG, "%s: path too long", opts->source);
	}
	if (!strcmp(out, opts->source))
		return rerr_usage(err, -EINVAL, "build: output %s would overwrite the source", out);
	ret = builder_find_clang(opts->clang, clang, sizeof(clang), err);
	if (ret)
		return ret;
	arch = builder_target_arch();
	if (!arch)
		return rerr_set(err, -ENOTSUP, "build: unknown host architecture for __TARGET_ARCH_");
	snprintf(arch_def, sizeof(arch_def), "-D__TARGET_ARCH_%s", arch);

	if (opts->include_dir)
		have_inc = snprintf(incdir, sizeof(incdir), "%s", opts->include_dir) < (int)sizeof(incdir);
	else
		have_inc = builder_include_dir(incdir, sizeof(incdir)) == 0;

	/* A probe that does not use vmlinux.h (uapi headers only) still builds
	 * on a kernel without BTF; one that does gets the BTF error up front. */
	have_vm = builder_vmlinux_dir(opts->btf_path, vmdir, sizeof(vmdir), &vm_err) == 0;
	if (!have_vm && (opts->btf_path || mentions_vmlinux_h(opts->source))) {
		*err = vm_err;
		return vm_err.code ? vm_err.code : -EINVAL;
	}

	argv = calloc(MAX_FIXED_ARGS + opts->n_cflags + 1, sizeof(char *));
	if (!argv)
		return rerr_set(err, -ENOMEM, "build: out of memory");
	argv[argc++] = clang;
	argv[argc++] = "-g";
	argv[argc++] = "-O2";
	argv[argc++] = "-target";
	argv[argc++] = "bpf";
	argv[argc++] = arch_def;
	if (have_vm) {
		argv[argc++] = "-I";
		argv[argc++] = vmdir;
	}
	if (have_inc) {
		argv[argc++] = "-I";
		argv[argc++] = incdir;
	}
	/* <asm/types.h> for probes written against uapi headers */
	if (multiarch_dir(multiarch, sizeof(multiarch)) == 0) {
		argv[argc++] = "-idirafter";
		argv[argc++] = multiarch;
	}
	/* clang sees a pipe: keep its colours when the user has a terminal */
	if (isatty(STDERR_FILENO))
		argv[argc++] = "-fcolor-diagnostics";
	for (i = 0; i < opts->n_cflags; i++)
		argv[argc++] = opts->cflags[i];
	argv[argc++] = "-c";
	argv[argc++] = (char *)opts->source;
	argv[argc++] = "-o";
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = rerr_set(err, -errno, "%s: %s", out, strerror(errno));
		goto out;
	}
	close(fd);
	argv[argc++] = tmp;
	argv[argc] = NULL;

	if (opts->verbose)
		log_command(argv);
	ret = spawn_wait(argv, &status, &scan, err);
	if (ret)
		goto fail;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		describe_status(how, sizeof(how), status);
		ret = rerr_set(err, -EIO, "build %s: clang %s", opts->source, how);
		if (scan.no_vmlinux && vm_err.msg[0])
			rerr_hint(err, "no vmlinux.h: %s", vm_err.msg);
		else if (scan.no_solo)
			rerr_hint(err, "solo_types.h not found%s%s: set EBPFCTL_INCLUDE to the directory "
				  "holding it (make install puts it in " EBPFCTL_INCDIR ")",
				  have_inc ? " in " : "", have_inc ? incdir : "");
		else if (scan.no_libbpf && !libbpf_headers_present())
			rerr_hint(err, "<bpf/bpf_helpers.h> comes with libbpf's headers: install "
				  "libbpf-dev (Fedora: libbpf-devel)");
		goto fail;
	}

	if (!opts->keep_debug) {
		if (builder_find_strip(clang, strip, sizeof(strip)) == 0) {
			ret = strip_object(strip, tmp, opts->source, opts->verbose, err);
			if (ret)
				goto fail;
		} else {
			rwarn("build: llvm-strip not found: %s keeps its DWARF debug info "
			      "(BTF is there either way; install llvm to strip it)", out);
		}
	}
	if (rename(tmp, out)) {
		ret = rerr_set(err, -errno, "%s: %s", out, strerror(errno));
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	unlink(tmp);
out:
	free(argv);
	return ret;
}
