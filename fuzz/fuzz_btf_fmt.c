// SPDX-License-Identifier: MIT
/* The BTF value formatter (runner/btf_fmt.c): random BTF, random bytes.
 *
 * Input: [u8 mode] then either
 *  - mode bit 0 set, raw BTF: [u16 len][len bytes given to btf__new] (seeds:
 *    the .BTF section of every fixture and example object), or
 *  - mode bit 0 clear, a program of btf__add_* calls: [u8 n ops] and n ops
 *    (fuzz/gen_seeds.py writes seeds this way), each [u8 op][arguments]:
 *    ints (with patched bit encodings), floats, pointers, arrays, structs and
 *    unions with (bit)fields, enums, enum64s, typedefs named as solo_types.h
 *    special types, modifiers, type tags, forward declarations, and kinds the
 *    formatter refuses (functions, variables, data sections, decl tags);
 *    type references point anywhere, forward and dangling too;
 * then [u32 first][u8 span]: the types first % (types + 2) to that + span % 16
 * (ids past the last type included), [u8 ncpu], and the value bytes
 * (zero-padded to each type's size).
 *
 * For each picked type: fmt_plan_new and fmt_fields_new; the BTF is freed
 * (the header says a plan keeps no pointer into it) before rendering
 * fmt_json (also from a record one byte short: -EMSGSIZE, nothing written),
 * fmt_json_percpu and each field's fmt_field_text / fmt_field_num / fmt_json.
 * Oracles: JSON output is valid (a strict RFC 8259 syntax check) and UTF-8; label text is UTF-8
 * without NUL; a one-CPU per-CPU sum renders as the value itself. */
#include <errno.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "btf_fmt.h"
#include "enrich.h"
#include "fuzz.h"

/* the kernel's btf.h encoding word of a BTF_KIND_INT (uapi has only the readers) */
#define INT_ENC(encoding, offset, bits) ((uint32_t)(encoding) << 24 | (uint32_t)(offset) << 16 | (uint32_t)(bits))

#define MAX_OPS 64
#define MAX_PICK 16
#define MAX_REC (16 << 10)	/* larger values: plans only (rendering is linear) */

