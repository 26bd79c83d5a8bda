// SPDX-License-Identifier: MIT
/* Stack ids to frames: for JSON lines and labels (btf_fmt's stack hook) and
 * for the --folded file.  A frame at or above the x86_64/arm64 kernel half
 * of the address space is a kernel frame (kallsyms), any other a user
 * frame of the record's pid (libdw), so one rule serves kernel stacks, user
 * stacks (BPF_F_USER_STACK) and mixed probes alike. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "btf_fmt.h"
#include "mapread.h"
#include "stackfmt.h"
#include "stacks.h"

#define MAX_FRAMES 127		/* the kernel's default perf_event_max_stack */
#define KERNEL_HALF 0xffff800000000000ULL

struct stack_map {
	const struct btf *btf;
	int fd;
	uint32_t value_size;
};

/* Symbolized frames by (pid, address): a counter keyed by stacks is
 * rendered at every scrape and every --interval, and a libdw lookup costs
 * microseconds (bench/RESULTS.md section 7).  Kernel frames use pid 0.
 * Open addressing; emptied when half full, and every minute (a pid reused
 * by another program must not keep the old program's names for long). */
#define FRAME_CACHE (1u << 15)

struct frame_ent {
	uint64_t ip;
	uint32_t pid;
	char *text;		/* NULL: free slot */
};

struct stackfmt {
	pthread_mutex_t mu;
	struct stacks *sym;
	struct frame_ent *cache;
	uint32_t cached;
	time_t cache_since;
	struct stack_map *maps;
	int n;
	struct strbuf frame, out;	/* scratch, under mu */
};

int stackfmt_new(const char *host_root, struct stackfmt **out)
{
	struct stackfmt *sf = calloc(1, sizeof(*sf));
	int e;

	if (!sf)
		return -ENOMEM;
	e = stacks_new(host_root, &sf->sym);
	if (e) {
		free(sf);
		return e;
	}
	sf->cache = calloc(FRAME_CACHE, sizeof(*sf->cache));
	if (!sf->cache) {
		stacks_free(sf->sym);
		free(sf);
		return -ENOMEM;
	}
	pthread_mutex_init(&sf->mu, NULL);
	*out = sf;
	return 0;
}

void stackfmt_free(struct stackfmt *sf)
{
	if (!sf)
		return;
	stacks_free(sf->sym);
	for (uint32_t i = 0; i < FRAME_CACHE; i++)
		free(sf->cache[i].text);
	free(sf->cache);
	free(sf->maps);
	sb_free(&sf->frame);
	sb_free(&sf->out);
	pthread_mutex_destroy(&sf->mu);
	free(sf);
}

