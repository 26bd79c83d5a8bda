// SPDX-License-Identifier: MIT
/*
 * Tests for runner/stacks.c: kernel symbols from a fake kallsyms under a
 * temporary host root (modules, aliases, data symbols, kptr_restrict
 * zeros) and from the real /proc/kallsyms; user symbols of this very
 * process, of children (alive, exited, more than the cache holds) and of
 * pids that do not exist; stack map reads (error paths on an empty map,
 * and a real kernel and user stack recorded by a tiny raw-tracepoint
 * program); folded-frame escaping.  Tests that need CAP_BPF or a readable
 * kallsyms skip and say why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rerr.h"
#include "stacks.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static int nwarn;
static char last_warn[512];

static void log_sink(void *ctx, enum rlog_level level, const char *msg)
{
	if (level != RLOG_WARN)
		return;
	nwarn++;
	snprintf(last_warn, sizeof(last_warn), "%s", msg);
}

static const char *ksym(struct stacks *s, uint64_t addr, struct strbuf *sb)
{
	sb_reset(sb);
	stacks_ksym(s, addr, sb);
	assert_int_equal(sb->err, 0);
	return sb_cstr(sb);
}

static const char *usym(struct stacks *s, uint32_t pid, uint64_t addr, struct strbuf *sb)
{
	sb_reset(sb);
	stacks_usym(s, pid, addr, sb);
	assert_int_equal(sb->err, 0);
	return sb_cstr(sb);
}

static bool is_hex(const char *s, uint64_t addr)
{
	char want[32];

	snprintf(want, sizeof(want), "0x%" PRIx64, addr);
	return !strcmp(s, want);
}

/* a temporary host root holding proc/kallsyms with the given text */
static char *fake_root(const char *kallsyms)
{
	char *dir = strdup("/tmp/test_stacks.XXXXXX");
	char path[512];
	FILE *f;

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/proc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	if (kallsyms) {
		snprintf(path, sizeof(path), "%s/proc/kallsyms", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(kallsyms, f);
		fclose(f);
	}
	return dir;
}

static void rm_fake_root(char *dir)
{
	char path[512];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/proc", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/proc", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ---- kernel symbols, fake kallsyms ---- */

static const char fake_kallsyms[] =
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81000100 t __pfx_foo\n"
	"ffffffff81000110 T foo\n"
	"ffffffff81000200 D some_data\n"
	"ffffffff81000280 r some_rodata\n"
	"ffffffff81000300 W weak_fn\n"
	"ffffffff81000380 t local_fn\n"
	"ffffffff81000380 T __alias_fn\n"
	"ffffffff81000400 T last_core\n"
	"this line is not a symbol\n"
	"ffffffffzz000000 T bad_address\n"
	"ffffffffa0002000 t other_fn\t[othermod]\n"
	"ffffffffa0001000 t mod_fn\t[mymod]\n"
	"ffffffffa0001100 T mod_fn2\t[mymod]\n"
	"ffffffffa0003000 t bpf_prog_0123456789abcdef_probe\t[bpf]\n";

static void test_ksym_fake(void **state)
{
	static const struct {
		uint64_t addr;
		const char *want;	/* NULL: hex */
	} cases[] = {
		{ 0xffffffff81000000, "startup_64" },	/* global, no '_' wins among aliases */
		{ 0xffffffff81000001, "startup_64+0x1" },
		{ 0xffffffff81000108, "__pfx_foo+0x8" },
		{ 0xffffffff81000110, "foo" },
		{ 0xffffffff81000120, "foo+0x10" },
		{ 0xffffffff81000210, "foo+0x100" },	/* D and r symbols are not text */
		{ 0xffffffff81000300, "weak_fn" },
		{ 0xffffffff81000380, "__alias_fn" },	/* global beats local */
		{ 0xffffffff81000410, "last_core+0x10" },
		{ 0xffffffff81000400 + (1 << 20), "last_core+0x100000" },
		{ 0xffffffff81000401 + (1 << 20), NULL },	/* too far past any symbol */
		{ 0xffffffffa0001000, "mod_fn [mymod]" },
		{ 0xffffffffa0001104, "mod_fn2+0x4 [mymod]" },
		{ 0xffffffffa0002000, "other_fn [othermod]" },	/* out of order in the file */
		{ 0xffffffffa0003042, "bpf_prog_0123456789abcdef_probe+0x42 [bpf]" },
		{ 0xffffffff80000000, NULL },	/* below every symbol */
		{ 0x1000, NULL },
		{ 0, NULL },
	};
	char *root = fake_root(fake_kallsyms);
	struct strbuf sb = { 0 };
	struct stacks *s;

	nwarn = 0;
	assert_int_equal(stacks_new(root, &s), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = ksym(s, cases[i].addr, &sb);

		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_true(is_hex(got, cases[i].addr));
	}
	assert_int_equal(nwarn, 0);
	stacks_free(s);
	sb_free(&sb);
	rm_fake_root(root);
}

/* kptr_restrict, or reading kallsyms unprivileged: every address is 0 */
static void test_ksym_kptr_restrict(void **state)
{
	char *root = fake_root("0000000000000000 T _stext\n"
			       "0000000000000000 T vfs_read\n"
			       "0000000000000000 t mod_fn\t[mymod]\n");
	char slash[512];
	struct strbuf sb = { 0 };
	struct stacks *s;

	nwarn = 0;
	/* a trailing '/' on the root is fine */
	snprintf(slash, sizeof(slash), "%s/", root);
	assert_int_equal(stacks_new(slash, &s), 0);
	assert_string_equal(ksym(s, 0xffffffff816d8130, &sb), "0xffffffff816d8130");
	assert_string_equal(ksym(s, 0xffffffff81000000, &sb), "0xffffffff81000000");
	assert_string_equal(ksym(s, 0, &sb), "0x0");
	assert_int_equal(nwarn, 1);	/* said once */
	assert_non_null(strstr(last_warn, "kptr_restrict"));
	stacks_free(s);
	sb_free(&sb);
	rm_fake_root(root);
}

static void test_ksym_unreadable(void **state)
{
	char *root = fake_root(NULL);	/* no proc/kallsyms at all */
	char slash[512];
	struct strbuf sb = { 0 };
	struct stacks *s;

	nwarn = 0;
	snprintf(slash, sizeof(slash), "%s//", root);
	assert_int_equal(stacks_new(slash, &s), 0);
	assert_string_equal(ksym(s, 0xffffffff81000000, &sb), "0xffffffff81000000");
	assert_string_equal(ksym(s, 0xffffffff81000010, &sb), "0xffffffff81000010");
	assert_int_equal(nwarn, 1);
	assert_non_null(strstr(last_warn, "/proc/kallsyms"));
	assert_null(strstr(last_warn, "//proc"));
	stacks_free(s);
	sb_free(&sb);
	rm_fake_root(root);
}

/* ---- kernel symbols, this kernel ---- */

static uint64_t kallsyms_addr(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	uint64_t addr, found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, sym) == 3 && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	fclose(f);
	return found;
}

static void test_ksym_real(void **state)
{
	static const char *const roots[] = { NULL, "", "/" };
	uint64_t vfs_read = kallsyms_addr("vfs_read");
	struct strbuf sb = { 0 };
	struct stacks *s;

	if (!vfs_read) {
		print_message("skip: /proc/kallsyms shows no address for vfs_read (kptr_restrict?)\n");
		skip();
	}
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		assert_int_equal(stacks_new(roots[i], &s), 0);
		assert_string_equal(ksym(s, vfs_read, &sb), "vfs_read");
		assert_string_equal(ksym(s, vfs_read + 0x10, &sb), "vfs_read+0x10");
		assert_string_equal(ksym(s, 0x1000, &sb), "0x1000");
		assert_string_equal(ksym(s, 0xffff800000000000ull, &sb), "0xffff800000000000");
		stacks_free(s);
	}
	sb_free(&sb);
}