static const char *const names[] = {
	"", "x", "a", "b", "pid", "tgid", "__pad", "__x", "char", "signed char", "unsigned char", "_Bool", "int",
	"ipv4_addr", "ipv6_addr", "duration", "ktime", "errno_code", "signal_num", "stack_id", "comm", "le",
	"ksym", "syscall_nr", "ifindex", "cgroup_id", "user_id", "net_port",
	"a\"b\\c\nd", "\xc3\xa9t\xc3\xa9", "\xff\xfe", "key", "value", "cpu", "u64", "__u32",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static char inline_name[256];

/* A name from the table, or (last index) an inline [u8 len][bytes] one. */
static const char *name(struct fz *f)
{
	unsigned i = fz_u8(f) % (N_NAMES + 1);
	size_t n, got;
	void *p;

	if (i < N_NAMES)
		return names[i];
	n = fz_u8(f);
	p = fz_bytes(f, n, &got);
	memcpy(inline_name, p, got);
	inline_name[got] = '\0';
	free(p);
	return inline_name;
}

/* Any type id near the ones made so far: 0 (void), backward, forward, dangling. */
static int ref(struct fz *f, struct btf *btf)
{
	return (int)(fz_u8(f) % (btf__type_cnt(btf) + 3));
}

static size_t stack_resolver(void *ctx, const struct btf *btf, int64_t id, uint32_t pid, bool text, char *w,
			     size_t room)
{
	/* what the runner's resolver writes: frames, never more than room */
	const char *s = text ? "main;f\xc3\xa9;g" : "[\"g\",\"f\xc3\xa9\",\"main\"]";
	size_t n = strlen(s);

	if (id < 0)
		s = text ? "" : "[]", n = strlen(s);
	if (n > room)
		n = 0;
	memcpy(w, s, n);
	return n;
}

/* what runner/names.c gives: none, a short name, one with bytes that need
 * escaping (quote, backslash, newline, invalid UTF-8), or the longest it
 * writes (size - 1) */
static size_t name_resolver(void *ctx, int kind, uint64_t v, char *buf, size_t size)
{
	static const char odd[] = "/a\"b\\c\nd\xff\xc3";

	switch (v % 4) {
	case 0:
		return 0;
	case 1:
		return (size_t)snprintf(buf, size, "%s", kind == FMT_NAME_KSYM ? "vfs_read+0x1a" : "lo");
	case 2:
		snprintf(buf, size, "%s", odd);
		return strlen(buf);
	default:
		memset(buf, v & 8 ? '"' : '\x80', size - 1);
		buf[size - 1] = '\0';
		return size - 1;
	}
}

/* --enrich as runner/enrich.c answers: no container (even ids), or one
 * whose names need escaping, up to the longest names it keeps */
static bool enricher(void *ctx, uint64_t cg, struct enrich_info *out)
{
	if (!(cg & 1))
		return false;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%016llx", (unsigned long long)cg);
	snprintf(out->name, sizeof(out->name), "a\"b\\\n\xff");
	memset(out->pod, cg & 2 ? '\x80' : 'p', sizeof(out->pod) - 1);
	memset(out->ns, '"', sizeof(out->ns) - 1);
	return true;
}

static size_t enricher_json(void *ctx, uint64_t cg, char *w, size_t room)
{
	struct enrich_info ci;
	struct strbuf sb = {};
	size_t n = 0;

	if (!enricher(ctx, cg, &ci))
		return 0;
	sb_puts(&sb, ",\"container_id\":\"");
	fmt_json_str(&sb, ci.id, strlen(ci.id));
	sb_puts(&sb, "\",\"container_name\":\"");
	fmt_json_str(&sb, ci.name, strlen(ci.name));
	sb_puts(&sb, "\",\"pod\":\"");
	fmt_json_str(&sb, ci.pod, strlen(ci.pod));
	sb_puts(&sb, "\",\"namespace\":\"");
	fmt_json_str(&sb, ci.ns, strlen(ci.ns));
	sb_putc(&sb, '"');
	if (!sb.err && sb.len <= room) {
		memcpy(w, sb.buf, sb.len);
		n = sb.len;
	}
	sb_free(&sb);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(NULL);
	fmt_set_stack_resolver(stack_resolver, NULL);
	fmt_set_name_resolver(name_resolver, NULL);
	fmt_set_enricher(enricher, enricher_json, NULL);
	fmt_set_ktime_offset(1700000000000000000LL);
	fz_silent();
	return 0;
}

static void add_members(struct fz *f, struct btf *btf, int n)
{
	for (int i = 0; i < n; i++) {
		const char *nm = name(f);
		int type = ref(f, btf);
		uint32_t bit_off = fz_u16(f);
		uint32_t bits = fz_u8(f);

		/* mostly byte-aligned plain members; sometimes bitfields */
		if (!(bits & 0x80)) {
			bit_off &= ~7u;
			bits = 0;
		} else {
			bits &= 0x7f;
		}
		btf__add_field(btf, nm, type, bit_off, bits);
	}
}

static void patch_int(struct btf *btf, int id, uint8_t off, uint8_t bits)
{
	struct btf_type *t = (struct btf_type *)btf__type_by_id(btf, (uint32_t)id);

	/* btf__add_int has no bit offset/size: patch the encoding word */
	if (t && btf_is_int(t))
		*(uint32_t *)(t + 1) = INT_ENC(BTF_INT_ENCODING(*(uint32_t *)(t + 1)), off % 129, bits % 129);
}

static struct btf *build(struct fz *f)
{
	static const int float_sizes[] = { 2, 4, 8, 12, 16, 3 };
	static const int int_sizes[] = { 1, 2, 4, 8, 16, 3, 0, 32 };
	struct btf *btf = btf__new_empty();
	int n = fz_u8(f) % (MAX_OPS + 1);

	if (!btf)
		abort();
	for (int i = 0; i < n && f->n; i++) {
		uint8_t op = fz_u8(f) % 24;
		const char *nm;
		int id, k, sz;

		switch (op) {
		case 0:	/* int */
		case 1: {
			uint8_t a = fz_u8(f), b = fz_u8(f);

			nm = name(f);
			if (!*nm)
				nm = "int";
			id = btf__add_int(btf, nm, int_sizes[a & 7], (a >> 3) & 7);
			if (id > 0 && op == 1)
				patch_int(btf, id, b >> 4, b);
			break;
		}
		case 2:	/* float */
			k = fz_u8(f);
			nm = name(f);
			btf__add_float(btf, *nm ? nm : "double", float_sizes[k % 6]);
			break;
		case 3:
			btf__add_ptr(btf, ref(f, btf));
			break;
		case 4: {	/* array */
			int elem = ref(f, btf), index = ref(f, btf);
			uint32_t nelems = fz_u8(f);

			if (nelems & 0x80)
				nelems = fz_u32(f);
			btf__add_array(btf, index, elem, nelems);
			break;
		}
		case 5:	/* struct */
		case 6:	/* union */
			nm = name(f);
			sz = fz_u16(f);
			k = fz_u8(f) % 9;
			id = op == 5 ? btf__add_struct(btf, nm, (uint32_t)sz) : btf__add_union(btf, nm, (uint32_t)sz);
			if (id > 0)
				add_members(f, btf, k);
			break;
		case 7: {	/* enum */
			uint8_t a = fz_u8(f);

			nm = name(f);
			id = btf__add_enum(btf, nm, (uint32_t)int_sizes[a & 7]);
			for (k = 0; id > 0 && k < ((a >> 3) & 7); k++) {
				const char *en = name(f);

				btf__add_enum_value(btf, *en ? en : "E", (int32_t)fz_u32(f));
			}
			break;
		}
		case 8: {	/* enum64 */
			uint8_t a = fz_u8(f);

			nm = name(f);
			id = btf__add_enum64(btf, nm, (uint32_t)int_sizes[a & 7], a & 0x80);
			for (k = 0; id > 0 && k < ((a >> 3) & 7); k++) {
				const char *en = name(f);

				btf__add_enum64_value(btf, *en ? en : "E", fz_u64(f));
			}
			break;
		}
		case 9:	/* typedef: often of a special name */
		case 10:
			nm = name(f);
			btf__add_typedef(btf, *nm ? nm : "duration", ref(f, btf));
			break;
		case 11:
			btf__add_const(btf, ref(f, btf));
			break;
		case 12:
			btf__add_volatile(btf, ref(f, btf));
			break;
		case 13:
			btf__add_restrict(btf, ref(f, btf));
			break;
		case 14:
			nm = name(f);
			btf__add_type_tag(btf, *nm ? nm : "user", ref(f, btf));
			break;
		case 15:
			nm = name(f);
			btf__add_fwd(btf, *nm ? nm : "fwd", fz_u8(f) % 3);
			break;
		case 16: {	/* function: refused */
			int proto = btf__add_func_proto(btf, ref(f, btf));

			if (proto > 0) {
				btf__add_func_param(btf, "p", ref(f, btf));
				btf__add_func(btf, "fn", BTF_FUNC_GLOBAL, proto);
			}
			break;
		}
		case 17: {	/* variable in a data section: refused */
			int var = btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, ref(f, btf));

			if (var > 0 && btf__add_datasec(btf, ".data", fz_u8(f)) > 0)
				btf__add_datasec_var_info(btf, var, fz_u8(f), fz_u8(f));
			break;
		}
		case 18:
			btf__add_decl_tag(btf, "tag", ref(f, btf), (int)(int8_t)fz_u8(f));
			break;
		case 19: /* char array: strings */
			id = btf__add_int(btf, fz_u8(f) & 1 ? "char" : "unsigned char", 1, fz_u8(f) & 1 ? BTF_INT_SIGNED : 0);
			if (id > 0)
				btf__add_array(btf, 0, id, fz_u8(f) % 40);
			break;
		case 20: /* a special type, the usual way */
			nm = names[13 + fz_u8(f) % 7];
			id = btf__add_int(btf, "unsigned long long", int_sizes[fz_u8(f) & 7], fz_u8(f) & 1);
			if (id > 0)
				btf__add_typedef(btf, nm, id);
			break;
		default: /* a struct over the types made so far */
			sz = fz_u16(f);
			k = fz_u8(f) % 9;
			id = btf__add_struct(btf, "event", (uint32_t)sz);
			for (int m = 0; id > 0 && m < k; m++) {
				nm = name(f);
				btf__add_field(btf, nm, 1 + fz_u8(f) % (uint32_t)id, (uint32_t)fz_u8(f) * 8, 0);
			}
			break;
		}
	}
	return btf;
}

