// SPDX-License-Identifier: MIT
/*
 * Stack trace symbolizer: kernel frames from /proc/kallsyms, user frames
 * from libdwfl, folded-stack escaping.  The formats and caching rules are
 * documented in stacks.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>

#include "rerr.h"
#include "stacks.h"

/* Farther than this past the nearest symbol is not that symbol: kallsyms
 * gives no sizes, and the largest kernel functions are far smaller, while
 * the gaps between core text, init text and module space are larger. */
#define KSYM_MAX_OFF		(1ull << 20)
/* A kernel address that misses re-reads kallsyms at most this often. */
#define KSYM_RELOAD_NS		(10ull * 1000000000ull)
/* Processes whose Dwfl is kept; the least recently used is dropped. */
#define UPROC_CACHE		64
/* An unreadable pid is retried, and a known one's maps re-read on a miss,
 * at most this often. */
#define UPROC_REFRESH_NS	(1000000000ull)

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset into stacks.knames */
	uint32_t mod;		/* offset into stacks.knames; 0: core kernel */
	uint32_t line;		/* kallsyms order, a stable last tie-break */
	uint32_t rank;		/* lower wins among aliases at one address */
};

struct uproc {
	struct stacks *s;
	Dwfl *dwfl;		/* NULL: the process could not be read */
	uint64_t used;		/* LRU clock */
	uint64_t reported_ns;	/* last report attempt */
	uint32_t pid;
	bool live;		/* slot in use */
};

struct stacks {
	char *root;		/* "" for "/", else without a trailing '/' */

	struct ksym *ks;	/* sorted by addr, one entry per address */
	size_t nks;
	size_t ks_cap;
	struct strbuf knames;	/* NUL-separated names; offset 0 is "" */
	bool ks_tried;
	uint64_t ks_loaded_ns;
	bool warned_kread;
	bool warned_kzero;