int stackfmt_add_map(struct stackfmt *sf, const struct btf *btf, int fd, uint32_t value_size)
{
	struct stack_map *n;

	for (int i = 0; i < sf->n; i++)
		if (sf->maps[i].btf == btf)
			return 0;
	n = realloc(sf->maps, (size_t)(sf->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	sf->maps = n;
	sf->maps[sf->n++] = (struct stack_map){ .btf = btf, .fd = fd, .value_size = value_size };
	return 0;
}

void stackfmt_preload(struct stackfmt *sf)
{
	struct strbuf sb = {};

	/* any lookup loads the table */
	pthread_mutex_lock(&sf->mu);
	stacks_ksym(sf->sym, KERNEL_HALF, &sb);
	pthread_mutex_unlock(&sf->mu);
	sb_free(&sb);
}

static const struct stack_map *map_for(const struct stackfmt *sf, const struct btf *btf)
{
	for (int i = 0; i < sf->n; i++)
		if (sf->maps[i].btf == btf)
			return &sf->maps[i];
	return NULL;
}

/* Frames of one stack into ips; 0 when there is none. */
static int read_stack(const struct stack_map *sm, int64_t id, uint64_t *ips)
{
	int n;

	if (!sm || id < 0)
		return 0;
	n = stacks_read(sm->fd, sm->value_size, id, ips, MAX_FRAMES);
	return n < 0 ? 0 : n;
}

static void symbolize(struct stackfmt *sf, uint32_t pid, uint64_t ip, struct strbuf *out)
{
	uint64_t h;
	uint32_t i;
	size_t start = out->len;

	if (ip >= KERNEL_HALF)
		pid = 0;
	if (time(NULL) - sf->cache_since > 60) {
		for (uint32_t k = 0; k < FRAME_CACHE; k++) {
			free(sf->cache[k].text);
			sf->cache[k].text = NULL;
		}
		sf->cached = 0;
		sf->cache_since = time(NULL);
	}
	h = (ip ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ULL;
	for (i = (uint32_t)(h >> 49); sf->cache[i].text; i = (i + 1) & (FRAME_CACHE - 1)) {
		if (sf->cache[i].ip == ip && sf->cache[i].pid == pid) {
			sb_puts(out, sf->cache[i].text);
			return;
		}
	}
	if (ip >= KERNEL_HALF)
		stacks_ksym(sf->sym, ip, out);
	else
		stacks_usym(sf->sym, pid, ip, out);
	/* a frame that is still a bare address may resolve later (a process
	 * whose maps were not readable yet): not cached */
	if (out->err || !strncmp(out->buf + start, "0x", 2))
		return;
	if (sf->cached >= FRAME_CACHE / 2) {
		for (uint32_t k = 0; k < FRAME_CACHE; k++) {
			free(sf->cache[k].text);
			sf->cache[k].text = NULL;
		}
		sf->cached = 0;
		for (i = (uint32_t)(h >> 49); sf->cache[i].text; i = (i + 1) & (FRAME_CACHE - 1))
			;
	}
	sf->cache[i].text = strndup(out->buf + start, out->len - start);
	if (sf->cache[i].text) {
		sf->cache[i].ip = ip;
		sf->cache[i].pid = pid;
		sf->cached++;
	}
}

size_t stackfmt_render(void *ctx, const struct btf *btf, int64_t id, uint32_t pid, bool text, char *w,
		       size_t room)
{
	struct stackfmt *sf = ctx;
	uint64_t ips[MAX_FRAMES];
	size_t len;
	int n;

	pthread_mutex_lock(&sf->mu);
	n = read_stack(map_for(sf, btf), id, ips);
	sb_reset(&sf->out);
	if (!text)
		sb_putc(&sf->out, '[');
	for (int i = 0; i < n; i++) {
		/* JSON innermost first; text outermost first, as folded stacks */
		uint64_t ip = text ? ips[n - 1 - i] : ips[i];
		size_t mark = sf->out.len;

		sb_reset(&sf->frame);
		symbolize(sf, pid, ip, &sf->frame);
		if (i)
			sb_putc(&sf->out, text ? ';' : ',');
		if (text) {
			sb_add(&sf->out, sf->frame.buf, sf->frame.len);
		} else {
			sb_putc(&sf->out, '"');
			fmt_json_str(&sf->out, sf->frame.buf, sf->frame.len);
			sb_putc(&sf->out, '"');
		}
		/* never past the plan's bound: drop the deepest frames */
		if (sf->out.len + 1 > room) {
			sf->out.len = mark;
			break;
		}
	}
	if (!text)
		sb_putc(&sf->out, ']');
	len = sf->out.err || sf->out.len > room ? 0 : sf->out.len;
	if (len)
		memcpy(w, sf->out.buf, len);
	else if (!text && room >= 2)
		memcpy(w, "[]", len = 2);
	pthread_mutex_unlock(&sf->mu);
	return len;
}

/* ---- --folded ---- */

struct key_shape {
	uint32_t stack_off[4], stack_size[4];
	int nstacks;
	int64_t comm_off;
	uint32_t comm_len;
	int64_t pid_off;
};

static bool chain_has(const struct btf *btf, uint32_t id, const char *name)
{
	for (int hops = 0; hops < 32; hops++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return false;
		if (btf_is_typedef(t) && !strcmp(btf__name_by_offset(btf, t->name_off), name))
			return true;
		if (!btf_is_typedef(t) && !btf_is_mod(t))
			return false;
		id = t->type;
	}
	return false;
}

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

static bool key_shape(const struct export_map *em, struct key_shape *ks)
{
	const struct btf_type *t;
	const struct btf_member *m;

	memset(ks, 0, sizeof(*ks));
	ks->comm_off = ks->pid_off = -1;
	if (!em->btf || !em->key_type_id || em->is_event)
		return false;
	t = skip_mods(em->btf, em->key_type_id);
	if (!t || !btf_is_struct(t))
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(em->btf, m->name_off);
		uint32_t off = btf_member_bit_offset(t, (uint32_t)i);
		const struct btf_type *mt = skip_mods(em->btf, m->type);

		if (off % 8 || btf_member_bitfield_size(t, (uint32_t)i) || !mt)
			continue;
		if (chain_has(em->btf, m->type, "stack_id") && btf_is_int(mt) && (mt->size == 4 || mt->size == 8)) {
			if (ks->nstacks < 4) {
				ks->stack_off[ks->nstacks] = off / 8;
				ks->stack_size[ks->nstacks++] = mt->size;
			}
		} else if (name && !strcmp(name, "comm") && btf_is_array(mt) && ks->comm_off < 0) {
			ks->comm_off = off / 8;
			ks->comm_len = btf_array(mt)->nelems;
		} else if (name && (!strcmp(name, "pid") || !strcmp(name, "tgid")) && ks->pid_off < 0 &&
			   btf_is_int(mt) && mt->size == 4) {
			ks->pid_off = off / 8;
		}
	}
	return ks->nstacks > 0;
}

bool stackfmt_folded_map(const struct export_map *em)
{
	struct key_shape ks;

	return em->kind == OUT_COUNTER && key_shape(em, &ks);
}

/* Flame graphs merge frames by name: "vfs_read+0x1a [mod]" -> "vfs_read [mod]",
 * "libc.so.6+0x1234" -> "libc.so.6"; a bare address stays. */
static void strip_offset(struct strbuf *f)
{
	char *b = (char *)sb_cstr(f), *plus = strstr(b, "+0x"), *end;

	if (!plus || plus == b)
		return;
	for (end = plus + 3; *end && *end != ' '; end++)
		;
	memmove(plus, end, strlen(end) + 1);
	f->len = strlen(b);
}

struct fline {
	char *text;
	uint64_t count;
};

static int cmp_fline(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->text, ((const struct fline *)b)->text);
}

/* A counter's value: an integer (summed over CPUs), or a struct's first member. */
static uint64_t value_of(const struct export_map *em, const struct mapread *rd, uint32_t i)
{
	const unsigned char *v = mapread_val(rd, i);
	uint32_t size = em->value_size > 8 ? 8 : em->value_size;
	const struct btf_type *t = skip_mods(em->btf, em->value_type_id);
	uint64_t sum = 0;

	if (t && btf_is_struct(t) && btf_vlen(t)) {
		const struct btf_type *mt = skip_mods(em->btf, btf_members(t)->type);

		size = mt && btf_is_int(mt) && mt->size <= 8 ? mt->size : 8;
	}
	for (int c = 0; c < rd->ncpu; c++) {
		uint64_t x = 0;

		memcpy(&x, v + (size_t)c * rd->cpu_stride, size);	/* little endian */
		sum += x;
	}
	return sum;
}

static int folded_map(struct stackfmt *sf, const struct export_map *em, struct fline **lines, int *nlines,
		      int *cap)
{
	const struct stack_map *sm = map_for(sf, em->btf);
	struct strbuf line = {}, user = {}, kern = {};
	struct mapread rd = {};
	struct key_shape ks;
	int e;

	if (!key_shape(em, &ks))
		return 0;
	e = mapread_init(&rd, em->fd, em->type, em->key_size, em->value_size, em->max_entries, em->percpu,
			 em->ncpu);
	if (!e)
		e = mapread_all(&rd);
	for (uint32_t i = 0; !e && i < rd.n; i++) {
		const unsigned char *k = mapread_key(&rd, i);
		uint32_t pid = 0;
		uint64_t count = value_of(em, &rd, i);

		if (!count)
			continue;
		if (ks.pid_off >= 0)
			memcpy(&pid, k + ks.pid_off, 4);
		sb_reset(&line);
		sb_reset(&user);
		sb_reset(&kern);
		if (ks.comm_off >= 0) {
			size_t n = strnlen((const char *)k + ks.comm_off, ks.comm_len);
			char comm[256];

			snprintf(comm, sizeof(comm), "%.*s", (int)n, (const char *)k + ks.comm_off);
			stacks_folded_frame(&line, comm);
		} else {
			stacks_folded_frame(&line, em->name);
		}
		pthread_mutex_lock(&sf->mu);
		for (int s = 0; s < ks.nstacks; s++) {
			uint64_t ips[MAX_FRAMES];
			int64_t id = 0;
			int n;

			if (ks.stack_size[s] == 4) {
				int32_t v;

				memcpy(&v, k + ks.stack_off[s], 4);
				id = v;
			} else {
				memcpy(&id, k + ks.stack_off[s], 8);
			}
			n = read_stack(sm, id, ips);
			for (int f = n - 1; f >= 0; f--) {
				struct strbuf *dst = ips[f] >= KERNEL_HALF ? &kern : &user;

				sb_reset(&sf->frame);
				symbolize(sf, pid, ips[f], &sf->frame);
				strip_offset(&sf->frame);
				sb_putc(dst, ';');
				stacks_folded_frame(dst, sb_cstr(&sf->frame));
			}
		}
		pthread_mutex_unlock(&sf->mu);
		sb_add(&line, user.buf, user.len);
		sb_add(&line, kern.buf, kern.len);
		if (line.err) {
			e = -ENOMEM;
			break;
		}
		if (*nlines == *cap) {
			int ncap = *cap ? *cap * 2 : 256;
			struct fline *nl = realloc(*lines, (size_t)ncap * sizeof(*nl));

			if (!nl) {
				e = -ENOMEM;
				break;
			}
			*lines = nl;
			*cap = ncap;
		}
		(*lines)[*nlines].text = strdup(sb_cstr(&line));
		(*lines)[*nlines].count = count;
		if (!(*lines)[*nlines].text) {
			e = -ENOMEM;
			break;
		}
		(*nlines)++;
	}
	mapread_free(&rd);
	sb_free(&line);
	sb_free(&user);
	sb_free(&kern);
	return e;
}

int stackfmt_write_folded(struct stackfmt *sf, const struct export_map *const *maps, int n, const char *path,
			  struct rerr *err)
{
	struct fline *lines = NULL;
	int nlines = 0, cap = 0, e = 0;
	char tmp[4096];
	FILE *f;

	for (int i = 0; i < n && !e; i++)
		if (stackfmt_folded_map(maps[i]))
			e = folded_map(sf, maps[i], &lines, &nlines, &cap);
	if (e) {
		rerr_set(err, e, "--folded %s: cannot read the stack counters: %s", path, strerror(-e));
		goto out;
	}
	qsort(lines, (size_t)nlines, sizeof(*lines), cmp_fline);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		e = -errno;
		rerr_set(err, e, "--folded %s: %s", path, strerror(-e));
		goto out;
	}
	for (int i = 0; i < nlines; i++) {
		uint64_t c = lines[i].count;

		/* identical stacks (other pids of one command) are one line */
		while (i + 1 < nlines && !strcmp(lines[i].text, lines[i + 1].text))
			c += lines[++i].count;
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)c);
	}
	if (fflush(f) || ferror(f)) {
		e = -errno ? -errno : -EIO;
		fclose(f);
		unlink(tmp);
		rerr_set(err, e, "--folded %s: %s", path, strerror(-e));
		goto out;
	}
	fclose(f);
	if (rename(tmp, path)) {
		e = -errno;
		unlink(tmp);
		rerr_set(err, e, "--folded %s: %s", path, strerror(-e));
	}
out:
	for (int i = 0; i < nlines; i++)
		free(lines[i].text);
	free(lines);
	return e;
}
