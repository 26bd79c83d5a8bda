// SPDX-License-Identifier: MIT
/* --set VAR=VALUE: configure const volatile (.rodata) and .data/.bss globals
 * before load, with the value parsed by the variable's BTF type. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "globals.h"
#include "loss.h"
#include "strbuf.h"

struct global {
	const char *name;
	uint32_t type_id;
	uint32_t offset;
	uint32_t size;
	struct bpf_map *map;
};

static bool settable_map(const struct bpf_map *map)
{
	const char *n = bpf_map__name(map);

	if (!bpf_map__is_internal(map) || !bpf_map__btf_value_type_id(map))
		return false;
	/* .kconfig is filled by libbpf from the kernel config */
	return !strstr(n, ".kconfig");
}

/* Visit every VAR of every settable DATASEC; fn returns non-zero to stop. */
static int for_each_global(struct bpf_object *obj, int (*fn)(const struct btf *, struct global *, void *), void *ctx)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;

	if (!btf)
		return 0;
	bpf_object__for_each_map(map, obj) {
		const struct btf_type *sec;
		const struct btf_var_secinfo *vsi;

		if (!settable_map(map))
			continue;
		sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
		if (!sec || !btf_is_datasec(sec))
			continue;
		vsi = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
			const struct btf_type *var = btf__type_by_id(btf, vsi->type);
			struct global g;
			int r;

			if (!var || !btf_is_var(var))
				continue;
			g.name = btf__name_by_offset(btf, var->name_off);
			/* loss accounting: the probe's loss counters (loss.c) are not settable */
			if (g.name && !strncmp(g.name, LOSS_PREFIX, strlen(LOSS_PREFIX)))
				continue;
			g.type_id = var->type;
			g.offset = vsi->offset;
			g.size = vsi->size;
			g.map = map;
			r = fn(btf, &g, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Human name of a declared type: "__u32", "bool", "enum mode", "char[16]". */
static void type_desc(const struct btf *btf, uint32_t id, struct strbuf *sb)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (!t) {
		sb_puts(sb, "?");
		return;
	}
	if (btf_is_array(t)) {
		type_desc(btf, btf_array(t)->type, sb);
		sb_printf(sb, "[%u]", btf_array(t)->nelems);
		return;
	}
	if (btf_is_any_enum(t))
		sb_puts(sb, "enum ");
	else if (btf_is_struct(t))
		sb_puts(sb, "struct ");
	else if (btf_is_union(t))
		sb_puts(sb, "union ");
	sb_puts(sb, t->name_off ? btf__name_by_offset(btf, t->name_off) : "(anon)");
}

struct list_ctx {
	struct strbuf *sb;
	int n;
};

/* What parse_value takes: integers (bool too), enums, 4- and 8-byte
 * floats, char arrays (strings).  Structs, unions, pointers and other
 * arrays cannot be given on a command line, so they are not listed. */
static bool settable(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t)
		return false;
	if (btf_is_int(t) || btf_is_any_enum(t))
		return true;
	if (btf_is_float(t))
		return t->size == 4 || t->size == 8;
	if (btf_is_array(t)) {
		t = btf__type_by_id(btf, btf_array(t)->type);
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		return t && btf_is_int(t) && t->size == 1;
	}
	return false;
}

static int list_one(const struct btf *btf, struct global *g, void *ctx)
{
	struct list_ctx *l = ctx;

	if (!settable(btf, g->type_id))
		return 0;
	sb_puts(l->sb, l->n++ ? ", " : "");
	sb_printf(l->sb, "%s (", g->name);
	type_desc(btf, g->type_id, l->sb);
	sb_putc(l->sb, ')');
	return 0;
}

static void list_globals(struct bpf_object *obj, struct strbuf *sb)
{
	struct list_ctx l = { sb, 0 };

	for_each_global(obj, list_one, &l);
	if (!l.n)
		sb_puts(sb, "(none: declare e.g. 'const volatile __u32 target_pid = 0;')");
}

struct params_ctx {
	void (*fn)(void *ctx, const char *name, const char *type);
	void *ctx;
	struct strbuf sb;
};

static int param_one(const struct btf *btf, struct global *g, void *ctx)
{
	struct params_ctx *p = ctx;

	if (!settable(btf, g->type_id))
		return 0;
	sb_reset(&p->sb);
	type_desc(btf, g->type_id, &p->sb);
	p->fn(p->ctx, g->name, sb_cstr(&p->sb));
	return 0;
}

void globals_each_settable(struct bpf_object *obj, void (*fn)(void *ctx, const char *name, const char *type),
			   void *ctx)
{
	struct params_ctx p = { fn, ctx, {} };

	for_each_global(obj, param_one, &p);
	sb_free(&p.sb);
}

struct find_ctx {
	const char *name;
	struct global found;
	bool ok;
};

static int find_one(const struct btf *btf, struct global *g, void *ctx)
{
	struct find_ctx *f = ctx;

	if (strcmp(g->name, f->name))
		return 0;
	f->found = *g;
	f->ok = true;
	return 1;
}

/* Decimal (leading zeros are still decimal) or 0x hex, optionally signed;
 * nothing else: no octal, no spaces.  Returns the base, or 0. */
static int int_base(const char *v)
{
	if (*v == '-' || *v == '+')
		v++;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		return v[2] && strspn(v + 2, "0123456789abcdefABCDEF") == strlen(v + 2) ? 16 : 0;
	return *v && strspn(v, "0123456789") == strlen(v) ? 10 : 0;
}