/* ---- user symbols ---- */

static __attribute__((noinline, used)) int target_fn(int x)
{
	/* big enough that +0x5 is still inside */
	__asm__ volatile("" ::: "memory");
	return x * 3 + (int)getpid() % 7 + 1;
}

static void test_usym_self(void **state)
{
	uint64_t fn = (uint64_t)(uintptr_t)&target_fn;
	uint64_t gp = (uint64_t)(uintptr_t)&getpid;
	uint32_t me = (uint32_t)getpid();
	struct strbuf sb = { 0 };
	struct stacks *s;
	Dl_info dl;
	char want[64];
	void *anon;

	assert_int_equal(stacks_new(NULL, &s), 0);
	/* a static function of this binary, from its .symtab */
	assert_string_equal(usym(s, me, fn, &sb), "target_fn");
	assert_string_equal(usym(s, me, fn + 5, &sb), "target_fn+0x5");
	/* libc: .dynsym (getpid and __getpid are aliases) */
	assert_non_null(strstr(usym(s, me, gp, &sb), "getpid"));
	assert_null(strchr(sb.buf, '+'));
	assert_non_null(strstr(usym(s, me, gp + 1, &sb), "getpid+0x1"));
	/* in libc but in no symbol: its ELF header */
	assert_int_not_equal(dladdr(&getpid, &dl), 0);
	assert_string_equal(usym(s, me, (uint64_t)(uintptr_t)dl.dli_fbase, &sb), "libc.so.6+0x0");
	snprintf(want, sizeof(want), "libc.so.6+0x%x", 0x40);
	assert_string_equal(usym(s, me, (uint64_t)(uintptr_t)dl.dli_fbase + 0x40, &sb), want);
	/* an anonymous mapping (JIT code, heap): hex.  Far from every file,
	 * not next to one whose .bss (PT_LOAD memsz) it could be taken for. */
	anon = mmap((void *)0x300000000000ull, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_true(is_hex(usym(s, me, (uint64_t)(uintptr_t)anon + 8, &sb), (uint64_t)(uintptr_t)anon + 8));
	munmap(anon, 4096);
	/* the vDSO, found through /proc/PID/auxv */
	{
		void *vdso = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
		void *fnp = vdso ? dlsym(vdso, "__vdso_clock_gettime") : NULL;

		if (fnp)
			assert_non_null(strstr(usym(s, me, (uint64_t)(uintptr_t)fnp, &sb),
					       "clock_gettime"));
		else
			print_message("note: no vDSO clock_gettime symbol to check\n");
		if (vdso)
			dlclose(vdso);
	}
	stacks_free(s);
	sb_free(&sb);
}

static pid_t spawn_paused(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		/* a failed assertion in the parent must not leave it behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void test_usym_no_such_pid(void **state)
{
	uint64_t fn = (uint64_t)(uintptr_t)&target_fn;
	pid_t reaped = fork();
	uint32_t pids[3];
	struct strbuf sb = { 0 };
	struct stacks *s;
	int st;

	assert_true(reaped >= 0);
	if (!reaped)
		_exit(0);
	assert_int_equal(waitpid(reaped, &st, 0), reaped);
	pids[0] = (uint32_t)reaped;	/* gone before the first lookup */
	pids[1] = 0x3fffffff;		/* above any pid_max */
	pids[2] = 0;			/* the idle task: no /proc/0 */
	assert_int_equal(stacks_new(NULL, &s), 0);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		assert_true(is_hex(usym(s, pids[i], fn, &sb), fn));
		assert_true(is_hex(usym(s, pids[i], 0x7f0000001234, &sb), 0x7f0000001234));
	}
	stacks_free(s);
	sb_free(&sb);
}

