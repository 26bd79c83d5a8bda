// SPDX-License-Identifier: MIT
/* Metric families from exported maps (DESIGN.md section 4, spec/metrics.md).
 *
 * Hash/array maps are read whole at scrape time (no cache, so a deleted key
 * vanishes and a counter that goes down is just a reset to Prometheus) and
 * their entries are grouped by rendered label text: keys that differ only
 * in "__" members, padding or bytes after a NUL merge by summing.
 *
 * Ring/perf maps keep series in memory, updated per event.  The event path
 * keys a table by the canonical bytes of the label fields (strings cut at
 * the NUL, bitfields extracted, hidden members and padding left out), so a
 * known label set costs one hash and one memcmp; only a new canonical key
 * renders label text, and two canonical keys with the same text share one
 * series. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "loss.h"
#include "metrics_int.h"
#include "progstats.h"

#ifndef EBPFCTL_VERSION
#define EBPFCTL_VERSION "unknown"
#endif

#define RELAXED_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define RELAXED_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define RELAXED_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* The runner's own families, in render order (names reserved up front so
 * a user map cannot shadow one with --metrics-namespace ebpfctl). */
static const char *const self_names[] = {
	"ebpfctl_build_info",
	"ebpfctl_programs_attached",
	"ebpfctl_program_info",
	"ebpfctl_program_run_seconds_total",
	"ebpfctl_program_runs_total",
	"ebpfctl_events_read_total",
	"ebpfctl_events_lost_total",
	"ebpfctl_ringbuf_backlog_bytes",
	"ebpfctl_ringbuf_size_bytes",
	"ebpfctl_series",
	"ebpfctl_series_dropped_total",
	"ebpfctl_map_entries",
	"ebpfctl_map_max_entries",
	"ebpfctl_map_read_errors_total",
	"ebpfctl_scrape_duration_seconds",
};

bool mm_all_zero(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		if (w)
			return false;
	}
	while (n--)
		if (*s++)
			return false;
	return true;
}

static const char *map_type_name(uint32_t type)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	return s ? s : "unknown";
}

/* "char[16]", "struct val", "u64 *": for error messages */
static void describe_type(const struct btf *btf, uint32_t id, struct strbuf *sb, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name;

	if (!id) {
		sb_puts(sb, "void");
		return;
	}
	if (!t || depth > 16) {
		sb_puts(sb, "?");
		return;
	}
	name = btf__name_by_offset(btf, t->name_off);
	if (!name || !*name)
		name = "(anon)";
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		sb_puts(sb, name);
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		describe_type(btf, t->type, sb, depth + 1);
		break;
	case BTF_KIND_PTR:
		describe_type(btf, t->type, sb, depth + 1);
		sb_puts(sb, " *");
		break;
	case BTF_KIND_ARRAY:
		describe_type(btf, btf_array(t)->type, sb, depth + 1);
		sb_printf(sb, "[%u]", btf_array(t)->nelems);
		break;
	case BTF_KIND_STRUCT:
		sb_printf(sb, "struct %s", name);
		break;
	case BTF_KIND_UNION:
		sb_printf(sb, "union %s", name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		sb_printf(sb, "enum %s", name);
		break;
	case BTF_KIND_FWD:
		sb_printf(sb, "%s %s (forward declaration)", btf_kflag(t) ? "union" : "struct", name);
		break;
	default:
		sb_printf(sb, "BTF kind %u", btf_kind(t));
		break;
	}
}

static char *describe_dup(const struct btf *btf, uint32_t id)
{
	struct strbuf sb = {};
	char *s;

	describe_type(btf, id, &sb, 0);
	s = strdup(sb_cstr(&sb));
	sb_free(&sb);
	return s;
}

/* ---- lifecycle ---- */