static void check_json(const struct strbuf *sb, size_t from, const char *what)
{
	const char *s = sb->buf + from;
	size_t n = sb->len - from;

	FZ_CHECK(n > 0, "%s: empty JSON", what);
	FZ_CHECK(fz_valid_utf8(s, n), "%s: not UTF-8: %.*s", what, (int)n, s);
	FZ_CHECK(fz_valid_json(s, n), "%s: not JSON: %.*s", what, n > 4096 ? 4096 : (int)n, s);
}

struct picked {
	struct fmt_plan *plan;
	struct fmt_fields *fields;
	bool huge;		/* too many values to render in a fuzz run */
};

/* How many values (leaves) the type renders, saturating at MAX_LEAVES: an
 * array of a billion empty structs is a 0-byte record that renders up to
 * the formatter's 1 GiB cap, fine for the formatter (linear, bounded) but
 * seconds per run for the fuzzer.  Such types get plans, not rendering.
 * The walk itself is bounded (*budget steps: a DAG of structs sharing
 * members is exponential as a tree); out of budget counts as too many. */
#define MAX_LEAVES (1u << 16)
static uint64_t leaves(const struct btf *btf, uint32_t id, int depth, int *budget)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	uint64_t n = 0;

	if (--*budget < 0)
		return MAX_LEAVES;
	if (!t || depth > 40)
		return 1;
	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return leaves(btf, t->type, depth + 1, budget);
	case BTF_KIND_ARRAY:
		n = leaves(btf, btf_array(t)->type, depth + 1, budget) + 1;
		return n * btf_array(t)->nelems > MAX_LEAVES ? MAX_LEAVES : n * btf_array(t)->nelems + 1;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (int i = 0; i < btf_vlen(t) && n < MAX_LEAVES; i++)
			n += leaves(btf, btf_members(t)[i].type, depth + 1, budget);
		return n + 1;
	default:
		return 1;
	}
}

