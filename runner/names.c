// SPDX-License-Identifier: MIT
/* Names for ksym, ifindex, cgroup_id and user_id values: names.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include <time.h>
#include "names.h"
#include "stacks.h"
#include "strbuf.h"
#include "targets.h"

#define RETRY_NS	1000000000LL	/* a miss reloads at most this often */
#define REFRESH_NS	10000000000LL	/* interface and user tables */

struct ent {
	uint64_t id;
	size_t seq;	/* order read: of duplicate ids the first wins */
	char *name;	/* NULL: known to have no name (since `at`) */
	int64_t at;
};

struct table {
	struct ent *v;
	size_t n, cap;
	int64_t loaded_at;	/* monotonic ns; 0: never */
	int64_t tried_at;	/* last load attempt */
};

struct names {
	pthread_mutex_t mu;
	char root[PATH_MAX];	/* host root without a trailing '/', "" for "/" */
	char cg_root[PATH_MAX];	/* the cgroup v2 mount, "" until found */
	int cg_fd;		/* it, open (open_by_handle_at), or -1 */
	struct ent *cg;		/* ids looked up one by one (cgroup_miss) */
	size_t cg_cap, cg_n;
	int cg_budget;		/* new-id lookups left this second */
	int64_t cg_budget_at;
	struct stacks *ks;
	struct strbuf sym;
	struct table tab[NAMES_USER + 1];
};

static void cg_clear(struct names *n);

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int names_new(const char *host_root, struct names **out)
{
	struct names *n = calloc(1, sizeof(*n));
	int e;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	if (host_root && *host_root && strcmp(host_root, "/")) {
		snprintf(n->root, sizeof(n->root), "%s", host_root);
		for (size_t l = strlen(n->root); l > 1 && n->root[l - 1] == '/'; l--)
			n->root[l - 1] = '\0';
	}
	if ((e = stacks_new(host_root, &n->ks))) {
		free(n);
		return e;
	}
	n->cg_fd = -1;
	pthread_mutex_init(&n->mu, NULL);
	*out = n;
	return 0;
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	t->n = 0;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	for (int k = 0; k <= NAMES_USER; k++) {
		table_clear(&n->tab[k]);
		free(n->tab[k].v);
	}
	stacks_free(n->ks);
	sb_free(&n->sym);
	if (n->cg_fd >= 0)
		close(n->cg_fd);
	if (n->cg) {
		cg_clear(n);
		free(n->cg);
	}
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static int table_add(struct table *t, uint64_t id, const char *name, size_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct ent *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].name = name ? strndup(name, len) : NULL;
	if (name && !t->v[t->n].name)
		return -ENOMEM;
	t->v[t->n].at = 0;
	t->v[t->n].seq = t->n;
	t->v[t->n++].id = id;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* sorted by id; of duplicates (two passwd lines for one uid) the first wins */
static void table_sort(struct table *t)
{
	size_t w = 0;

	qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (w && t->v[w - 1].id == t->v[i].id) {
			free(t->v[i].name);
			continue;
		}
		t->v[w++] = t->v[i];
	}
	t->n = w;
}

static const struct ent *table_find(const struct table *t, uint64_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id == id)
			return &t->v[mid];
		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int load_ifs(struct names *n __attribute__((unused)), struct table *t)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int e = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && !e; i++)
		e = table_add(t, i->if_index, i->if_name, strlen(i->if_name));
	if_freenameindex(ifs);
	return e;
}

/* passwd: name:password:uid:gid:gecos:home:shell; first entry of a uid wins */
static int load_users(struct names *n, struct table *t)
{
	char path[PATH_MAX + 16], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int e = 0;

	snprintf(path, sizeof(path), "%s/etc/passwd", n->root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!e && (len = getline(&line, &cap, f)) > 0) {
		char *c1 = memchr(line, ':', (size_t)len), *c2, *end;
		unsigned long long uid;

		if (!c1 || c1 == line || !(c2 = strchr(c1 + 1, ':')))
			continue;
		errno = 0;
		uid = strtoull(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || *end != ':' || uid > UINT32_MAX)
			continue;
		e = table_add(t, uid, line, (size_t)(c1 - line));
	}
	free(line);
	fclose(f);
	return e;
}

/* nftw has no context argument: the walk is under n->mu, so one at a time */
static struct table *walk_tab;
static size_t walk_root_len;
static int walk_err;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + walk_root_len;

	if (type != FTW_D)
		return 0;
	if (!*rel)
		rel = "/";
	walk_err = table_add(walk_tab, (uint64_t)st->st_ino, rel, strlen(rel));
	return walk_err ? 1 : 0;
}