	Dwfl_Callbacks cb;
	struct uproc procs[UPROC_CACHE];
	uint64_t tick;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put_hex(struct strbuf *out, uint64_t addr)
{
	sb_printf(out, "0x%" PRIx64, addr);
}

static void put_sym(struct strbuf *out, const char *name, uint64_t off)
{
	sb_puts(out, name);
	if (off)
		sb_printf(out, "+0x%" PRIx64, off);
}

/* ---- kernel: /proc/kallsyms ---- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Aliases share an address (_text/_stext, sys_* wrappers): prefer the
 * global name, then one without a leading '_'. */
static uint32_t ksym_rank(char type, const char *name)
{
	return (islower((unsigned char)type) ? 2 : 0) + (name[0] == '_' ? 1 : 0);
}

static uint32_t knames_add(struct stacks *s, const char *name, size_t len)
{
	uint32_t off = (uint32_t)s->knames.len;

	sb_add(&s->knames, name, len);
	sb_putc(&s->knames, '\0');
	return off;
}

/* Parse "ffffffff816d8130 T vfs_read" or "... t sym\t[mod]".  Returns true
 * for a text symbol and fills addr, type, name, mod (mod_len 0: none). */
static bool ksym_parse(char *line, uint64_t *addr, char *type, char **name, size_t *name_len,
		       char **mod, size_t *mod_len)
{
	char *p, *e;

	errno = 0;
	*addr = strtoull(line, &p, 16);
	if (p == line || errno || p[0] != ' ' || !p[1] || p[2] != ' ')
		return false;
	*type = p[1];
	if (!strchr("tTwW", *type))
		return false;
	*name = p + 3;
	*name_len = strcspn(*name, " \t\n");
	if (!*name_len)
		return false;
	p = *name + *name_len;
	p += strspn(p, " \t");
	*mod_len = 0;
	if (*p == '[') {
		e = strchr(p, ']');
		if (e && e > p + 1) {
			*mod = p + 1;
			*mod_len = (size_t)(e - p - 1);
		}
	}
	return true;
}

static void ksyms_drop(struct stacks *s)
{
	free(s->ks);
	s->ks = NULL;
	s->nks = s->ks_cap = 0;
	sb_reset(&s->knames);
}

static int ksyms_load(struct stacks *s)
{
	char path[4096];
	char *line = NULL;
	size_t line_cap = 0;
	uint32_t last_mod = 0, nline = 0;
	bool nonzero = false;
	FILE *f;
	size_t i, j;
	int e = 0;

	s->ks_tried = true;
	s->ks_loaded_ns = now_ns();
	ksyms_drop(s);
	knames_add(s, "", 0);

	snprintf(path, sizeof(path), "%s/proc/kallsyms", s->root);
	f = fopen(path, "re");
	if (!f) {
		e = -errno;
		if (!s->warned_kread)
			rwarn("stacks: cannot read %s: %s: kernel frames print as addresses", path,
			      strerror(-e));
		s->warned_kread = true;
		return e;
	}
	while (getline(&line, &line_cap, f) > 0) {
		uint64_t addr;
		char type, *name, *mod = NULL;
		size_t name_len, mod_len;
		struct ksym *k;

		nline++;
		if (!ksym_parse(line, &addr, &type, &name, &name_len, &mod, &mod_len))
			continue;
		if (addr)
			nonzero = true;
		if (array_grow((void **)&s->ks, s->nks + 1, &s->ks_cap, sizeof(*s->ks))) {
			e = -ENOMEM;
			break;
		}
		k = &s->ks[s->nks++];
		k->addr = addr;
		k->line = nline;
		name[name_len] = '\0';
		k->rank = ksym_rank(type, name);
		k->name = knames_add(s, name, name_len);
		/* a module's symbols are consecutive: intern its name once per run */
		if (!mod_len) {
			k->mod = 0;
		} else if (last_mod && strlen(s->knames.buf + last_mod) == mod_len &&
			   !memcmp(s->knames.buf + last_mod, mod, mod_len)) {
			k->mod = last_mod;
		} else {
			k->mod = last_mod = knames_add(s, mod, mod_len);
		}
	}
	if (!e && ferror(f))
		e = -EIO;
	free(line);
	fclose(f);
	if (!e && s->knames.err)
		e = -ENOMEM;
	if (!e && s->nks && !nonzero) {
		if (!s->warned_kzero)
			rwarn("stacks: %s shows every address as 0 (kernel.kptr_restrict, or not "
			      "privileged): kernel frames print as addresses", path);
		s->warned_kzero = true;
		e = -EPERM;
	}
	if (e) {
		ksyms_drop(s);
		return e;
	}
	qsort(s->ks, s->nks, sizeof(*s->ks), ksym_cmp);
	for (i = j = 0; i < s->nks; i++)
		if (!j || s->ks[j - 1].addr != s->ks[i].addr)
			s->ks[j++] = s->ks[i];
	s->nks = j;
	rdebug("stacks: %zu kernel text symbols from %s", s->nks, path);
	return 0;
}

static const struct ksym *ksym_find(const struct stacks *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nks;

	/* first symbol above addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ks[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - s->ks[lo - 1].addr > KSYM_MAX_OFF)
		return NULL;
	return &s->ks[lo - 1];
}

void stacks_ksym(struct stacks *s, uint64_t addr, struct strbuf *out)
{
	const struct ksym *k = NULL;

	if (!s->ks_tried)
		ksyms_load(s);
	if (addr)
		k = ksym_find(s, addr);
	if (!k && addr && now_ns() - s->ks_loaded_ns >= KSYM_RELOAD_NS) {
		ksyms_load(s);
		k = ksym_find(s, addr);
	}
	if (!k) {
		put_hex(out, addr);
		return;
	}
	put_sym(out, s->knames.buf + k->name, addr - k->addr);
	if (k->mod) {
		sb_puts(out, " [");
		sb_puts(out, s->knames.buf + k->mod);
		sb_putc(out, ']');
	}
}

/* ---- user: libdwfl, one Dwfl per pid ---- */

/* Open a mapped file through the process's root, so a process in another
 * mount namespace (a container) resolves against its own files.  The
 * plain path is kept when it is the same file, so that debuglink lookups
 * under /usr/lib/debug/<dir> work for host processes. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	const struct uproc *p = *userdata;
	struct stat st, plain;
	char *path;
	int fd;

	if (!p || name[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	if (asprintf(&path, "%s/proc/%u/root%s", p->s->root, p->pid, name) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		/* gone with its mount namespace, or a " (deleted)" file */
		if (fd >= 0)
			close(fd);
		free(path);
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	}
	if (!stat(name, &plain) && plain.st_dev == st.st_dev && plain.st_ino == st.st_ino) {
		char *dup = strdup(name);

		if (dup) {
			free(path);
			path = dup;
		}
	}
	*file_name = path;	/* libdwfl frees it */
	return fd;
}