/* A process that exits after its first frame keeps resolving. */
static void test_usym_exited(void **state)
{
	uint64_t fn = (uint64_t)(uintptr_t)&target_fn;
	pid_t child = spawn_paused();
	struct strbuf sb = { 0 };
	struct stacks *s;

	assert_int_equal(stacks_new(NULL, &s), 0);
	assert_string_equal(usym(s, (uint32_t)child, fn + 2, &sb), "target_fn+0x2");
	reap(child);
	assert_string_equal(usym(s, (uint32_t)child, fn + 3, &sb), "target_fn+0x3");
	assert_true(is_hex(usym(s, (uint32_t)child, 0x10, &sb), 0x10));
	stacks_free(s);
	sb_free(&sb);
}

/* More processes than the cache holds: each still resolves, an evicted one
 * is read again, and nothing (memory, fds) stays behind after free. */
static void test_usym_many_pids(void **state)
{
	enum { N = 80 };
	uint64_t fn = (uint64_t)(uintptr_t)&target_fn;
	pid_t kids[N];
	struct strbuf sb = { 0 };
	struct stacks *s;
	int fds = count_fds();

	for (int i = 0; i < N; i++)
		kids[i] = spawn_paused();
	assert_int_equal(stacks_new(NULL, &s), 0);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++)
			assert_string_equal(usym(s, (uint32_t)kids[i], fn, &sb), "target_fn");
	/* the cache is bounded: far fewer fds than processes x modules */
	print_message("  %d fds open for %d processes\n", count_fds() - fds, N);
	assert_true(count_fds() - fds <= 64 * 8);
	stacks_free(s);
	assert_int_equal(count_fds(), fds);
	for (int i = 0; i < N; i++)
		reap(kids[i]);
	sb_free(&sb);
}