/* A record of exactly size bytes: the value bytes, zero-padded. */
static uint8_t *record(const uint8_t *val, size_t vlen, size_t size)
{
	uint8_t *r = calloc(1, size ? size : 1);

	if (!r)
		abort();
	memcpy(r, val, vlen < size ? vlen : size);
	return r;
}

static void render(const struct picked *pk, const uint8_t *val, size_t vlen, int ncpu)
{
	struct strbuf sb = {}, one = {};
	size_t size;
	uint8_t *rec;
	int r;

	if (pk->huge)
		return;
	if (pk->plan) {
		size = fmt_plan_size(pk->plan);
		if (size > MAX_REC)
			goto fields;
		rec = record(val, vlen, size);
		if (size) {
			r = fmt_json(pk->plan, rec, size - 1, &sb);
			FZ_CHECK(r == -EMSGSIZE && sb.len == 0, "one byte short: %d, %zu bytes written", r, sb.len);
		}
		r = fmt_json(pk->plan, rec, size, &sb);
		FZ_CHECK(r == 0 || r == -ENOMEM, "fmt_json: %d", r);
		if (!r)
			check_json(&sb, 0, "fmt_json");
		if (fmt_plan_all_numeric(pk->plan)) {
			size_t stride = size + (size_t)(ncpu & 7);
			int n = 1 + (ncpu >> 3) % 4;
			uint8_t *cpus = calloc((size_t)n, stride ? stride : 1);

			if (!cpus)
				abort();
			for (int c = 0; c < n; c++)
				memcpy(cpus + (size_t)c * stride, rec, size);
			r = fmt_json_percpu(pk->plan, cpus, stride, n, &one);
			FZ_CHECK(r == 0, "fmt_json_percpu: %d", r);
			check_json(&one, 0, "fmt_json_percpu");
			if (n == 1 && r == 0)
				FZ_CHECK(one.len == sb.len && !memcmp(one.buf, sb.buf, sb.len),
					 "one CPU sums to '%.*s', the value is '%.*s'", (int)one.len, one.buf, (int)sb.len,
					 sb.buf);
			if (size) {
				sb_reset(&one);
				r = fmt_json_percpu(pk->plan, cpus, size - 1, n, &one);
				FZ_CHECK(r == -EINVAL && one.len == 0, "a stride below the size: %d", r);
			}
			FZ_CHECK(fmt_json_percpu(pk->plan, cpus, stride, 0, &one) == -EINVAL, "no CPUs: accepted");
			free(cpus);
		} else {
			FZ_CHECK(fmt_json_percpu(pk->plan, rec, size, 1, &one) == -EINVAL, "non-numeric per-CPU sum");
		}
		free(rec);
	}
fields:
	for (int i = 0; pk->fields && i < pk->fields->n; i++) {
		const struct fmt_field *fd = &pk->fields->f[i];
		uint64_t u;
		double d;

		FZ_CHECK(fd->name && fd->member && fd->plan, "field %d incomplete", i);
		size = fmt_plan_size(fd->plan);
		if (size > MAX_REC)
			continue;
		rec = record(val, vlen, size);
		sb_reset(&sb);
		r = fmt_field_text(fd, rec, size, &sb);
		FZ_CHECK(r == 0 || r == -ENOMEM, "fmt_field_text '%s': %d", fd->name, r);
		FZ_CHECK(fz_valid_utf8(sb.buf, sb.len) && !memchr(sb.buf ? sb.buf : "", 0, sb.len),
			 "field '%s' text is not UTF-8: %.*s", fd->name, (int)sb.len, sb.buf);
		r = fmt_field_num(fd, rec, size, &u, &d);
		FZ_CHECK(r == 0 || (r == -EINVAL && fd->kind != FMT_F_INT && fd->kind != FMT_F_FLOAT),
			 "fmt_field_num '%s' (kind %d): %d", fd->name, fd->kind, r);
		if (size) {
			FZ_CHECK(fmt_field_text(fd, rec, size - 1, &sb) == -EMSGSIZE, "field '%s' text over-reads",
				 fd->name);
			r = fmt_field_num(fd, rec, size - 1, &u, &d);
			FZ_CHECK(r == -EMSGSIZE || r == -EINVAL, "field '%s' number over-reads: %d", fd->name, r);
		}
		sb_reset(&sb);
		r = fmt_json(fd->plan, rec, size, &sb);
		FZ_CHECK(r == 0 || r == -ENOMEM, "field '%s' fmt_json: %d", fd->name, r);
		if (!r)
			check_json(&sb, 0, "field fmt_json");
		free(rec);
	}
	sb_free(&sb);
	sb_free(&one);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static struct picked pk[MAX_PICK];
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f);
	struct btf *btf;
	uint32_t nr, first, last;
	int np = 0, ncpu, budget;

	if (mode & 1) {
		size_t len = fz_u16(&f), got;
		void *raw = fz_bytes(&f, len, &got);

		btf = btf__new(raw, (uint32_t)got);
		free(raw);
		if (!btf)
			return 0;
	} else {
		btf = build(&f);
	}
	nr = btf__type_cnt(btf);	/* ids 1..nr-1 */
	first = fz_u32(&f) % (nr + 2);
	last = first + fz_u8(&f) % MAX_PICK;
	ncpu = fz_u8(&f);
	for (uint32_t id = first; id <= last; id++) {
		struct picked *p = &pk[np++];
		int r = fmt_plan_new(btf, id, &p->plan);

		FZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM, "fmt_plan_new(%u): %d", id, r);
		FZ_CHECK(!r == !!p->plan, "fmt_plan_new(%u): %d with plan %p", id, r, (void *)p->plan);
		r = fmt_fields_new(btf, id, &p->fields);
		FZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM, "fmt_fields_new(%u): %d", id, r);
		FZ_CHECK(!r == !!p->fields, "fmt_fields_new(%u): %d with fields %p", id, r, (void *)p->fields);
		budget = 1 << 16;
		p->huge = leaves(btf, id, 0, &budget) >= MAX_LEAVES;
	}
	btf__free(btf);
	for (int i = 0; i < np; i++) {
		render(&pk[i], f.p, f.n, ncpu);
		fmt_plan_free(pk[i].plan);
		fmt_fields_free(pk[i].fields);
		pk[i] = (struct picked){};
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