static int set_userdata(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	*userdata = arg;
	return DWARF_CB_OK;
}

/* Report the process's mappings into dwfl, in a dwfl_report_begin() state.
 * 0 or a positive errno / -1 (libdwfl's convention). */
static int report_maps(struct uproc *p)
{
	char path[4096];
	FILE *f;
	int r;

	if (!p->s->root[0]) {
		/* also finds the vDSO, through /proc/PID/auxv */
		if (!dwfl_linux_proc_report(p->dwfl, (pid_t)p->pid))
			return 0;
		dwfl_report_begin(p->dwfl);	/* forget a partial report */
	}
	snprintf(path, sizeof(path), "%s/proc/%u/maps", p->s->root, p->pid);
	f = fopen(path, "re");
	if (!f)
		return errno ? errno : ENOENT;
	r = dwfl_linux_proc_maps_report(p->dwfl, f);
	fclose(f);
	return r;
}

static void uproc_report(struct uproc *p, uint64_t now)
{
	struct stacks *s = p->s;
	int r;

	p->reported_ns = now;
	if (!p->dwfl) {
		p->dwfl = dwfl_begin(&s->cb);
		if (!p->dwfl)
			return;
	}
	dwfl_report_begin(p->dwfl);
	r = report_maps(p);
	if (r) {
		rdebug("stacks: pid %u: cannot read its mappings: %s", p->pid,
		       r > 0 ? strerror(r) : dwfl_errmsg(-1));
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
		return;
	}
	if (dwfl_report_end(p->dwfl, NULL, NULL)) {
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
		return;
	}
	dwfl_getmodules(p->dwfl, set_userdata, p, 0);
}

/* A known process's maps changed (dlopen): re-read them, keeping the
 * modules already loaded.  A process that is gone keeps its old ones. */
static void uproc_refresh(struct uproc *p, uint64_t now)
{
	char path[4096];
	int r;

	p->reported_ns = now;
	snprintf(path, sizeof(path), "%s/proc/%u/maps", p->s->root, p->pid);
	if (access(path, R_OK))
		return;
	dwfl_report_begin(p->dwfl);
	r = report_maps(p);
	if (r)
		rdebug("stacks: pid %u: cannot re-read its mappings: %s", p->pid,
		       r > 0 ? strerror(r) : dwfl_errmsg(-1));
	/* on an error, what was re-reported survives: at worst fewer modules */
	dwfl_report_end(p->dwfl, NULL, NULL);
	dwfl_getmodules(p->dwfl, set_userdata, p, 0);
}

static struct uproc *uproc_get(struct stacks *s, uint32_t pid)
{
	struct uproc *p, *victim = NULL;
	uint64_t now;

	for (p = s->procs; p < s->procs + UPROC_CACHE; p++) {
		if (p->live && p->pid == pid)
			break;
		if (!victim || (victim->live && (!p->live || p->used < victim->used)))
			victim = p;
	}
	now = now_ns();
	if (p == s->procs + UPROC_CACHE) {
		p = victim;
		if (p->dwfl)
			dwfl_end(p->dwfl);
		p->dwfl = NULL;
		p->pid = pid;
		p->live = true;
		uproc_report(p, now);
	} else if (!p->dwfl && now - p->reported_ns >= UPROC_REFRESH_NS) {
		uproc_report(p, now);
	}
	p->used = ++s->tick;
	return p;
}