/* host_root: /proc/PID is read under it.  A root whose proc/PID is a link
 * to the real one resolves; one without it gives hex. */
static void test_usym_host_root(void **state)
{
	uint64_t fn = (uint64_t)(uintptr_t)&target_fn;
	pid_t child = spawn_paused();
	char *root = fake_root("");
	char link[512], target[64];
	struct strbuf sb = { 0 };
	struct stacks *s;

	snprintf(link, sizeof(link), "%s/proc/%d", root, (int)child);
	snprintf(target, sizeof(target), "/proc/%d", (int)child);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(stacks_new(root, &s), 0);
	assert_string_equal(usym(s, (uint32_t)child, fn + 1, &sb), "target_fn+0x1");
	assert_true(is_hex(usym(s, (uint32_t)getpid(), fn, &sb), fn));	/* not under root */
	stacks_free(s);
	reap(child);
	rm_fake_root(root);
	sb_free(&sb);
}

/* ---- stack map reads ---- */

static int make_stack_map(uint32_t max_depth, uint32_t entries)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "t_stacks", 4, max_depth * 8, entries, NULL);

	if (fd == -EPERM || fd == -EACCES) {
		print_message("skip: cannot create a stack map: %s\n", strerror(-fd));
		skip();
	}
	assert_true(fd >= 0);
	return fd;
}

static void test_read_errors(void **state)
{
	static const struct {
		uint32_t value_size;
		int64_t id;
		int max;
		int want;
	} cases[] = {
		{ 127 * 8, 0, 127, -ENOENT },		/* never written */
		{ 127 * 8, 5, 127, -ENOENT },
		{ 127 * 8, 5, 16, -ENOENT },		/* through the bounce buffer */
		{ 127 * 8, 1023, 127, -ENOENT },
		{ 127 * 8, 1024, 127, -ENOENT },	/* past max_entries */
		{ 127 * 8, -14, 127, -ENOENT },		/* bpf_get_stackid's -EFAULT */
		{ 127 * 8, -17, 127, -ENOENT },		/* -EEXIST */
		{ 127 * 8, (int64_t)UINT32_MAX + 1, 127, -ENOENT },
		{ 0, 0, 127, -EINVAL },
		{ 12, 0, 127, -EINVAL },
		{ 127 * 8, 0, 0, -EINVAL },
		{ 127 * 8, 0, -1, -EINVAL },
	};
	int fd = make_stack_map(127, 1024);
	uint64_t ips[127];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(stacks_read(fd, cases[i].value_size, cases[i].id, ips, cases[i].max),
				 cases[i].want);
	close(fd);
	assert_int_equal(stacks_read(fd, 127 * 8, 0, ips, 127), -EBADF);
}

/* A real stack: a raw tracepoint program on sys_enter, limited to this
 * process, records the kernel stack and the user stack of each syscall. */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LD_MAP_FD(d, fd) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

static __attribute__((noinline)) void make_syscalls(void)
{
	for (int i = 0; i < 4; i++)
		(void)getpid();
}

static bool any_stack(int map_fd, uint32_t depth,
		      bool (*ok)(const uint64_t *ips, int n, void *arg), void *arg)
{
	uint32_t key, next;
	uint64_t ips[127];
	bool first = true;

	while (!bpf_map_get_next_key(map_fd, first ? NULL : &key, &next)) {
		int n = stacks_read(map_fd, depth * 8, next, ips, (int)ARRAY_SIZE(ips));

		first = false;
		key = next;
		assert_true(n >= 0);
		if (n > 0 && ok(ips, n, arg))
			return true;
	}
	return false;
}

static bool kstack_ok(const uint64_t *ips, int n, void *arg)
{
	struct stacks *s = arg;
	struct strbuf sb = { 0 };
	bool named = false, syscall = false;

	for (int i = 0; i < n; i++) {
		const char *f = ksym(s, ips[i], &sb);

		print_message("  kernel frame %d: %s\n", i, f);
		named |= strncmp(f, "0x", 2) != 0;
		syscall |= strstr(f, "syscall") != NULL || strstr(f, "el0_svc") != NULL;
	}
	sb_free(&sb);
	return named && syscall;
}

