// SPDX-License-Identifier: MIT
/* The order global variables are declared in the source.
 *
 * Families and lines follow map declaration order, but nothing in BTF or the
 * symbol table records it: clang emits a file-scope map (a tentative
 * definition) where it is first used, so BTF VARs, symbols and .maps offsets
 * are in order of first use.  DWARF has each variable's DW_AT_decl_file and
 * DW_AT_decl_line; `ebpfctl build` strips DWARF but first writes the order
 * into a small non-loaded section, DECL_ORDER_SEC ("name\n" per variable).
 * This module reads either. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decl_order.h"
#include "strbuf.h"
#include "readfile.h"

struct blob {
	const uint8_t *p;
	size_t n;
};

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t rd_n(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return 0;
	}
	/* little-endian objects only; n comes from the unit header (an
	 * address size of up to 255): bytes past the 8th are skipped */
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	int shift = 0;

	while (r->p < r->end) {
		uint8_t b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if ((uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

static const char *rd_cstr(struct rd *r)
{
	const uint8_t *s = r->p, *z = memchr(s, 0, (size_t)(r->end - s));

	if (!z) {
		r->bad = true;
		r->p = r->end;
		return NULL;
	}
	r->p = z + 1;
	return (const char *)s;
}

static const char *blob_str(const struct blob *b, uint64_t off)
{
	if (!b->p || off >= b->n || !memchr(b->p + off, 0, b->n - off))
		return NULL;
	return (const char *)b->p + off;
}

/* ---- abbreviations ---- */

struct abbrev {
	uint64_t code;
	uint64_t tag;
	bool children;
	uint32_t first, n;	/* into attrs */
};

struct attr {
	uint64_t name, form;
	int64_t implicit;
};

struct abbrevs {
	struct abbrev *v;
	size_t n, cap;
	struct attr *a;
	size_t na, acap;
};

static int read_abbrevs(const struct blob *ab, uint64_t off, struct abbrevs *t)
{
	struct rd r = { ab->p + (off < ab->n ? off : ab->n), ab->p + ab->n };

	t->n = t->na = 0;
	while (!r.bad) {
		struct abbrev a = {};

		a.code = rd_uleb(&r);
		if (!a.code)
			break;
		a.tag = rd_uleb(&r);
		a.children = rd_n(&r, 1);
		a.first = (uint32_t)t->na;
		for (;;) {
			struct attr at = {};

			at.name = rd_uleb(&r);
			at.form = rd_uleb(&r);
			if (at.form == 0x21)	/* DW_FORM_implicit_const */
				at.implicit = (int64_t)rd_uleb(&r);	/* sign does not matter here */
			if (r.bad || (!at.name && !at.form))
				break;
			if (array_grow((void **)&t->a, t->na + 1, &t->acap, sizeof(*t->a)))
				return -ENOMEM;
			t->a[t->na++] = at;
		}
		a.n = (uint32_t)(t->na - a.first);
		if (array_grow((void **)&t->v, t->n + 1, &t->cap, sizeof(*t->v)))
			return -ENOMEM;
		t->v[t->n++] = a;
	}
	return r.bad ? -EINVAL : 0;
}

static const struct abbrev *find_abbrev(const struct abbrevs *t, uint64_t code)
{
	if (code && code <= t->n && t->v[code - 1].code == code)
		return &t->v[code - 1];	/* clang numbers them 1, 2, 3, ... */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].code == code)
			return &t->v[i];
	return NULL;
}

/* ---- units ---- */

struct unit {
	int version;
	int addr_size;
	int off_size;		/* 4, or 8 for 64-bit DWARF */
	uint64_t str_offsets_base;
};

enum { V_NONE, V_NUM, V_STR, V_STRX };

struct val {
	int kind;
	uint64_t u;
	const char *s;
};

/* Read one attribute value of FORM; strings are resolved where they can be. */
static void read_form(struct rd *r, const struct unit *u, uint64_t form, int64_t implicit,
		      const struct blob *str, const struct blob *line_str, struct val *v)
{
	v->kind = V_NUM;
	v->s = NULL;
	switch (form) {
	case 0x01: v->u = rd_n(r, (size_t)u->addr_size); break;		/* addr */
	case 0x03: rd_skip(r, rd_n(r, 2)); break;			/* block2 */
	case 0x04: rd_skip(r, rd_n(r, 4)); break;			/* block4 */
	case 0x05: v->u = rd_n(r, 2); break;				/* data2 */
	case 0x06: v->u = rd_n(r, 4); break;				/* data4 */
	case 0x07: v->u = rd_n(r, 8); break;				/* data8 */
	case 0x08: v->kind = V_STR; v->s = rd_cstr(r); break;		/* string */
	case 0x09: case 0x18: rd_skip(r, rd_uleb(r)); break;		/* block, exprloc */
	case 0x0a: rd_skip(r, rd_n(r, 1)); break;			/* block1 */
	case 0x0b: case 0x0c: case 0x11: v->u = rd_n(r, 1); break;	/* data1, flag, ref1 */
	case 0x0d: case 0x0f: case 0x15: case 0x1b: case 0x22: case 0x23:	/* sdata udata ... */
		v->u = rd_uleb(r);
		break;
	case 0x0e: case 0x1d: case 0x1f20: case 0x1f21:		/* strp, strp_sup, GNU alt */
		v->u = rd_n(r, (size_t)u->off_size);
		if (form == 0x0e) {
			v->kind = V_STR;
			v->s = blob_str(str, v->u);
		}
		break;
	case 0x1f:							/* line_strp */
		v->kind = V_STR;
		v->s = blob_str(line_str, rd_n(r, (size_t)u->off_size));
		break;
	case 0x10:							/* ref_addr */
		v->u = rd_n(r, (size_t)(u->version <= 2 ? u->addr_size : u->off_size));
		break;
	case 0x17: v->u = rd_n(r, (size_t)u->off_size); break;		/* sec_offset */
	case 0x12: case 0x26: case 0x2a: v->u = rd_n(r, 2); break;	/* ref2 strx2 addrx2 */
	case 0x13: case 0x1c: case 0x28: case 0x2c: v->u = rd_n(r, 4); break;
	case 0x14: case 0x20: case 0x24: v->u = rd_n(r, 8); break;	/* ref8 sig8 sup8 */
	case 0x19: v->u = 1; break;					/* flag_present */
	case 0x1e: rd_skip(r, 16); break;				/* data16 */
	case 0x21: v->u = (uint64_t)implicit; break;			/* implicit_const */
	case 0x25: case 0x29: v->u = rd_n(r, 1); break;			/* strx1 addrx1 */
	case 0x27: case 0x2b: v->u = rd_n(r, 3); break;			/* strx3 addrx3 */
	case 0x1a: case 0x1f01: case 0x1f02: v->u = rd_uleb(r); break;	/* strx, GNU index */
	case 0x16:							/* indirect */
		read_form(r, u, rd_uleb(r), implicit, str, line_str, v);
		return;
	default:
		r->bad = true;	/* a form we cannot size: stop reading */
		return;
	}
	if (form == 0x1a || form == 0x25 || form == 0x26 || form == 0x27 || form == 0x28)
		v->kind = V_STRX;
}

static const char *strx(const struct unit *u, uint64_t idx, const struct blob *offs, const struct blob *str)
{
	uint64_t at = u->str_offsets_base + idx * (uint64_t)u->off_size;
	struct rd r;

	if (!offs->p || at >= offs->n)
		return NULL;
	/* relocatable objects keep the offset as the REL addend, in place */
	r = (struct rd){ offs->p + at, offs->p + offs->n };
	return blob_str(str, rd_n(&r, (size_t)u->off_size));
}

static int add_decl(struct decl_order *d, const char *name, uint64_t file, uint64_t line)
{
	char *s;

	if (array_grow((void **)&d->v, d->n + 1, &d->cap, sizeof(*d->v)))
		return -ENOMEM;
	s = strdup(name);
	if (!s)
		return -ENOMEM;
	d->v[d->n++] = (struct decl){ .name = s, .file = file, .line = line, .seq = d->n };
	return 0;
}

static int cmp_decl(const void *a, const void *b)
{
	const struct decl *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every unit's top-level DW_TAG_variable with a name and a line. */
static int read_info(const struct blob *info, const struct blob *abbrev, const struct blob *str,
		     const struct blob *offs, const struct blob *line_str, struct decl_order *d)
{
	struct abbrevs ab = {};
	struct rd r = { info->p, info->p + info->n };
	int err = 0;

	while (!err && r.p < r.end && !r.bad) {
		struct unit u = { .off_size = 4 };
		uint64_t len = rd_n(&r, 4), abbrev_off;
		const uint8_t *unit_end;
		struct rd ur;
		int depth = 0;

		if (len == 0xffffffffu) {
			len = rd_n(&r, 8);
			u.off_size = 8;
		}
		if (r.bad || len > (uint64_t)(r.end - r.p))
			break;
		unit_end = r.p + len;
		ur = (struct rd){ r.p, unit_end };
		r.p = unit_end;
		u.version = (int)rd_n(&ur, 2);
		if (u.version < 2 || u.version > 5)
			continue;
		if (u.version >= 5) {
			int type = (int)rd_n(&ur, 1);

			u.addr_size = (int)rd_n(&ur, 1);
			abbrev_off = rd_n(&ur, (size_t)u.off_size);
			if (type == 0x02 || type == 0x06)	/* type units */
				rd_skip(&ur, 8 + (uint64_t)u.off_size);
			else if (type == 0x04 || type == 0x05)	/* skeleton, split */
				rd_skip(&ur, 8);
		} else {
			abbrev_off = rd_n(&ur, (size_t)u.off_size);
			u.addr_size = (int)rd_n(&ur, 1);
		}
		if (ur.bad || (err = read_abbrevs(abbrev, abbrev_off, &ab)))
			break;
		while (ur.p < ur.end && !ur.bad) {
			uint64_t code = rd_uleb(&ur);
			const struct abbrev *a;
			struct val name = {}, file = {}, line = {};

			if (!code) {
				if (--depth <= 0)
					break;
				continue;
			}
			if (!(a = find_abbrev(&ab, code)))
				break;
			for (uint32_t i = 0; i < a->n && !ur.bad; i++) {
				const struct attr *at = &ab.a[a->first + i];
				struct val v;

				read_form(&ur, &u, at->form, at->implicit, str, line_str, &v);
				if (at->name == 0x03)
					name = v;
				else if (at->name == 0x3a)
					file = v;
				else if (at->name == 0x3b)
					line = v;
				else if (at->name == 0x72 && a->tag == 0x11)	/* str_offsets_base */
					u.str_offsets_base = v.u;
			}
			if (a->tag == 0x34 && depth == 1 && line.kind == V_NUM) {	/* DW_TAG_variable */
				const char *s = name.kind == V_STRX ? strx(&u, name.u, offs, str) : name.s;

				if (s && *s && (err = add_decl(d, s, file.u, line.u)))
					break;
			}
			if (a->children)
				depth++;
			else if (!depth)
				break;	/* a unit DIE without children */
		}
	}
	free(ab.v);
	free(ab.a);
	return err;
}

/* "name\n" per variable, in declaration order (written by ebpfctl build). */
static int read_note(const struct blob *b, struct decl_order *d)
{
	const char *p = (const char *)b->p, *end = p + b->n;
	char name[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int err;

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			if ((err = add_decl(d, name, 0, d->n)))
				return err;
		}
		p += n + 1;
	}
	return 0;
}

int decl_order_read(const void *elf, size_t len, struct decl_order *d)
{
	struct blob info = {}, abbrev = {}, str = {}, offs = {}, line_str = {}, note = {};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *e;
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e = elf_memory((char *)elf, len);
	if (!e)
		return -EINVAL;
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		elf_end(e);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(e, scn))) {
		struct { const char *name; struct blob *b; } want[] = {
			{ ".debug_info", &info }, { ".debug_abbrev", &abbrev }, { ".debug_str", &str },
			{ ".debug_str_offsets", &offs }, { ".debug_line_str", &line_str },
			{ DECL_ORDER_SEC, &note },
		};
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (strcmp(name, want[i].name) || sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
				continue;
			want[i].b->p = (const uint8_t *)elf + sh.sh_offset;
			want[i].b->n = sh.sh_size;
		}
	}
	elf_end(e);
	if (note.p)
		err = read_note(&note, d);
	else if (info.p && abbrev.p)
		err = read_info(&info, &abbrev, &str, &offs, &line_str, d);
	if (err) {
		decl_order_free(d);
		return err;
	}
	if (d->n)	/* d->v is NULL when nothing was found */
		qsort(d->v, d->n, sizeof(*d->v), cmp_decl);
	return 0;
}

int decl_order_write(const char *obj, const char *path)
{
	struct decl_order d;
	void *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = read_whole_file(obj, &buf, &len);

	if (!err)
		err = decl_order_read(buf, len, &d);
	free(buf);
	if (err)
		return err;
	if (!d.n) {
		decl_order_free(&d);
		return -ENOENT;
	}
	f = fopen(path, "we");
	if (!f) {
		err = -errno;
		decl_order_free(&d);
		return err;
	}
	for (size_t i = 0; i < d.n; i++)
		fprintf(f, "%s\n", d.v[i].name);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	decl_order_free(&d);
	return err;
}

int decl_order_rank(const struct decl_order *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return (int)i;
	return -1;
}

void decl_order_free(struct decl_order *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	memset(d, 0, sizeof(*d));
}