static const char *module_base_name(const char *name)
{
	const char *b;

	if (!strncmp(name, "[vdso", 5))
		return "[vdso]";
	b = strrchr(name, '/');
	return b ? b + 1 : name;
}

void stacks_usym(struct stacks *s, uint32_t pid, uint64_t addr, struct strbuf *out)
{
	struct uproc *p = uproc_get(s, pid);
	Dwfl_Module *mod = NULL;
	const char *name, *mname;
	Dwarf_Addr start, bias;
	GElf_Off off;
	GElf_Sym sym;
	uint64_t now;

	if (p->dwfl)
		mod = dwfl_addrmodule(p->dwfl, addr);
	if (!mod && p->dwfl) {
		now = now_ns();
		if (now - p->reported_ns >= UPROC_REFRESH_NS) {
			uproc_refresh(p, now);
			mod = dwfl_addrmodule(p->dwfl, addr);
		}
	}
	if (!mod) {
		put_hex(out, addr);
		return;
	}
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name && name[0]) {
		put_sym(out, name, off);
		return;
	}
	mname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (!mname) {
		put_hex(out, addr);
		return;
	}
	/* the ELF virtual address when the file was found, what addr2line takes */
	if (!dwfl_module_getelf(mod, &bias))
		bias = start;
	sb_puts(out, module_base_name(mname));
	sb_printf(out, "+0x%" PRIx64, (uint64_t)(addr - bias));
}

/* ---- stack map reads, folded output ---- */

int stacks_read(int map_fd, uint32_t value_size, int64_t stack_id, uint64_t *ips, int max)
{
	uint64_t local[128], *buf = local;
	uint32_t id, n, i;
	int e;

	if (!value_size || value_size % 8 || max < 1 || !ips)
		return -EINVAL;
	if (stack_id < 0 || stack_id > UINT32_MAX)
		return -ENOENT;
	id = (uint32_t)stack_id;
	n = value_size / 8;
	if (n <= (uint32_t)max)
		buf = ips;
	else if (n > sizeof(local) / sizeof(local[0]) && !(buf = malloc(value_size)))
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &id, buf)) {
		e = errno ? -errno : -EIO;
		if (buf != ips && buf != local)
			free(buf);
		return e;
	}
	for (i = 0; i < n && i < (uint32_t)max && buf[i]; i++)
		ips[i] = buf[i];
	if (buf != ips && buf != local)
		free(buf);
	return (int)i;
}

void stacks_folded_frame(struct strbuf *out, const char *frame)
{
	const unsigned char *p;

	if (!frame || !frame[0]) {
		sb_puts(out, "[unknown]");
		return;
	}
	for (p = (const unsigned char *)frame; *p; p++) {
		if (*p == ';')
			sb_putc(out, ':');
		else if (*p < 0x20 || *p == 0x7f)
			sb_putc(out, ' ');
		else
			sb_putc(out, (char)*p);
	}
}

/* ---- lifetime ---- */

int stacks_new(const char *host_root, struct stacks **out)
{
	struct stacks *s = calloc(1, sizeof(*s));
	size_t len;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if (!host_root)
		host_root = "";
	len = strlen(host_root);
	while (len && host_root[len - 1] == '/')
		len--;
	s->root = strndup(host_root, len);
	if (!s->root) {
		free(s);
		return -ENOMEM;
	}
	s->cb.find_elf = find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	for (size_t i = 0; i < UPROC_CACHE; i++)
		s->procs[i].s = s;
	*out = s;
	return 0;
}

void stacks_free(struct stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < UPROC_CACHE; i++)
		if (s->procs[i].dwfl)
			dwfl_end(s->procs[i].dwfl);
	ksyms_drop(s);
	sb_free(&s->knames);
	free(s->root);
	free(s);
}