static bool ustack_ok(const uint64_t *ips, int n, void *arg)
{
	struct stacks *s = arg;
	struct strbuf sb = { 0 };
	bool ok = strstr(usym(s, (uint32_t)getpid(), ips[0], &sb), "getpid") != NULL;

	print_message("  user frame 0: %s\n", sb.buf);
	sb_free(&sb);
	return ok;
}

static void test_read_live(void **state)
{
	const uint32_t depth = 127;
	int kmap = make_stack_map(depth, 256);
	int umap = make_stack_map(depth, 256);
	struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),		/* r6 = ctx */
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32),		/* r0 = tgid */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 10, getpid()),	/* not us: out */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		LD_MAP_FD(2, kmap),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_stackid),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		LD_MAP_FD(2, umap),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, BPF_F_USER_STACK),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_stackid),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),		/* out: */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct stacks *s;
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "t_stacks", "GPL", insns,
			     ARRAY_SIZE(insns), NULL);
	if (prog < 0) {
		print_message("skip: cannot load a raw tracepoint program: %s\n", strerror(-prog));
		close(kmap);
		close(umap);
		skip();
	}
	link = bpf_raw_tracepoint_open("sys_enter", prog);
	if (link < 0) {
		print_message("skip: cannot attach to raw tracepoint sys_enter: %s\n", strerror(-link));
		close(prog);
		close(kmap);
		close(umap);
		skip();
	}
	make_syscalls();
	close(link);

	assert_int_equal(stacks_new(NULL, &s), 0);
	if (kallsyms_addr("vfs_read"))
		assert_true(any_stack(kmap, depth, kstack_ok, s));
	else
		print_message("note: kallsyms addresses hidden, kernel frames not checked\n");
	/* under valgrind the syscall is made by valgrind's own code */
	if (!under_valgrind())
		assert_true(any_stack(umap, depth, ustack_ok, s));
	/* shorter output than the stack: the first frames only */
	{
		uint32_t key;
		uint64_t two[2];

		assert_int_equal(bpf_map_get_next_key(kmap, NULL, &key), 0);
		assert_int_equal(stacks_read(kmap, depth * 8, key, two, 1), 1);
		assert_true(two[0] != 0);
	}
	stacks_free(s);
	close(prog);
	close(kmap);
	close(umap);
}

/* ---- folded frames ---- */

static void test_folded_frame(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "vfs_read+0x1a", "vfs_read+0x1a" },
		{ "mod_fn+0x4 [mymod]", "mod_fn+0x4 [mymod]" },	/* spaces stay */
		{ "a;b;c", "a:b:c" },
		{ "line\nbreak\r\n", "line break  " },
		{ "tab\there", "tab here" },
		{ "del\x7f", "del " },
		{ "std::vector<int>::push_back", "std::vector<int>::push_back" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 untouched */
		{ "", "[unknown]" },
		{ NULL, "[unknown]" },
	};
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		sb_reset(&sb);
		stacks_folded_frame(&sb, cases[i].in);
		assert_string_equal(sb_cstr(&sb), cases[i].want);
	}
	/* a whole line: comm;frame;frame count */
	sb_reset(&sb);
	sb_puts(&sb, "bash");
	sb_putc(&sb, ';');
	stacks_folded_frame(&sb, "main");
	sb_putc(&sb, ';');
	stacks_folded_frame(&sb, "x;y\nz");
	sb_puts(&sb, " 3\n");
	assert_string_equal(sb_cstr(&sb), "bash;main;x:y z 3\n");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ksym_fake),
		cmocka_unit_test(test_ksym_kptr_restrict),
		cmocka_unit_test(test_ksym_unreadable),
		cmocka_unit_test(test_ksym_real),
		cmocka_unit_test(test_usym_self),
		cmocka_unit_test(test_usym_no_such_pid),
		cmocka_unit_test(test_usym_exited),
		cmocka_unit_test(test_usym_many_pids),
		cmocka_unit_test(test_usym_host_root),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_read_live),
		cmocka_unit_test(test_folded_frame),
	};

	libbpf_set_print(NULL);
	rlog_set_sink(log_sink, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