static int parse_int(const char *v, bool is_signed, uint32_t size, void *out, struct strbuf *why)
{
	int base = int_base(v);
	char *end;
	uint64_t u;

	errno = 0;
	if (size > 8) {
		sb_puts(why, "integers wider than 64 bits cannot be set");
		return -EINVAL;
	}
	if (is_signed) {
		int64_t s = strtoll(v, &end, base ? base : 10);
		int64_t max = size == 8 ? INT64_MAX : (int64_t)((1ULL << (size * 8 - 1)) - 1);
		int64_t min = -max - 1;

		if (!base || *end || errno || s < min || s > max) {
			sb_printf(why, "expected an integer from %" PRId64 " to %" PRId64, min, max);
			return -EINVAL;
		}
		u = (uint64_t)s;
	} else {
		uint64_t max = size == 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;

		u = strtoull(v, &end, base ? base : 10);
		if (!base || *end || errno || *v == '-' || u > max) {
			sb_printf(why, "expected an integer from 0 to %" PRIu64, max);
			return -EINVAL;
		}
	}
	/* little-endian store of the low `size` bytes */
	memcpy(out, &u, size);
	return 0;
}

static int parse_value(const struct btf *btf, uint32_t id, uint32_t size, const char *v, void *out,
		       struct strbuf *why)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t)
		goto unsupported;

	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (enc & BTF_INT_BOOL) {
			uint8_t b;

			if (!strcmp(v, "true") || !strcmp(v, "1"))
				b = 1;
			else if (!strcmp(v, "false") || !strcmp(v, "0"))
				b = 0;
			else {
				sb_puts(why, "expected true or false");
				return -EINVAL;
			}
			memset(out, 0, t->size);
			memcpy(out, &b, 1);
			return 0;
		}
		return parse_int(v, enc & BTF_INT_SIGNED, t->size, out, why);
	}
	if (btf_is_any_enum(t)) {
		int vlen = btf_vlen(t);
		bool is_signed = btf_kflag(t);

		for (int i = 0; i < vlen; i++) {
			const char *n;
			uint64_t val;

			if (btf_is_enum(t)) {
				n = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
				val = is_signed ? (uint64_t)(int64_t)btf_enum(t)[i].val
						: (uint64_t)(uint32_t)btf_enum(t)[i].val;
			} else {
				n = btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
				val = btf_enum64_value(&btf_enum64(t)[i]);
			}
			if (!strcmp(n, v)) {
				memcpy(out, &val, t->size);
				return 0;
			}
		}
		if (parse_int(v, true, t->size, out, why) == 0)
			return 0;
		sb_reset(why);
		sb_puts(why, "expected one of ");
		for (int i = 0; i < vlen; i++)
			sb_printf(why, "%s%s", i ? ", " : "",
				  btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[i].name_off
									  : btf_enum64(t)[i].name_off));
		sb_puts(why, " or a number");
		return -EINVAL;
	}
	if (btf_is_float(t)) {
		char *end;
		double d = strtod(v, &end);

		if (!*v || *end) {
			sb_puts(why, "expected a number");
			return -EINVAL;
		}
		if (t->size == 4) {
			float f = (float)d;

			memcpy(out, &f, 4);
		} else if (t->size == 8) {
			memcpy(out, &d, 8);
		} else {
			goto unsupported;
		}
		return 0;
	}
	if (btf_is_array(t)) {
		const struct btf_type *e = btf__type_by_id(btf, btf_array(t)->type);
		uint32_t n = btf_array(t)->nelems;

		while (e && (btf_is_mod(e) || btf_is_typedef(e)))
			e = btf__type_by_id(btf, e->type);
		if (e && btf_is_int(e) && e->size == 1) {
			size_t len = strlen(v);

			if (len >= n) {
				sb_printf(why, "expected a string of at most %u bytes", n ? n - 1 : 0);
				return -EINVAL;
			}
			memset(out, 0, size);
			memcpy(out, v, len);
			return 0;
		}
	}
unsupported:
	sb_puts(why, "this type cannot be set from the command line");
	return -EINVAL;
}

int globals_apply(struct bpf_object *obj, const struct runner_set *sets, int n, bool *used,
		  struct rerr *err)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct strbuf sb = {}, why = {};
	int ret = 0;

	for (int i = 0; i < n; i++) {
		struct find_ctx f = { .name = sets[i].name };
		unsigned char *img, *tmp;
		size_t sz;

		for_each_global(obj, find_one, &f);
		if (!f.ok && used)
			continue;	/* another object may declare it */
		if (!f.ok) {
			sb_reset(&sb);
			list_globals(obj, &sb);
			ret = rerr_usage(err, -ENOENT, "--set %s=%s: unknown global '%s': settable globals are %s",
					 sets[i].name, sets[i].value, sets[i].name, sb_cstr(&sb));
			goto out;
		}
		img = (unsigned char *)bpf_map__initial_value(f.found.map, &sz);
		if (!img || (size_t)f.found.offset + f.found.size > sz) {
			ret = rerr_set(err, -EINVAL, "--set %s: cannot write global '%s' in map '%s'",
				       sets[i].name, sets[i].name, bpf_map__name(f.found.map));
			goto out;
		}
		tmp = calloc(1, f.found.size + 8);
		if (!tmp) {
			ret = -ENOMEM;
			goto out;
		}
		sb_reset(&why);
		ret = parse_value(btf, f.found.type_id, f.found.size, sets[i].value, tmp, &why);
		if (ret) {
			sb_reset(&sb);
			type_desc(btf, f.found.type_id, &sb);
			rerr_usage(err, ret, "--set %s=%s: invalid value for '%s' (%s): %s", sets[i].name,
				   sets[i].value, sets[i].name, sb_cstr(&sb), sb_cstr(&why));
			free(tmp);
			goto out;
		}
		memcpy(img + f.found.offset, tmp, f.found.size);
		free(tmp);
		if (used)
			used[i] = true;
	}
out:
	sb_free(&sb);
	sb_free(&why);
	return ret;
}