int metrics_new(const struct metrics_opts *o, struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->ns = strdup(o && o->ns ? o->ns : METRICS_DEFAULT_NS);
	m->max_series = o && o->max_series ? o->max_series : METRICS_DEFAULT_MAX_SERIES;
	m->table_max_series = o ? o->table_max_series : 0;
	if (o && o->n_hist_buckets > 0) {
		m->hb = o->hist_buckets;
		m->nhb = o->n_hist_buckets;
		m->hb_used = calloc((size_t)m->nhb, sizeof(*m->hb_used));
	}
	pthread_mutex_init(&m->render_mu, NULL);
	if (!m->ns || (m->nhb && !m->hb_used)) {
		metrics_free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

static void map_free(struct mm_map *mm)
{
	free(mm->name);
	free(mm->owner);
	sb_free(&mm->fam_list);
	free(mm->json_name);
	fmt_fields_free(mm->lfields);
	for (int i = 0; i < mm->nlabels; i++)
		free(mm->labels[i].name);
	free(mm->labels);
	fmt_fields_free(mm->vfields);
	for (int i = 0; i < mm->nfams; i++) {
		free(mm->fams[i].name);
		free(mm->fams[i].help);
	}
	free(mm->fams);
	mapread_free(&mm->rd);
	stab_free(&mm->scrape);
	stab_free(&mm->admitted);
	free(mm->keep);
	sb_free(&mm->lbl);
	sb_free(&mm->tmp);
	if (mm->mu_init)
		pthread_mutex_destroy(&mm->mu);
	stab_free(&mm->series);
	stab_free(&mm->raw);
	free(mm->canon);
	sb_free(&mm->ev_lbl);
	sb_free(&mm->ev_tmp);
	mm_print_free(mm);
	sb_free(&mm->le_sb);
	free(mm->le_off);
	if (mm->rb_pages)
		munmap(mm->rb_pages, mm->rb_len);
	free(mm);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nmaps; i++)
		map_free(m->maps[i]);
	free(m->maps);
	for (int i = 0; i < m->nrings; i++) {
		free(m->rings[i].name);
		munmap(m->rings[i].pages, m->rings[i].len);
	}
	free(m->rings);
	for (int i = 0; i < m->nnames; i++)
		free(m->names[i]);
	free(m->names);
	free(m->owners);
	free(m->hb_used);
	free(m->ns);
	sb_free(&m->scratch);
	pthread_mutex_destroy(&m->render_mu);
	free(m);
}

/* Hash/array maps need BTF for both key and value to be exported. */
int mm_require_kv_types(const struct mm_map *mm, struct rerr *err)
{
	if (mm->em->key_type_id && mm->em->value_type_id)
		return 0;
	rerr_set(err, -EINVAL, "map '%s': no BTF type for the %s", mm->name,
		 !mm->em->key_type_id ? "key" : "value");
	rerr_hint(err, "declare the map with __type(key, ...) and __type(value, ...)");
	return -EINVAL;
}

struct mm_map *mm_find(struct metrics *m, const struct export_map *em)
{
	for (int i = 0; i < m->nmaps; i++)
		if (m->maps[i]->em == em)
			return m->maps[i];
	/* the caller moved its export_map: fall back to the name */
	for (int i = 0; i < m->nmaps; i++)
		if (!strcmp(m->maps[i]->name, em->name))
			return m->maps[i];
	return NULL;
}

/* ---- ring buffer positions ---- */

/* The consumer and producer positions live in the ring's first two pages;
 * a read-only mapping is always allowed and costs nothing to read. */
static int map_ring_pages(int fd, void **pages, size_t *len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*pages = p;
	*len = 2 * pg;
	return 0;
}

static uint64_t ring_backlog(const void *pages, size_t len)
{
	const unsigned long *cons = pages;
	const unsigned long *prod = (const void *)((const char *)pages + len / 2);
	unsigned long c = __atomic_load_n(cons, __ATOMIC_ACQUIRE);
	unsigned long p = __atomic_load_n(prod, __ATOMIC_ACQUIRE);

	return p >= c ? p - c : 0;
}

int metrics_add_ringbuf(struct metrics *m, const char *name, int fd, uint32_t size)
{
	struct mm_ring *r;
	int e;

	if (!m)
		return 0;
	r = realloc(m->rings, (size_t)(m->nrings + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	m->rings = r;
	r = &m->rings[m->nrings];
	memset(r, 0, sizeof(*r));
	e = map_ring_pages(fd, &r->pages, &r->len);
	if (e)
		return e;
	r->name = strdup(name);
	if (!r->name) {
		munmap(r->pages, r->len);
		return -ENOMEM;
	}
	r->size = size;
	m->nrings++;
	return 0;
}

/* ---- names ---- */

static int claim_name(struct metrics *m, const char *name, const char *owner, struct rerr *err)
{
	char **n;
	const char **o;

	for (int i = 0; i < m->nnames; i++) {
		if (strcmp(m->names[i], name))
			continue;
		if (m->owners[i]) {
			rerr_set(err, -EEXIST, "map '%s': metric name '%s' is already used by map '%s'", owner,
				 name, m->owners[i]);
			rerr_hint(err, "rename one of the maps or members");
		} else {
			rerr_set(err, -EEXIST, "map '%s': metric name '%s' is one of ebpfctl's own", owner, name);
			rerr_hint(err, "choose another --metrics-namespace or rename the map");
		}
		return -EEXIST;
	}
	n = realloc(m->names, (size_t)(m->nnames + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->names = n;
	o = realloc(m->owners, (size_t)(m->nnames + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	m->owners = o;
	m->names[m->nnames] = strdup(name);
	if (!m->names[m->nnames])
		return -ENOMEM;
	m->owners[m->nnames++] = owner;
	return 0;
}

static int claim_self_names(struct metrics *m)
{
	if (m->nnames)
		return 0;
	for (size_t i = 0; i < sizeof(self_names) / sizeof(self_names[0]); i++) {
		int e = claim_name(m, self_names[i], NULL, NULL);

		if (e)
			return e;
	}
	return 0;
}

/* Reserve every sample name of a family and warn about lint problems. */
static int register_family(struct metrics *m, struct mm_map *mm, const char *family, enum prom_type type,
			   struct rerr *err)
{
	const char **labels = calloc((size_t)mm->nlabels + 1, sizeof(*labels));
	struct strbuf sb = {};
	int e, n;

	if (!labels)
		return -ENOMEM;
	e = claim_self_names(m);
	if (!e && type == PROM_HISTOGRAM) {
		static const char *const sfx[] = { "_bucket", "_count", "_sum" };

		for (int i = 0; i < 3 && !e; i++) {
			sb_reset(&sb);
			sb_printf(&sb, "%s%s", family, sfx[i]);
			e = claim_name(m, sb_cstr(&sb), mm->owner, err);
		}
	}
	if (!e)
		e = claim_name(m, family, mm->owner, err);
	if (e)
		goto out;
	sb_printf(&mm->fam_list, "%s %s\n", family, prom_type_name(type));
	for (int i = 0; i < mm->nlabels; i++)
		labels[i] = mm->labels[i].name;
	sb_reset(&sb);
	n = prom_lint(family, type, labels, mm->nlabels, &sb);
	if (n)
		rwarn("map '%s': metric '%s' will fail `promtool check metrics` lint: %s", mm->name, family,
		      sb_cstr(&sb));
out:
	free(labels);
	sb_free(&sb);
	return e == -ENOMEM ? rerr_set(err, e, "map '%s': out of memory", mm->name) : e;
}

/* ---- labels ---- */

static bool label_taken(const struct mm_map *mm, const char *name, bool hist)
{
	if (hist && !strcmp(name, "le"))
		return true;
	for (int i = 0; i < mm->nlabels; i++)
		if (!strcmp(mm->labels[i].name, name))
			return true;
	return false;
}

static size_t canon_len(const struct fmt_field *f)
{
	return f->bit_size ? 8 : f->byte_size;
}

/* Labels are every non-hidden field of type_id except `skip` (the value
 * field of a ring-buffer gauge/hist). */
static int setup_labels(struct mm_map *mm, uint32_t type_id, const struct fmt_field *skip, bool hist,
			struct rerr *err)
{
	struct fmt_fields *ff = mm->lfields;
	int e;

	if (!ff) {
		e = fmt_fields_new(mm->btf, type_id, &ff);
		if (e)
			return rerr_set(err, e, "map '%s': cannot use the %s type for labels: %s", mm->name,
					mm->is_event ? "event" : "key", strerror(-e));
		mm->lfields = ff;
	}
	mm->labels = calloc((size_t)ff->n + 1, sizeof(*mm->labels));
	if (!mm->labels)
		return -ENOMEM;
	for (int i = 0; i < ff->n; i++) {
		const struct fmt_field *f = &ff->f[i];
		struct strbuf sb = {};

		if (f->hidden || f == skip)
			continue;
		prom_label_name(&sb, f->name);
		/* flattened names can collide ("a_b" and a.b), and a key field
		 * named le would clash with the bucket label */
		while (!sb.err && label_taken(mm, sb_cstr(&sb), hist))
			sb_putc(&sb, '_');
		if (sb.err)
			return -ENOMEM;
		mm->labels[mm->nlabels].f = f;
		mm->labels[mm->nlabels].name = strdup(sb_cstr(&sb));
		sb_free(&sb);
		if (!mm->labels[mm->nlabels].name)
			return -ENOMEM;
		mm->canon_size += canon_len(f);
		mm->nlabels++;
	}
	return 0;
}

/* name="value",... without braces; value is fmt_field_text escaped. */
static int render_labels(const struct mm_map *mm, const void *rec, size_t len, struct strbuf *out,
			 struct strbuf *tmp)
{
	for (int i = 0; i < mm->nlabels; i++) {
		int e;

		sb_reset(tmp);
		e = fmt_field_text(mm->labels[i].f, rec, len, tmp);
		if (e)
			return e;
		if (i)
			sb_putc(out, ',');
		sb_puts(out, mm->labels[i].name);
		sb_add(out, "=\"", 2);
		prom_label_escape(out, tmp->buf ? tmp->buf : "", tmp->len);
		sb_putc(out, '"');
	}
	return out->err;
}

static uint64_t load_bits(const unsigned char *rec, uint32_t bit_off, uint32_t bit_size)
{
	unsigned __int128 v = 0;
	uint32_t first = bit_off / 8, shift = bit_off % 8;
	uint32_t nbytes = (shift + bit_size + 7) / 8;

	/* BPF objects target the host's byte order; this is little endian */
	memcpy(&v, rec + first, nbytes > 16 ? 16 : nbytes);
	v >>= shift;
	return bit_size >= 64 ? (uint64_t)v : (uint64_t)v & ((1ULL << bit_size) - 1);
}

/* Canonical label bytes of an event: equal for records whose labels must
 * render the same, whatever their hidden members, padding or string tails. */
static void canon_key(const struct mm_map *mm, const unsigned char *rec, unsigned char *out)
{
	for (int i = 0; i < mm->nlabels; i++) {
		const struct fmt_field *f = mm->labels[i].f;
		const unsigned char *p = rec + f->bit_off / 8;

		if (f->bit_size) {
			uint64_t v = load_bits(rec, f->bit_off, f->bit_size);

			memcpy(out, &v, 8);
			out += 8;
		} else if (f->kind == FMT_F_STR) {
			const unsigned char *nul = memchr(p, 0, f->byte_size);
			size_t n = nul ? (size_t)(nul - p) : f->byte_size;

			memcpy(out, p, n);
			memset(out + n, 0, f->byte_size - n);
			out += f->byte_size;
		} else {
			memcpy(out, p, f->byte_size);
			out += f->byte_size;
		}
	}
}

static int le_build(struct mm_map *mm);

/* ---- hash/array maps ---- */

static uint64_t load_uint(const unsigned char *p, uint32_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64 = 0;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, size < 8 ? size : 8);
		return u64;
	}
}

static int64_t load_sint(const unsigned char *p, uint32_t size)
{
	uint64_t u = load_uint(p, size);

	if (size < 8 && (u >> (size * 8 - 1)) & 1)
		u |= ~0ULL << (size * 8);
	return (int64_t)u;
}

static const struct btf_type *resolved(const struct btf *btf, uint32_t id, uint32_t *rid)
{
	int r = btf__resolve_type(btf, id);

	if (r < 0)
		return NULL;
	if (rid)
		*rid = (uint32_t)r;
	return btf__type_by_id(btf, (uint32_t)r);
}

/* A member typed (through typedefs and modifiers) as solo_types.h's duration. */
static bool is_duration_type(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int depth = 0; t && depth < 32; depth++) {
		if (btf_is_typedef(t)) {
			const char *n = btf__name_by_offset(btf, t->name_off);

			if (n && !strcmp(n, "duration"))
				return true;
		} else if (!btf_is_mod(t) && !btf_is_type_tag(t)) {
			return false;
		}
		t = btf__type_by_id(btf, t->type);
	}
	return false;
}

static bool int_array(const struct btf *btf, const struct btf_type *t, uint32_t *nelems, uint32_t *esize)
{
	const struct btf_type *et;
	uint32_t eid;

	if (!t || !btf_is_array(t))
		return false;
	et = resolved(btf, btf_array(t)->type, &eid);
	/* bool is no count, and char[N] is text (section 5), not slots */
	if (!et || !btf_is_int(et) || btf_int_encoding(et) & BTF_INT_BOOL ||
	    !strcmp(btf__name_by_offset(btf, et->name_off) ?: "", "char"))
		return false;
	*nelems = btf_array(t)->nelems;
	*esize = et->size;
	return *esize == 1 || *esize == 2 || *esize == 4 || *esize == 8;
}

static int hist_value_error(struct mm_map *mm, const char *got, struct rerr *err)
{
	rerr_set(err, -EINVAL,
		 "map '%s': hist value must be an integer array of log2 slots or a struct whose first integer "
		 "array is the slots, got %s", mm->name, got);
	rerr_hint(err, "declare e.g. __type(value, u32[26]) or struct hist { u32 slots[26]; u64 sum; }");
	return -EINVAL;
}

static int setup_map_hist(struct mm_map *mm, struct rerr *err)
{
	const struct btf *btf = mm->btf;
	const struct btf_type *t = resolved(btf, mm->em->value_type_id, NULL);
	bool found = false;
	char *got;
	int e;

	if (int_array(btf, t, &mm->nslots, &mm->slot_size)) {
		found = true;
	} else if (t && btf_is_struct(t)) {
		const struct btf_member *mb = btf_members(t);

		for (int i = 0; i < btf_vlen(t); i++, mb++) {
			const struct btf_type *mt = resolved(btf, mb->type, NULL);
			const char *name = btf__name_by_offset(btf, mb->name_off);
			uint32_t off = btf_member_bit_offset(t, (uint32_t)i);
			uint32_t n, sz;

			if (!found && int_array(btf, mt, &n, &sz) && off % 8 == 0) {
				mm->slots_off = off / 8;
				mm->nslots = n;
				mm->slot_size = sz;
				found = true;
			} else if (name && !strcmp(name, "sum") && mt && btf_is_int(mt) && off % 8 == 0 &&
				   !btf_member_bitfield_size(t, (uint32_t)i) && mt->size <= 8) {
				mm->has_sum = true;
				mm->sum_off = off / 8;
				mm->sum_size = mt->size;
				mm->sum_signed = btf_int_encoding(mt) & BTF_INT_SIGNED;
				/* a duration sum: the slots are log2 of nanoseconds too;
				 * both are shown in seconds (Prometheus' base unit) */
				mm->sum_duration = mt->size == 8 && is_duration_type(btf, mb->type);
			}
		}
	}
	if (found && mm->nslots)
		return 0;
	got = describe_dup(btf, mm->em->value_type_id);
	e = hist_value_error(mm, got ? got : "?", err);
	free(got);
	return e;
}

static int value_shape_error(struct mm_map *mm, const struct fmt_field *bad, struct rerr *err)
{
	struct strbuf sb = {};
	const char *what = mm->kind == OUT_COUNTER ? "counter value must be an integer or a struct of integers"
						   : "gauge value must be a number or a struct of numbers";

	describe_type(mm->btf, mm->em->value_type_id, &sb, 0);
	if (bad && bad->name && strcmp(bad->name, "key")) {
		sb_printf(&sb, " (member '%s' is ", bad->name);
		describe_type(mm->btf, bad->type_id, &sb, 0);
		sb_putc(&sb, ')');
	} else if (!bad) {
		sb_puts(&sb, " (no visible members)");
	}
	rerr_set(err, -EINVAL, "map '%s': %s, got %s", mm->name, what, sb_cstr(&sb));
	sb_free(&sb);
	return -EINVAL;
}

static int add_family(struct mm_map *mm, const char *name, const char *help, const struct fmt_field *vf)
{
	struct mm_family *f = realloc(mm->fams, (size_t)(mm->nfams + 1) * sizeof(*f));

	if (!f)
		return -ENOMEM;
	mm->fams = f;
	f = &mm->fams[mm->nfams];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		return -ENOMEM;
	}
	f->vf = vf;
	if (vf) {
		f->is_float = vf->kind == FMT_F_FLOAT;
		f->is_duration = vf->is_duration;
	}
	mm->nfams++;
	return 0;
}

static void help_text(struct strbuf *sb, const struct mm_map *mm, const char *what)
{
	struct strbuf raw = {};

	sb_reset(sb);
	sb_printf(&raw, "%s (BPF %s map '%s')", what, map_type_name(mm->type), mm->name);
	prom_help_escape(sb, sb_cstr(&raw));
	sb_free(&raw);
}

static int setup_value_families(struct metrics *m, struct mm_map *mm, struct rerr *err)
{
	const struct btf_type *t = resolved(mm->btf, mm->em->value_type_id, NULL);
	bool is_struct = t && btf_is_struct(t);
	enum prom_type pt = mm->kind == OUT_COUNTER ? PROM_COUNTER : PROM_GAUGE;
	struct strbuf name = {}, help = {}, what = {};
	int e, visible = 0;

	if (t && btf_is_union(t))
		return value_shape_error(mm, NULL, err);
	e = fmt_fields_new(mm->btf, mm->em->value_type_id, &mm->vfields);
	if (e)
		return value_shape_error(mm, NULL, err);
	for (int i = 0; i < mm->vfields->n; i++) {
		const struct fmt_field *f = &mm->vfields->f[i];

		if (f->hidden)
			continue;
		if (f->kind != FMT_F_INT && !(f->kind == FMT_F_FLOAT && pt == PROM_GAUGE))
			return value_shape_error(mm, f, err);
		visible++;
	}
	if (!visible)
		return value_shape_error(mm, NULL, err);
	for (int i = 0; i < mm->vfields->n && !e; i++) {
		const struct fmt_field *f = &mm->vfields->f[i];

		if (f->hidden)
			continue;
		sb_reset(&name);
		prom_family_name(&name, m->ns, mm->em->metric_name, is_struct ? f->name : NULL, pt);
		sb_reset(&what);
		if (is_struct)
			sb_printf(&what, "%s: value member '%s' per key", pt == PROM_COUNTER ? "Counter" : "Gauge",
				  f->name);
		else
			sb_printf(&what, "%s: value per key", pt == PROM_COUNTER ? "Counter" : "Gauge");
		if (f->is_duration)
			sb_puts(&what, ", in seconds");
		help_text(&help, mm, sb_cstr(&what));
		e = add_family(mm, sb_cstr(&name), sb_cstr(&help), f);
		if (e)
			e = rerr_set(err, e, "map '%s': out of memory", mm->name);
		else
			e = register_family(m, mm, mm->fams[mm->nfams - 1].name, pt, err);
	}
	sb_free(&name);
	sb_free(&help);
	sb_free(&what);
	return e;
}

static int setup_table(struct metrics *m, struct mm_map *mm, struct rerr *err)
{
	const struct export_map *em = mm->em;
	size_t payload;
	int e;

	e = mm_require_kv_types(mm, err);
	if (e)
		return e;
	e = setup_labels(mm, em->key_type_id, NULL, mm->kind == OUT_HIST, err);
	if (e)
		return e == -ENOMEM ? rerr_set(err, e, "map '%s': out of memory", mm->name) : e;
	if (mm->kind == OUT_HIST) {
		struct strbuf name = {}, help = {};

		e = setup_map_hist(mm, err);
		if (e)
			return e;
		prom_family_name(&name, m->ns, em->metric_name, NULL, PROM_HISTOGRAM);
		help_text(&help, mm, "Histogram of the log2 slots per key");
		e = add_family(mm, sb_cstr(&name), sb_cstr(&help), NULL);
		sb_free(&name);
		sb_free(&help);
		if (e)
			return rerr_set(err, e, "map '%s': out of memory", mm->name);
		e = register_family(m, mm, mm->fams[0].name, PROM_HISTOGRAM, err);
		if (!e && le_build(mm))
			e = rerr_set(err, -ENOMEM, "map '%s': out of memory", mm->name);
		payload = sizeof(union mm_cell) + (size_t)mm->nslots * sizeof(uint64_t);
	} else {
		e = setup_value_families(m, mm, err);
		payload = (size_t)mm->nfams * sizeof(union mm_cell);
	}
	if (e)
		return e;
	stab_init(&mm->scrape, payload);
	stab_init(&mm->admitted, 0);
	e = mapread_init(&mm->rd, mm->fd, mm->type, mm->key_size, mm->value_size, mm->max_entries, mm->percpu,
			 mm->ncpu);
	if (e)
		return rerr_set(err, e, "map '%s': %s", mm->name, strerror(-e));
	return 0;
}

/* Fold one entry's value (all CPUs) into a series' accumulators. */
static void accumulate(const struct mm_map *mm, void *payload, const unsigned char *val, uint32_t cpu_stride)
{
	int ncpu = mm->percpu ? mm->ncpu : 1;

	if (mm->kind == OUT_HIST) {
		union mm_cell *sum = payload;
		uint64_t *slots = (uint64_t *)(sum + 1);

		for (int c = 0; c < ncpu; c++) {
			const unsigned char *v = val + (size_t)c * cpu_stride;

			for (uint32_t s = 0; s < mm->nslots; s++)
				slots[s] += load_uint(v + mm->slots_off + (size_t)s * mm->slot_size, mm->slot_size);
			if (mm->has_sum)
				sum->i += mm->sum_signed ? (__int128)load_sint(v + mm->sum_off, mm->sum_size)
							 : (__int128)load_uint(v + mm->sum_off, mm->sum_size);
		}
		return;
	}
	for (int j = 0; j < mm->nfams; j++) {
		const struct mm_family *f = &mm->fams[j];
		union mm_cell *cell = (union mm_cell *)payload + j;

		for (int c = 0; c < ncpu; c++) {
			uint64_t u;
			double d;

			if (fmt_field_num(f->vf, val + (size_t)c * cpu_stride, mm->value_size, &u, &d))
				continue;
			if (f->is_float)
				cell->d += d;
			else
				cell->i += f->vf->is_signed ? (__int128)(int64_t)u : (__int128)u;
		}
	}
}

static void put_le_sample(struct strbuf *out, const char *name, const char *sfx, const char *labels, size_t llen,
			  const char *le, size_t lelen)
{
	sb_puts(out, name);
	sb_puts(out, sfx);
	sb_putc(out, '{');
	if (llen) {
		sb_add(out, labels, llen);
		sb_putc(out, ',');
	}
	sb_add(out, "le=\"", 4);
	sb_add(out, le, lelen);
	sb_add(out, "\"} ", 3);
}

static void put_sample(struct strbuf *out, const char *name, const char *sfx, const char *labels, size_t llen)
{
	sb_puts(out, name);
	if (sfx)
		sb_puts(out, sfx);
	if (llen) {
		sb_putc(out, '{');
		sb_add(out, labels, llen);
		sb_putc(out, '}');
	}
	sb_putc(out, ' ');
}

static void put_header(struct strbuf *out, const char *name, const char *help, enum prom_type t)
{
	sb_add(out, "# HELP ", 7);
	sb_puts(out, name);
	sb_putc(out, ' ');
	sb_puts(out, help);
	sb_add(out, "\n# TYPE ", 8);
	sb_puts(out, name);
	sb_putc(out, ' ');
	sb_puts(out, prom_type_name(t));
	sb_putc(out, '\n');
}

static void put_cell(struct strbuf *out, const union mm_cell *c, bool is_float, bool is_duration)
{
	if (is_float)
		prom_double(out, c->d);
	else if (is_duration)
		prom_double(out, (double)c->i / 1e9);
	else
		prom_i128(out, c->i);
}

/* Hash/array maps are bounded by their own max_entries; with --max-series
 * given, label sets of a scrape beyond it are left out too: those exported
 * by the previous over-limit scrape first, then the rest in map order.
 * Returns the mask of records to render (NULL: all), counts the others. */
static const unsigned char *bound_series(struct metrics *m, struct mm_map *mm)
{
	struct stab *t = &mm->scrape;
	uint32_t kept = 0, n = t->n, max = m->table_max_series;

	if (!max || n <= max) {
		/* under the limit again: every label set has its place */
		mm->over_series = false;
		return NULL;
	}
	if (mm->keep_cap < n) {
		unsigned char *k = realloc(mm->keep, n);

		if (!k)
			return NULL;
		mm->keep = k;
		mm->keep_cap = n;
	}
	memset(mm->keep, 0, n);
	if (mm->over_series)
		for (uint32_t i = 0; i < n && kept < max; i++) {
			const struct stab_rec *r = stab_rec(t, i);

			if (stab_find(&mm->admitted, stab_key(t, i), r->key_len, r->hash) >= 0) {
				mm->keep[i] = 1;
				kept++;
			}
		}
	for (uint32_t i = 0; i < n && kept < max; i++)
		if (!mm->keep[i]) {
			mm->keep[i] = 1;
			kept++;
		}
	stab_reset(&mm->admitted);
	for (uint32_t i = 0; i < n; i++) {
		const struct stab_rec *r = stab_rec(t, i);

		if (mm->keep[i] && stab_add(&mm->admitted, stab_key(t, i), r->key_len, r->hash) < 0)
			break;
	}
	mm->over_series = true;
	RELAXED_ADD(&mm->series_dropped, n - kept);
	if (!mm->warned_full) {
		mm->warned_full = true;
		rwarn("map '%s': more than %u label sets (--max-series): the others are left out of /metrics "
		      "and counted in ebpfctl_series_dropped_total at each scrape (reported once)",
		      mm->name, max);
	}
	return mm->keep;
}

static void render_scrape(struct mm_map *mm, struct strbuf *out, const unsigned char *keep)
{
	const struct stab *t = &mm->scrape;

	if (mm->kind == OUT_HIST) {
		const struct mm_family *f = &mm->fams[0];
		put_header(out, f->name, f->help, PROM_HISTOGRAM);
		for (uint32_t i = 0; i < t->n; i++) {
			const struct stab_rec *r = stab_rec(t, i);
			const char *lb = stab_key(t, i);
			union mm_cell *sum = stab_payload(t, i);
			const uint64_t *slots = (const uint64_t *)(sum + 1);
			uint64_t cum = 0;

			if (keep && !keep[i])
				continue;

			for (uint32_t s = 0; s < mm->nslots; s++) {
				cum += slots[s];
				if ((int)s >= mm->le_n)
					continue;	/* beyond 2^127: only +Inf holds it */
				put_le_sample(out, f->name, "_bucket", lb, r->key_len, mm->le_sb.buf + mm->le_off[s],
					      mm->le_off[s + 1] - mm->le_off[s]);
				sb_u64(out, cum);
				sb_putc(out, '\n');
			}
			put_le_sample(out, f->name, "_bucket", lb, r->key_len, "+Inf", 4);
			sb_u64(out, cum);
			sb_putc(out, '\n');
			put_sample(out, f->name, "_count", lb, r->key_len);
			sb_u64(out, cum);
			sb_putc(out, '\n');
			if (mm->has_sum) {
				put_sample(out, f->name, "_sum", lb, r->key_len);
				if (mm->sum_duration)
					prom_double(out, (double)sum->i / 1e9);
				else
					prom_i128(out, sum->i);
				sb_putc(out, '\n');
			}
		}
		return;
	}
	for (int j = 0; j < mm->nfams; j++) {
		const struct mm_family *f = &mm->fams[j];

		put_header(out, f->name, f->help, mm->ptype);
		for (uint32_t i = 0; i < t->n; i++) {
			const union mm_cell *c = (const union mm_cell *)stab_payload(t, i) + j;

			if (keep && !keep[i])
				continue;

			put_sample(out, f->name, NULL, stab_key(t, i), stab_rec(t, i)->key_len);
			put_cell(out, c, f->is_float, f->is_duration);
			sb_putc(out, '\n');
		}
	}
}

int mm_render_entries(struct metrics *m, struct mm_map *mm, const void *keys, const void *vals, uint32_t n,
		      uint32_t vstride, uint32_t cpu_stride, struct strbuf *out)
{
	/* an all-zero array element is "not there" (arrays cannot delete),
	 * except in a one-element array: a global counter should show 0 */
	bool skip_zero = mm->is_array && mm->max_entries > 1;
	uint64_t errors = 0;

	stab_reset(&mm->scrape);
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *k = (const unsigned char *)keys + (size_t)i * mm->key_size;
		const unsigned char *v = (const unsigned char *)vals + (size_t)i * vstride;
		uint64_t h;
		int64_t idx;

		if (skip_zero && mm_all_zero(v, vstride))
			continue;
		sb_reset(&mm->lbl);
		if (render_labels(mm, k, mm->key_size, &mm->lbl, &mm->tmp)) {
			errors++;
			continue;
		}
		h = prom_hash(mm->lbl.buf, mm->lbl.len);
		idx = stab_find(&mm->scrape, mm->lbl.buf, mm->lbl.len, h);
		if (idx < 0)
			idx = stab_add(&mm->scrape, mm->lbl.buf, mm->lbl.len, h);
		if (idx < 0)
			return (int)idx;
		accumulate(mm, stab_payload(&mm->scrape, (uint32_t)idx), v, cpu_stride);
	}
	if (errors)
		RELAXED_ADD(&mm->read_errors, errors);
	render_scrape(mm, out, bound_series(m, mm));
	return out->err;
}

static void render_table_map(struct metrics *m, struct mm_map *mm, struct strbuf *out)
{
	int e = mapread_all(&mm->rd);

	if (e) {
		RELAXED_ADD(&mm->read_errors, 1);
		if (!mm->warned_read) {
			mm->warned_read = true;
			rwarn("map '%s': cannot read for /metrics: %s (its samples are left out; counted in "
			      "ebpfctl_map_read_errors_total)", mm->name, strerror(-e));
		}
		/* keep the families announced, without samples */
		stab_reset(&mm->scrape);
		render_scrape(mm, out, NULL);
		return;
	}
	RELAXED_STORE(&mm->entries, mm->rd.n);
	RELAXED_STORE(&mm->entries_known, true);
	e = mm_render_entries(m, mm, mm->rd.keys, mm->rd.vals, mm->rd.n, mm->rd.vstride, mm->rd.cpu_stride, out);
	if (e && e != -ENOMEM)
		RELAXED_ADD(&mm->read_errors, 1);
}

/* ---- event maps ---- */

static int pick_event_value(struct mm_map *mm, struct rerr *err)
{
	const struct fmt_fields *ff = mm->lfields;
	const struct fmt_field *v = NULL;
	struct strbuf sb = {};

	for (int i = 0; i < ff->n && !v; i++)
		if (!ff->f[i].hidden && !strcmp(ff->f[i].name, "value"))
			v = &ff->f[i];
	for (int i = 0; i < ff->n && !v; i++)
		if (!ff->f[i].hidden && !strcmp(ff->f[i].name, "le"))
			v = &ff->f[i];
	for (int i = ff->n - 1; i >= 0 && !v; i--)
		if (!ff->f[i].hidden && (ff->f[i].kind == FMT_F_INT || ff->f[i].kind == FMT_F_FLOAT))
			v = &ff->f[i];
	if (!v) {
		describe_type(mm->btf, mm->em->value_type_id, &sb, 0);
		rerr_set(err, -EINVAL,
			 "map '%s': %s event type %s has no numeric value field (a member named value or le, or "
			 "any integer or float member)", mm->name, out_kind_name(mm->kind), sb_cstr(&sb));
		sb_free(&sb);
		return -EINVAL;
	}
	if (v->kind != FMT_F_INT && v->kind != FMT_F_FLOAT) {
		describe_type(mm->btf, v->type_id, &sb, 0);
		rerr_set(err, -EINVAL, "map '%s': %s value field '%s' must be a number, got %s", mm->name,
			 out_kind_name(mm->kind), v->name, sb_cstr(&sb));
		sb_free(&sb);
		return -EINVAL;
	}
	mm->evf = v;
	mm->ev_float = v->kind == FMT_F_FLOAT;
	mm->ev_duration = v->is_duration;
	return 0;
}

static const struct runner_hist_buckets *find_buckets(struct metrics *m, const struct mm_map *mm, int *idx)
{
	size_t nsl = strlen(m->ns);

	for (int i = 0; i < m->nhb; i++) {
		const char *w = m->hb[i].map;

		/* the map's name, its metric name, or the family name */
		if (!strcmp(w, mm->name) || !strcmp(w, mm->em->metric_name) ||
		    (!strncmp(w, m->ns, nsl) && w[nsl] == '_' && !strcmp(w + nsl + 1, mm->em->metric_name))) {
			*idx = i;
			return &m->hb[i];
		}
	}
	return NULL;
}

static int setup_event(struct metrics *m, struct mm_map *mm, struct rerr *err)
{
	const struct export_map *em = mm->em;
	struct strbuf name = {}, help = {}, what = {};
	size_t payload = sizeof(union mm_cell);
	int e, hbi;

	if (!em->value_type_id) {
		rerr_set(err, -EINVAL, "map '%s': no BTF type for its events", mm->name);
		rerr_hint(err, "declare the event type with __type(value, struct event)");
		return -EINVAL;
	}
	/* fields once to find the value, then labels without it */
	e = fmt_fields_new(mm->btf, em->value_type_id, &mm->lfields);
	if (e)
		return rerr_set(err, e, "map '%s': cannot use the event type: %s", mm->name, strerror(-e));
	if (mm->kind != OUT_COUNTER) {
		e = pick_event_value(mm, err);
		if (e)
			return e;
	}
	e = setup_labels(mm, em->value_type_id, mm->evf, mm->kind == OUT_HIST, err);
	if (e)
		return e == -ENOMEM ? rerr_set(err, e, "map '%s': out of memory", mm->name) : e;

	prom_family_name(&name, m->ns, em->metric_name, NULL, mm->ptype);
	switch (mm->kind) {
	case OUT_COUNTER:
		sb_puts(&what, "Events counted per label set of event fields");
		payload = sizeof(uint64_t);
		break;
	case OUT_GAUGE:
		sb_printf(&what, "Last value of event field '%s' per label set%s", mm->evf->name,
			  mm->ev_duration ? ", in seconds" : "");
		break;
	default: {
		const struct runner_hist_buckets *hb = find_buckets(m, mm, &hbi);

		if (hb) {
			for (int i = 0; i < hb->n; i++) {
				if (isnan(hb->bounds[i]) || (i && hb->bounds[i] <= hb->bounds[i - 1])) {
					e = rerr_usage(err, -EINVAL,
						       "run: --hist-buckets %s: bounds must be strictly increasing",
						       hb->map);
					goto out;
				}
			}
			m->hb_used[hbi] = true;
			mm->bounds = hb->bounds;
			mm->nbounds = hb->n;
			mm->nbuckets = hb->n + 1;
		} else {
			mm->nbuckets = PROM_LOG2_SLOTS;
		}
		sb_printf(&what, "Distribution of event field '%s' per label set (%s buckets%s)", mm->evf->name,
			  hb ? "--hist-buckets" : "log2", mm->ev_duration ? ", in seconds" : "");
		payload = sizeof(struct mm_ehist) + (size_t)mm->nbuckets * sizeof(uint64_t);
		break;
	}
	}
	help_text(&help, mm, sb_cstr(&what));
	e = add_family(mm, sb_cstr(&name), sb_cstr(&help), NULL);
	if (e) {
		e = rerr_set(err, e, "map '%s': out of memory", mm->name);
		goto out;
	}
	e = register_family(m, mm, mm->fams[0].name, mm->ptype, err);
	if (e)
		goto out;
	if (mm->kind == OUT_HIST && le_build(mm)) {
		e = rerr_set(err, -ENOMEM, "map '%s': out of memory", mm->name);
		goto out;
	}
	stab_init(&mm->series, payload);
	stab_init(&mm->raw, sizeof(uint32_t));
	mm->canon = malloc(mm->canon_size + 1);
	if (!mm->canon || pthread_mutex_init(&mm->mu, NULL)) {
		e = rerr_set(err, -ENOMEM, "map '%s': out of memory", mm->name);
		goto out;
	}
	mm->mu_init = true;
out:
	sb_free(&name);
	sb_free(&help);
	sb_free(&what);
	return e;
}

static void observe(struct mm_map *mm, struct mm_ehist *h, uint64_t u, double d)
{
	const struct fmt_field *f = mm->evf;
	int k;

	h->count++;
	if (mm->ev_float) {
		h->sum.d += d;
		k = mm->bounds ? prom_bucket_index(mm->bounds, mm->nbounds, d) : prom_log2_bucket_double(d);
	} else {
		h->sum.i += f->is_signed ? (__int128)(int64_t)u : (__int128)u;
		if (mm->bounds && mm->ev_duration)
			k = prom_bucket_index(mm->bounds, mm->nbounds, d);	/* seconds */
		else if (mm->bounds)
			k = prom_bucket_index_int(mm->bounds, mm->nbounds, (int64_t)u, u, f->is_signed);
		else
			k = f->is_signed ? prom_log2_bucket_s64((int64_t)u) : prom_log2_bucket_u64(u);
	}
	h->b[k]++;
	if (!mm->bounds && k > mm->max_k)
		mm->max_k = k;
}

void metrics_event(struct metrics *m, const struct export_map *em, const void *rec, size_t len)
{
	struct mm_map *mm;
	uint64_t u = 0, h;
	double d = 0;
	int64_t ri, si;
	void *p;

	if (!m || !(mm = mm_find(m, em)))
		return;
	if (!mm->is_event || mm->kind == OUT_PRINT) {
		RELAXED_ADD(&mm->events_read, 1);
		return;
	}
	if (len < mm->value_size || (mm->evf && fmt_field_num(mm->evf, rec, len, &u, &d))) {
		RELAXED_ADD(&mm->read_errors, 1);
		RELAXED_ADD(&mm->events_read, 1);
		return;
	}
	pthread_mutex_lock(&mm->mu);
	canon_key(mm, rec, mm->canon);
	h = prom_hash(mm->canon, mm->canon_size);
	ri = stab_find(&mm->raw, mm->canon, mm->canon_size, h);
	if (ri >= 0) {
		si = *(uint32_t *)stab_payload(&mm->raw, (uint32_t)ri);
	} else {
		uint64_t th;

		sb_reset(&mm->ev_lbl);
		if (render_labels(mm, rec, len, &mm->ev_lbl, &mm->ev_tmp)) {
			RELAXED_ADD(&mm->read_errors, 1);
			goto out;
		}
		th = prom_hash(mm->ev_lbl.buf, mm->ev_lbl.len);
		si = stab_find(&mm->series, mm->ev_lbl.buf, mm->ev_lbl.len, th);
		if (si < 0) {
			if (mm->series.n >= m->max_series) {
				RELAXED_ADD(&mm->series_dropped, 1);
				if (!mm->warned_full) {
					mm->warned_full = true;
					rwarn("map '%s': more than %u label sets (--max-series): new ones are dropped "
					      "and counted in ebpfctl_series_dropped_total (reported once)",
					      mm->name, m->max_series);
				}
				goto out;
			}
			si = stab_add(&mm->series, mm->ev_lbl.buf, mm->ev_lbl.len, th);
			if (si < 0)
				goto out;
		}
		/* remember the canonical key too, within bounds: text collisions
		 * are rare, so this table is about as big as the series one */
		if (mm->raw.n < 2 * m->max_series) {
			ri = stab_add(&mm->raw, mm->canon, mm->canon_size, h);
			if (ri >= 0)
				*(uint32_t *)stab_payload(&mm->raw, (uint32_t)ri) = (uint32_t)si;
		}
	}
	p = stab_payload(&mm->series, (uint32_t)si);
	switch (mm->kind) {
	case OUT_COUNTER:
		(*(uint64_t *)p)++;
		break;
	case OUT_GAUGE: {
		union mm_cell *c = p;

		if (mm->ev_float)
			c->d = d;
		else
			c->i = mm->evf->is_signed ? (__int128)(int64_t)u : (__int128)u;
		break;
	}
	default:
		observe(mm, p, u, d);
		break;
	}
out:
	pthread_mutex_unlock(&mm->mu);
	/* counted once observed: a scrape that shows N events read renders
	 * them all from then on */
	RELAXED_ADD(&mm->events_read, 1);
}

void mm_render_event_map(struct metrics *m, struct mm_map *mm, struct strbuf *out)
{
	const struct mm_family *f = &mm->fams[0];
	const struct stab *t = &mm->series;

	put_header(out, f->name, f->help, mm->ptype);
	if (mm->kind != OUT_HIST) {
		for (uint32_t i = 0; i < t->n; i++) {
			void *p = stab_payload(t, i);

			put_sample(out, f->name, NULL, stab_key(t, i), stab_rec(t, i)->key_len);
			if (mm->kind == OUT_COUNTER)
				sb_u64(out, *(uint64_t *)p);
			else
				put_cell(out, p, mm->ev_float, mm->ev_duration);
			sb_putc(out, '\n');
		}
		return;
	}
	{
		/* log2: every series shows buckets 0..highest seen in the family,
		 * so bucket sets only ever grow */
		int last = mm->bounds ? mm->nbounds - 1 : (mm->max_k > 64 ? 64 : mm->max_k);

		for (uint32_t i = 0; i < t->n; i++) {
			const struct mm_ehist *h = stab_payload(t, i);
			const char *lb = stab_key(t, i);
			size_t ll = stab_rec(t, i)->key_len;
			uint64_t cum = 0;

			for (int k = 0; k <= last; k++) {
				cum += h->b[k];
				put_le_sample(out, f->name, "_bucket", lb, ll, mm->le_sb.buf + mm->le_off[k],
					      mm->le_off[k + 1] - mm->le_off[k]);
				sb_u64(out, cum);
				sb_putc(out, '\n');
			}
			put_le_sample(out, f->name, "_bucket", lb, ll, "+Inf", 4);
			sb_u64(out, h->count);
			sb_putc(out, '\n');
			put_sample(out, f->name, "_count", lb, ll);
			sb_u64(out, h->count);
			sb_putc(out, '\n');
			put_sample(out, f->name, "_sum", lb, ll);
			put_cell(out, &h->sum, mm->ev_float, mm->ev_duration);
			sb_putc(out, '\n');
		}
	}
}

/* ---- le texts ---- */

static int le_build(struct mm_map *mm)
{
	struct strbuf *sb = &mm->le_sb;
	int n;

	if (!mm->is_event)
		n = mm->nslots < 127 ? (int)mm->nslots : 127;	/* 2^(i+1)-1 fits in 128 bits */
	else if (mm->bounds)
		n = mm->nbounds;
	else
		n = 65;						/* k = 0..64 */
	mm->le_off = calloc((size_t)n + 1, sizeof(*mm->le_off));
	if (!mm->le_off)
		return -ENOMEM;
	mm->le_n = n;
	for (int i = 0; i < n; i++) {
		mm->le_off[i] = (uint32_t)sb->len;
		if (!mm->is_event && mm->sum_duration) {
			prom_double(sb, (double)(((unsigned __int128)1 << (i + 1)) - 1) / 1e9);
		} else if (!mm->is_event) {
			prom_u128(sb, ((unsigned __int128)1 << (i + 1)) - 1);
		} else if (mm->bounds) {
			prom_double(sb, mm->bounds[i]);
		} else {
			uint64_t b = i == 64 ? UINT64_MAX : (1ULL << i) - 1;

			/* a duration is observed in ns and shown in seconds */
			if (mm->ev_duration)
				prom_double(sb, (double)b / 1e9);
			else
				sb_u64(sb, b);
		}
	}
	mm->le_off[n] = (uint32_t)sb->len;
	return sb->err;
}

/* ---- registration ---- */

int metrics_add_map(struct metrics *m, const struct export_map *em, struct rerr *err)
{
	struct mm_map *mm, **maps;
	struct strbuf sb = {};
	int e;

	if (!m || em->kind == OUT_NONE)
		return 0;
	if (!out_map_type_supported(em->type)) {
		rerr_set(err, -EINVAL,
			 "map '%s': a %s map cannot be exported as %s: supported types are " OUT_SUPPORTED_TYPES,
			 em->name, map_type_name(em->type), out_kind_name(em->kind));
		return -EINVAL;
	}
	mm = calloc(1, sizeof(*mm));
	maps = realloc(m->maps, (size_t)(m->nmaps + 1) * sizeof(*maps));
	if (!mm || !maps) {
		free(mm);
		if (maps)
			m->maps = maps;
		return rerr_set(err, -ENOMEM, "map '%s': out of memory", em->name);
	}
	m->maps = maps;
	m->maps[m->nmaps++] = mm;
	mm->em = em;
	mm->name = strdup(em->name);
	/* messages say "map '%s'": with several objects, which object's too */
	if (em->object) {
		if (asprintf(&mm->owner, "%s' of object '%s", em->name, em->object) < 0)
			mm->owner = NULL;
	} else {
		mm->owner = strdup(em->name);
	}
	fmt_json_str(&sb, em->name, strlen(em->name));
	mm->json_name = strdup(sb_cstr(&sb));
	sb_free(&sb);
	if (!mm->name || !mm->json_name || !mm->owner)
		return rerr_set(err, -ENOMEM, "map '%s': out of memory", em->name);
	mm->kind = em->kind;
	mm->ptype = em->kind == OUT_COUNTER ? PROM_COUNTER : em->kind == OUT_GAUGE ? PROM_GAUGE : PROM_HISTOGRAM;
	mm->type = em->type;
	mm->fd = em->fd;
	mm->is_event = em->is_event;
	mm->is_array = em->type == BPF_MAP_TYPE_ARRAY || em->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	mm->percpu = em->percpu;
	mm->ncpu = em->percpu ? (em->ncpu > 0 ? em->ncpu : 1) : 1;
	mm->key_size = em->key_size;
	mm->value_size = em->value_size;
	mm->max_entries = em->max_entries;
	mm->btf = em->btf;

	if (em->type == BPF_MAP_TYPE_RINGBUF && em->fd >= 0) {
		e = map_ring_pages(em->fd, &mm->rb_pages, &mm->rb_len);
		if (e) {
			mm->rb_pages = NULL;
			rwarn("map '%s': cannot map the ring buffer positions: %s (no backlog metric)", mm->name,
			      strerror(-e));
		}
	}
	if (!mm->btf && (em->key_type_id || em->value_type_id))
		return rerr_set(err, -EINVAL, "map '%s': no BTF", mm->name);
	if (mm->is_event)
		return mm->kind == OUT_PRINT ? 0 : setup_event(m, mm, err);
	if (mm->kind == OUT_PRINT)
		return mm_print_init(mm, err);
	return setup_table(m, mm, err);
}

int metrics_finish(struct metrics *m, struct rerr *err)
{
	if (!m)
		return 0;
	for (int i = 0; i < m->nhb; i++) {
		if (m->hb_used[i])
			continue;
		rerr_usage(err, -EINVAL, "run: --hist-buckets %s: no ring buffer or perf event array hist map of that "
			   "name", m->hb[i].map);
		rerr_hint(err, "hash and array hist maps use their own log2 slots");
		return -EINVAL;
	}
	return 0;
}

void metrics_events_read(struct metrics *m, const struct export_map *em, uint64_t n)
{
	struct mm_map *mm;

	if (m && (mm = mm_find(m, em)))
		RELAXED_ADD(&mm->events_read, n);
}

void metrics_events_lost(struct metrics *m, const struct export_map *em, uint64_t n)
{
	struct mm_map *mm;

	if (m && (mm = mm_find(m, em)))
		RELAXED_ADD(&mm->events_lost, n);
}

/* loss accounting (loss.c) */
void metrics_set_probe_lost(struct metrics *m, const struct export_map *em, const struct loss_counter *c)
{
	struct mm_map *mm;

	if (m && (mm = mm_find(m, em)))
		mm->probe_lost = c;
}

void metrics_set_progstats(struct metrics *m, const struct progstats *ps)
{
	if (m)
		m->progstats = ps;
}

int metrics_families(struct metrics *m, const struct export_map *em, struct strbuf *out)
{
	struct mm_map *mm = m ? mm_find(m, em) : NULL;

	if (mm)
		sb_add(out, mm->fam_list.buf, mm->fam_list.len);
	return out->err;
}

void metrics_set_progs_attached(struct metrics *m, int n)
{
	if (m)
		RELAXED_STORE(&m->progs_attached, n);
}

/* ---- self metrics ---- */

/* {object=...,map=...}: the object label only when the run has several. */
static void self_map_sample(struct strbuf *out, const char *name, const char *object, const char *map,
			    uint64_t v)
{
	sb_puts(out, name);
	sb_putc(out, '{');
	if (object) {
		sb_add(out, "object=\"", 8);
		prom_label_escape(out, object, strlen(object));
		sb_add(out, "\",", 2);
	}
	sb_add(out, "map=\"", 5);
	prom_label_escape(out, map, strlen(map));
	sb_add(out, "\"} ", 3);
	sb_u64(out, v);
	sb_putc(out, '\n');
}

enum self_sel { SEL_EVENT, SEL_EVENT_METRIC, SEL_METRIC, SEL_TABLE, SEL_ALL };

static bool selected(const struct mm_map *mm, enum self_sel s)
{
	switch (s) {
	case SEL_EVENT:
		return mm->is_event;
	case SEL_EVENT_METRIC:
		return mm->is_event && mm->kind != OUT_PRINT;
	case SEL_METRIC:
		return mm->kind != OUT_PRINT;
	case SEL_TABLE:
		return !mm->is_event;
	default:
		return true;
	}
}

static void render_self(struct metrics *m, struct strbuf *out, uint64_t start_ns)
{
	struct timespec ts;
	uint64_t now;

	put_header(out, "ebpfctl_build_info", "ebpfctl version, always 1", PROM_GAUGE);
	sb_puts(out, "ebpfctl_build_info{version=\"");
	prom_label_escape(out, EBPFCTL_VERSION, strlen(EBPFCTL_VERSION));
	sb_puts(out, "\"} 1\n");

	put_header(out, "ebpfctl_programs_attached", "BPF programs attached by this run", PROM_GAUGE);
	sb_puts(out, "ebpfctl_programs_attached ");
	sb_s64(out, RELAXED_LOAD(&m->progs_attached));
	sb_putc(out, '\n');
	if (m->progstats)
		progstats_render(m->progstats, out);

	put_header(out, "ebpfctl_events_read_total", "Records read from ring buffers and perf event arrays",
		    PROM_COUNTER);
	for (int i = 0; i < m->nmaps; i++)
		if (selected(m->maps[i], SEL_EVENT))
			self_map_sample(out, "ebpfctl_events_read_total", m->maps[i]->em->object, m->maps[i]->name,
					RELAXED_LOAD(&m->maps[i]->events_read));

	put_header(out, "ebpfctl_events_lost_total",
		    "Records lost: counted by the probe (ebpfctl_helpers.h) or reported by the kernel (perf event "
		    "arrays), whichever is larger",
		    PROM_COUNTER);
	for (int i = 0; i < m->nmaps; i++)
		if (selected(m->maps[i], SEL_EVENT))
			self_map_sample(out, "ebpfctl_events_lost_total", m->maps[i]->em->object, m->maps[i]->name,
					loss_total(RELAXED_LOAD(&m->maps[i]->events_lost), m->maps[i]->probe_lost));

	put_header(out, "ebpfctl_ringbuf_backlog_bytes", "Bytes written to a ring buffer and not yet consumed",
		    PROM_GAUGE);
	for (int i = 0; i < m->nmaps; i++)
		if (m->maps[i]->rb_pages)
			self_map_sample(out, "ebpfctl_ringbuf_backlog_bytes", m->maps[i]->em->object, m->maps[i]->name,
					ring_backlog(m->maps[i]->rb_pages, m->maps[i]->rb_len));
	for (int i = 0; i < m->nrings; i++)
		self_map_sample(out, "ebpfctl_ringbuf_backlog_bytes", NULL, m->rings[i].name,
				ring_backlog(m->rings[i].pages, m->rings[i].len));
	put_header(out, "ebpfctl_ringbuf_size_bytes", "Ring buffer data size", PROM_GAUGE);
	for (int i = 0; i < m->nmaps; i++)
		if (m->maps[i]->rb_pages)
			self_map_sample(out, "ebpfctl_ringbuf_size_bytes", m->maps[i]->em->object, m->maps[i]->name, m->maps[i]->max_entries);
	for (int i = 0; i < m->nrings; i++)
		self_map_sample(out, "ebpfctl_ringbuf_size_bytes", NULL, m->rings[i].name, m->rings[i].size);

	put_header(out, "ebpfctl_series", "Label sets kept for an event map (bounded by --max-series)",
		    PROM_GAUGE);
	for (int i = 0; i < m->nmaps; i++) {
		struct mm_map *mm = m->maps[i];
		uint32_t n;

		if (!selected(mm, SEL_EVENT_METRIC))
			continue;
		pthread_mutex_lock(&mm->mu);
		n = mm->series.n;
		pthread_mutex_unlock(&mm->mu);
		self_map_sample(out, "ebpfctl_series", mm->em->object, mm->name, n);
	}
	put_header(out, "ebpfctl_series_dropped_total",
		    "Label sets over --max-series: events with a new one (event maps), label sets left out of "
		    "each scrape (hash/array maps)",
		    PROM_COUNTER);
	for (int i = 0; i < m->nmaps; i++)
		if (selected(m->maps[i], SEL_METRIC))
			self_map_sample(out, "ebpfctl_series_dropped_total", m->maps[i]->em->object, m->maps[i]->name,
					RELAXED_LOAD(&m->maps[i]->series_dropped));

	put_header(out, "ebpfctl_map_entries",
		    "Entries in a hash/array map at its last read (arrays: all elements)", PROM_GAUGE);
	for (int i = 0; i < m->nmaps; i++)
		if (selected(m->maps[i], SEL_TABLE) && RELAXED_LOAD(&m->maps[i]->entries_known))
			self_map_sample(out, "ebpfctl_map_entries", m->maps[i]->em->object, m->maps[i]->name,
					RELAXED_LOAD(&m->maps[i]->entries));
	put_header(out, "ebpfctl_map_max_entries", "Capacity of a hash/array map", PROM_GAUGE);
	for (int i = 0; i < m->nmaps; i++)
		if (selected(m->maps[i], SEL_TABLE))
			self_map_sample(out, "ebpfctl_map_max_entries", m->maps[i]->em->object, m->maps[i]->name, m->maps[i]->max_entries);

	put_header(out, "ebpfctl_map_read_errors_total",
		    "Failed map reads and records that could not be decoded", PROM_COUNTER);
	for (int i = 0; i < m->nmaps; i++)
		self_map_sample(out, "ebpfctl_map_read_errors_total", m->maps[i]->em->object, m->maps[i]->name,
				RELAXED_LOAD(&m->maps[i]->read_errors));

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	put_header(out, "ebpfctl_scrape_duration_seconds",
		    "Time this scrape spent reading maps and rendering, up to this line", PROM_GAUGE);
	sb_puts(out, "ebpfctl_scrape_duration_seconds ");
	prom_double(out, (double)(now - start_ns) / 1e9);
	sb_putc(out, '\n');
}

int metrics_render(struct metrics *m, struct strbuf *out)
{
	struct timespec ts;
	uint64_t start;

	if (!m)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&m->render_mu);
	for (int i = 0; i < m->nmaps; i++) {
		struct mm_map *mm = m->maps[i];

		if (mm->kind == OUT_PRINT)
			continue;
		if (mm->is_event) {
			pthread_mutex_lock(&mm->mu);
			mm_render_event_map(m, mm, out);
			pthread_mutex_unlock(&mm->mu);
		} else {
			render_table_map(m, mm, out);
		}
	}
	render_self(m, out, start);
	pthread_mutex_unlock(&m->render_mu);
	return out->err;
}