static int cgroup_root(struct names *n)
{
	struct statfs sfs;
	int e;

	if (n->cg_root[0])
		return 0;
	if ((e = tgt_cgroup2_root(n->root[0] ? n->root : NULL, n->cg_root, sizeof(n->cg_root)))) {
		n->cg_root[0] = '\0';
		return e;
	}
	/* the path an fd shows (readlink) has no symlinks: nor may the root */
	{
		char real[PATH_MAX];

		if (realpath(n->cg_root, real))
			snprintf(n->cg_root, sizeof(n->cg_root), "%s", real);
	}
	for (size_t l = strlen(n->cg_root); l > 1 && n->cg_root[l - 1] == '/'; l--)
		n->cg_root[l - 1] = '\0';
	n->cg_fd = open(n->cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* file handles are kernfs ids on cgroup2 only (a test's tree is not) */
	if (n->cg_fd >= 0 && (fstatfs(n->cg_fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)) {
		close(n->cg_fd);
		n->cg_fd = -1;
	}
	return 0;
}

static int load_cgroups(struct names *n, struct table *t)
{
	int e;

	if ((e = cgroup_root(n)))
		return e;
	walk_tab = t;
	walk_root_len = strcmp(n->cg_root, "/") ? strlen(n->cg_root) : 0;
	walk_err = 0;
	/* FTW_PHYS: no symlinks; FTW_MOUNT: stay in this hierarchy */
	if (nftw(n->cg_root, walk_one, 32, FTW_PHYS | FTW_MOUNT) < 0 && !walk_err)
		e = -errno;
	walk_tab = NULL;
	return walk_err ? walk_err : e;
}

/* One cgroup by its id: a kernfs file handle (type FILEID_KERNFS, the
 * 64-bit id) opened on the hierarchy, then the path the fd has.  Needs
 * CAP_DAC_READ_SEARCH (kept for runs that name cgroups).  -ESTALE: no such
 * cgroup (any more). */
#define FILEID_KERNFS 0xfe
static int cgroup_by_handle(struct names *n, uint64_t id, char *path, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	char link[64];
	size_t rl;
	ssize_t len;
	int fd, e = 0;

	if (n->cg_fd < 0)
		return -EBADF;
	fd = open_by_handle_at(n->cg_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, size - 1);
	if (len < 0)
		e = -errno;
	close(fd);
	if (e)
		return e;
	path[len] = '\0';
	rl = strcmp(n->cg_root, "/") ? strlen(n->cg_root) : 0;
	if (strncmp(path, n->cg_root, rl) || (path[rl] && path[rl] != '/'))
		return -ENOENT;	/* outside our view of the hierarchy */
	memmove(path, path + rl, (size_t)len - rl + 1);
	if (!path[0])
		strcpy(path, "/");
	return 0;
}

/* Cgroup ids looked up one by one (not in the last walk): an open-addressing
 * hash of id -> name, or NULL for "none" (asked again after NEG_NS).  Cleared
 * when it holds CG_MAX (a flood of ids; they are looked up again).  Lookups
 * of new ids are bounded to CG_BUDGET a second: an adversarial stream of
 * random ids costs a bounded number of syscalls, the rest render as numbers
 * (without remembering that, so they get names once the flood stops). */
#define NEG_NS (10 * RETRY_NS)
#define CG_MAX (1u << 16)
#define CG_BUDGET 1000

static struct ent *cg_slot(struct names *n, uint64_t id)
{
	size_t mask = n->cg_cap - 1, i = (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & mask;

	while (n->cg[i].id && n->cg[i].id != id)
		i = (i + 1) & mask;
	return &n->cg[i];
}

static void cg_clear(struct names *n)
{
	for (size_t i = 0; i < n->cg_cap; i++)
		free(n->cg[i].name);
	memset(n->cg, 0, n->cg_cap * sizeof(*n->cg));
	n->cg_n = 0;
}

static struct ent *cg_put(struct names *n, uint64_t id, const char *name, int64_t now)
{
	struct ent *x;

	if (!n->cg) {
		n->cg = calloc(2 * CG_MAX, sizeof(*n->cg));
		if (!n->cg)
			return NULL;
		n->cg_cap = 2 * CG_MAX;
	}
	if (n->cg_n >= CG_MAX)
		cg_clear(n);
	x = cg_slot(n, id);
	if (!x->id) {
		x->id = id;
		n->cg_n++;
	}
	free(x->name);
	x->name = name ? strdup(name) : NULL;
	x->at = now;
	return x;
}

static const struct ent *cgroup_miss(struct names *n, struct table *t, uint64_t id, int64_t now)
{
	char path[PATH_MAX];
	const struct ent *w;
	struct ent *x = n->cg && id ? cg_slot(n, id) : NULL;
	int e;

	if (x && x->id == id) {
		if (x->name)
			return x;
		if (now - x->at < NEG_NS)
			return NULL;
	}
	if (now - n->cg_budget_at >= RETRY_NS) {
		n->cg_budget_at = now;
		n->cg_budget = CG_BUDGET;
	}
	if (n->cg_budget <= 0)
		return NULL;
	n->cg_budget--;
	e = cgroup_by_handle(n, id, path, sizeof(path));
	if (!e)
		return cg_put(n, id, path, now);
	/* no handles here (no CAP_DAC_READ_SEARCH, not cgroup2): walk again,
	 * at most once a second */
	if (e != -ESTALE && e != -ENOENT && !(t->tried_at && now - t->tried_at < RETRY_NS)) {
		struct table fresh = {};

		t->tried_at = now;
		if (!load_cgroups(n, &fresh) || fresh.n) {
			table_sort(&fresh);
			table_clear(t);
			free(t->v);
			fresh.tried_at = t->tried_at;
			fresh.loaded_at = now;
			*t = fresh;
			if ((w = table_find(t, id)))
				return w;
		} else {
			free(fresh.v);
		}
	} else if (e != -ESTALE && e != -ENOENT) {
		return NULL;	/* not known yet: ask again after the next walk */
	}
	cg_put(n, id, NULL, now);
	return NULL;
}

/* The table for kind, (re)loaded when it is due: never loaded, stale
 * (interfaces, users), or missing id and not tried within RETRY_NS. */
static const struct ent *lookup(struct names *n, enum names_kind kind, uint64_t id)
{
	struct table *t = &n->tab[kind];
	struct ent *x = t->loaded_at ? (struct ent *)table_find(t, id) : NULL;
	int64_t now = now_ns();
	bool stale = kind != NAMES_CGROUP && t->loaded_at && now - t->loaded_at > REFRESH_NS;

	if (x && !stale)
		return x;
	if (kind == NAMES_CGROUP && t->loaded_at)
		return x ? x : cgroup_miss(n, t, id, now);
	if (t->tried_at && now - t->tried_at < RETRY_NS)
		return x;
	t->tried_at = now;
	{
		struct table fresh = {};
		int e;

		switch (kind) {
		case NAMES_IFINDEX:
			e = load_ifs(n, &fresh);
			break;
		case NAMES_CGROUP:
			e = load_cgroups(n, &fresh);
			break;
		case NAMES_USER:
			e = load_users(n, &fresh);
			break;
		default:
			e = -EINVAL;
		}
		/* a failed load keeps what was known (a partial one is still
		 * better than nothing when nothing was known) */
		if (e && (t->n || !fresh.n)) {
			table_clear(&fresh);
			free(fresh.v);
			return x;
		}
		table_sort(&fresh);
		table_clear(t);
		free(t->v);
		fresh.tried_at = t->tried_at;
		fresh.loaded_at = now;
		*t = fresh;
	}
	return table_find(t, id);
}

size_t names_lookup(struct names *n, enum names_kind kind, uint64_t v, char *buf, size_t size)
{
	const struct ent *x;
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	pthread_mutex_lock(&n->mu);
	if (kind == NAMES_KSYM) {
		sb_reset(&n->sym);
		stacks_ksym(n->ks, v, &n->sym);
		if (!n->sym.err && n->sym.len) {
			len = n->sym.len < size - 1 ? n->sym.len : size - 1;
			memcpy(buf, n->sym.buf, len);
		}
	} else if (kind <= NAMES_USER && (x = lookup(n, kind, v))) {
		len = strlen(x->name);
		if (len > size - 1)
			len = size - 1;
		memcpy(buf, x->name, len);
	}
	buf[len] = '\0';
	pthread_mutex_unlock(&n->mu);
	return len;
}

void names_preload_ksym(struct names *n)
{
	char buf[8];

	names_lookup(n, NAMES_KSYM, 0, buf, sizeof(buf));
}

size_t names_resolve(void *ctx, int kind, uint64_t v, char *buf, size_t size)
{
	return ctx ? names_lookup(ctx, (enum names_kind)kind, v, buf, size) : 0;
}
