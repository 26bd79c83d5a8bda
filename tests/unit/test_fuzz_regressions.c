// SPDX-License-Identifier: MIT
/*
 * Regression tests for what the libFuzzer targets (fuzz/, `make fuzz`)
 * found.  Each test builds the shape of input that failed and checks the
 * behaviour the fix defines.  The ones that were undefined behaviour rather
 * than a crash (a signed overflow, a shift by 64, NULL + 0) only misbehave
 * under UBSan: the same inputs are also seeds of the fuzz targets
 * (fuzz/corpus/<target>/regress-* and the seeds named below), which `make
 * fuzz` replays under ASan + UBSan every run.
 */
#include <elf.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <linux/btf.h>

#include "btf_fmt.h"
#include "enrich.h"
#include "decl_order.h"
#include "elf_rewrite.h"
#include "prom.h"
#include "strbuf.h"

/* ---- a minimal relocatable ELF64 (EM_BPF) with the given sections ---- */

struct sec {
	const char *name;
	const void *data;
	size_t len;
};

static unsigned char *mini_elf(const struct sec *s, int n, size_t *len)
{
	size_t names_len = 1 + strlen(".shstrtab") + 1, off = sizeof(Elf64_Ehdr), shoff;
	unsigned char *buf;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	char *names;
	size_t at, name_at = 1;

	for (int i = 0; i < n; i++)
		names_len += strlen(s[i].name) + 1;
	for (int i = 0; i < n; i++)
		off += (s[i].len + 7) & ~(size_t)7;
	shoff = off + ((names_len + 7) & ~(size_t)7);
	*len = shoff + (size_t)(n + 2) * sizeof(Elf64_Shdr);
	buf = calloc(1, *len);
	assert_non_null(buf);
	eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_shoff = shoff;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = (uint16_t)(n + 2);
	eh->e_shstrndx = (uint16_t)(n + 1);
	sh = (Elf64_Shdr *)(buf + shoff);
	names = (char *)buf + off;
	at = sizeof(Elf64_Ehdr);
	for (int i = 0; i < n; i++) {
		memcpy(buf + at, s[i].data, s[i].len);
		sh[i + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)name_at, .sh_type = SHT_PROGBITS, .sh_offset = at,
					  .sh_size = s[i].len, .sh_addralign = 1 };
		strcpy(names + name_at, s[i].name);
		name_at += strlen(s[i].name) + 1;
		at += (s[i].len + 7) & ~(size_t)7;
	}
	strcpy(names + name_at, ".shstrtab");
	sh[n + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)name_at, .sh_type = SHT_STRTAB, .sh_offset = off,
				  .sh_size = names_len, .sh_addralign = 1 };
	return buf;
}

static unsigned char *read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("EBPFCTL_TEST_BPF");
	char path[4096];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", dir && *dir ? dir : "build/tests/bpf", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s (build the fixtures with `make unit`)", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	*len = (size_t)n;
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* ---- runner/elf_rewrite.c ---- */

/* fuzz_elf: a section named .BTF of type SHT_NULL with an offset past the
 * end.  elf_parse checks the bounds of sections that have data only (not
 * SHT_NULL, not SHT_NOBITS); btf_parse refused SHT_NOBITS but read the
 * SHT_NULL one at its offset: a read far out of the buffer (SEGV).  Seed:
 * fuzz/corpus/elf/regress-btf-sht-null.o. */
static void test_elf_btf_sht_null(void **state)
{
	size_t len, done = 0;
	unsigned char *buf = read_fixture("rw_plain", &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	const char *names = (const char *)buf + sh[eh->e_shstrndx].sh_offset;
	struct elf_maps_info info;
	struct rerr err = {};
	void *out = NULL;
	size_t out_len = 0;

	for (int i = 1; i < eh->e_shnum; i++) {
		if (strcmp(names + sh[i].sh_name, ".BTF"))
			continue;
		sh[i].sh_type = SHT_NULL;
		sh[i].sh_offset = 1ULL << 32;
		done++;
	}
	assert_int_equal(done, 1);
	assert_int_equal(elf_rewrite_maps("t.o", buf, len, &out, &out_len, &info, &err), -EINVAL);
	assert_string_equal(err.msg, "t.o: bad BTF: section has no data");
	assert_null(out);
	assert_int_equal(info.n, 0);
	free(buf);
}

/* ---- runner/decl_order.c ---- */

/* fuzz_decl_order: an object with neither DWARF nor the note: qsort() was
 * called with d->v == NULL (n == 0), which its nonnull attribute forbids. */
static void test_decl_order_nothing(void **state)
{
	static const unsigned char text[8];
	struct sec s[] = { { ".text", text, sizeof(text) } };
	struct decl_order d;
	size_t len;
	unsigned char *elf = mini_elf(s, 1, &len);

	assert_int_equal(decl_order_read(elf, len, &d), 0);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
	assert_int_equal(decl_order_rank(&d, "x"), -1);
	decl_order_free(&d);
	free(elf);
}

/* fuzz_decl_order: a unit header's address size is one byte of input; a
 * DW_FORM_addr of more than 8 bytes made rd_n() shift a uint64_t by 64 and
 * more.  The bytes past the 8th are now skipped (and the walk goes on).
 * Seed: fuzz/corpus/decl_order/regress-addr-size-16.o. */
static void test_decl_order_wide_address(void **state)
{
	/* compile_unit with children; variable: name (string), line (data1), location (addr) */
	static const unsigned char abbrev[] = { 1, 0x11, 1, 0, 0, 2, 0x34, 0, 0x03, 0x08, 0x3b, 0x0b, 0x02, 0x01,
						0, 0, 0 };
	unsigned char info[64], *p = info;
	uint32_t unit_len;
	struct decl_order d;
	size_t len;

	p += 4;			/* unit length, below */
	*p++ = 4, *p++ = 0;	/* DWARF 4 */
	memset(p, 0, 4), p += 4;	/* abbrev offset */
	*p++ = 16;		/* address size */
	*p++ = 1;		/* the unit DIE */
	*p++ = 2, *p++ = 'x', *p++ = 0, *p++ = 7;	/* variable "x", line 7 */
	for (int i = 0; i < 16; i++)
		*p++ = (unsigned char)(0xf0 + i);	/* a 16-byte address */
	*p++ = 0;		/* end of children */
	unit_len = (uint32_t)(p - info - 4);
	memcpy(info, &unit_len, 4);
	{
		struct sec s[] = { { ".debug_info", info, (size_t)(p - info) }, { ".debug_abbrev", abbrev, sizeof(abbrev) } };
		unsigned char *elf = mini_elf(s, 2, &len);

		assert_int_equal(decl_order_read(elf, len, &d), 0);
		assert_int_equal(d.n, 1);
		assert_string_equal(d.v[0].name, "x");
		assert_int_equal(d.v[0].line, 7);
		decl_order_free(&d);
		free(elf);
	}
}

/* ---- runner/btf_fmt.c ---- */

/* fuzz_btf_fmt: fmt_json_percpu summed every integer leaf in a signed
 * __int128, so two CPUs' 128-bit values overflowed it (undefined).  The sum
 * is now unsigned, modulo 2^128: u128 max + u128 max = 2^128 - 2, and
 * s128 max + s128 max = -2.  Seed: fuzz/corpus/btf_fmt/b_percpu. */
static void test_percpu_int128_wraps(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_plan *p = NULL;
	struct strbuf sb = {};
	unsigned char cpus[2][32];
	int u128, s128, st;

	assert_non_null(btf);
	u128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	s128 = btf__add_int(btf, "__int128", 16, BTF_INT_SIGNED);
	st = btf__add_struct(btf, "v", 32);
	assert_true(st > 0);
	assert_int_equal(btf__add_field(btf, "u", u128, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "s", s128, 128, 0), 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)st, &p), 0);
	assert_true(fmt_plan_all_numeric(p));
	for (int c = 0; c < 2; c++) {
		memset(cpus[c], 0xff, 16);		/* u: 2^128 - 1 */
		memset(cpus[c] + 16, 0xff, 15);		/* s: 2^127 - 1 */
		cpus[c][31] = 0x7f;
	}
	assert_int_equal(fmt_json_percpu(p, cpus, 32, 2, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "{\"u\":340282366920938463463374607431768211454,\"s\":-2}");
	/* one CPU: the value itself */
	sb_reset(&sb);
	assert_int_equal(fmt_json_percpu(p, cpus, 32, 1, &sb), 0);
	assert_string_equal(sb_cstr(&sb),
			    "{\"u\":340282366920938463463374607431768211455,\"s\":170141183460469231731687303715884105727}");
	sb_free(&sb);
	fmt_plan_free(p);
	btf__free(btf);
}

/* fuzz_btf_fmt (oracle: a one-CPU sum renders as the value): the float sum
 * started at +0.0, and +0.0 + -0.0 is +0.0, so a -0 value summed to "0".
 * It starts at -0.0 now, the identity of IEEE addition. */
static void test_percpu_negative_zero(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_plan *p = NULL;
	struct strbuf sb = {};
	double v[2] = { -0.0, -0.0 };
	int f64, arr, u32;

	assert_non_null(btf);
	f64 = btf__add_float(btf, "double", 8);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	arr = btf__add_array(btf, u32, f64, 1);
	assert_true(arr > 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)arr, &p), 0);
	assert_int_equal(fmt_json(p, v, sizeof(v[0]), &sb), 0);
	assert_string_equal(sb_cstr(&sb), "[-0]");
	sb_reset(&sb);
	assert_int_equal(fmt_json_percpu(p, v, sizeof(v[0]), 1, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "[-0]");
	sb_reset(&sb);
	assert_int_equal(fmt_json_percpu(p, v, sizeof(v[0]), 2, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "[-0]");
	sb_reset(&sb);
	v[1] = 0.0;
	assert_int_equal(fmt_json_percpu(p, v, sizeof(v[0]), 2, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "[0]");
	sb_free(&sb);
	fmt_plan_free(p);
	btf__free(btf);
}

/* fuzz_btf_fmt (long run): a bitfield member (kflag struct) of an int whose
 * BTF encoding has a bit offset: the leaf read bitfield_size bits from
 * bit_off + the int's offset, but the plan's record size covered only
 * bit_off + bitfield_size, so fmt_field_text over-read the record (ASan:
 * heap-buffer-overflow in ld_span).  The kernel refuses such a member
 * ("Invalid member base type"); plans now do too (-EINVAL).  Seed:
 * fuzz/corpus/btf_fmt/regress-bitfield-int-offset. */
static void test_bitfield_of_offset_int(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_plan *p = NULL;
	struct fmt_fields *ff = NULL;
	struct btf_type *t;
	int u16, st, ok;

	assert_non_null(btf);
	u16 = btf__add_int(btf, "unsigned short", 2, 0);
	assert_true(u16 > 0);
	/* encoding: offset 9, 7 bits (btf__add_int cannot say so) */
	t = (struct btf_type *)btf__type_by_id(btf, (uint32_t)u16);
	*(uint32_t *)(t + 1) = 9u << 16 | 7u;
	st = btf__add_struct(btf, "rec", 2);
	assert_true(st > 0);
	assert_int_equal(btf__add_field(btf, "b", u16, 0, 7), 0);	/* bits 0..6 of the record */
	assert_int_equal(fmt_plan_new(btf, (uint32_t)st, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), -EINVAL);
	assert_null(ff);
	/* the same int as a plain member (no bitfield) stays fine: bits 9..15 */
	ok = btf__add_struct(btf, "plain", 2);
	assert_int_equal(btf__add_field(btf, "b", u16, 0, 0), 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)ok, &p), 0);
	{
		struct strbuf sb = {};
		uint8_t rec[2] = { 0x00, 0xfe };	/* bits 9..15 set */

		assert_int_equal(fmt_json(p, rec, sizeof(rec), &sb), 0);
		assert_string_equal(sb_cstr(&sb), "{\"b\":127}");
		sb_free(&sb);
	}
	fmt_plan_free(p);
	btf__free(btf);
}

/* fuzz_btf_fmt (long run, a timeout): n structs each with two members of
 * the one before are a tree of 2^n members.  fmt_plan_new and
 * fmt_fields_new walked all of it before the 1 GiB output check could say
 * -E2BIG (n = 22: 1 s and 9 s; n = 30: hours); anonymous members of empty
 * structs render nothing at all, so no output bound ever stopped those, and
 * fmt_fields_new also descends "__" members that plans skip.  Both now stop
 * after 2^18 members visited: -E2BIG at once. */
static int chain(struct btf *btf, int base, int n, const char *member)
{
	int prev = base;

	for (int k = 0; k < n; k++) {
		int s = btf__add_struct(btf, "s", 4);

		assert_true(s > 0);
		assert_int_equal(btf__add_field(btf, member, prev, 0, 0), 0);
		assert_int_equal(btf__add_field(btf, member, prev, 0, 0), 0);
		prev = s;
	}
	return prev;
}

static void test_exponential_types(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_plan *p = NULL;
	struct fmt_fields *ff = NULL;
	int u32, named, anon, hidden, small;

	assert_non_null(btf);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	named = chain(btf, u32, 30, "a");	/* 2^30 members, nesting within MAX_DEPTH */
	anon = chain(btf, btf__add_struct(btf, "empty", 0), 30, "");
	assert_int_equal(fmt_plan_new(btf, (uint32_t)named, &p), -E2BIG);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)named, &ff), -E2BIG);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)anon, &p), -E2BIG);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)anon, &ff), -E2BIG);
	/* a "__" member: not rendered, so the plan is fine; its fields are not */
	hidden = btf__add_struct(btf, "h", 8);
	assert_int_equal(btf__add_field(btf, "x", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "__big", named, 32, 0), 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)hidden, &p), 0);
	fmt_plan_free(p);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)hidden, &ff), -E2BIG);
	assert_null(ff);
	/* 2^10 members: fine */
	small = chain(btf, u32, 10, "a");
	assert_int_equal(fmt_plan_new(btf, (uint32_t)small, &p), 0);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)small, &ff), 0);
	assert_int_equal(ff->n, 1024);
	fmt_fields_free(ff);
	fmt_plan_free(p);
	btf__free(btf);
}

/* fuzz_btf_fmt (make fuzz in CI, the stop-20 run): with --enrich set, fmt_plan_new and
 * fmt_fields_new look for a cgroup_id member, and for members named like the added fields,
 * in anonymous members too; n anonymous structs each with two anonymous members of the one
 * before are 2^n paths, which both searches walked unbounded (a 10 s timeout).  Both now stop
 * after MAX_STEPS members, as compile_members does.  Seed:
 * fuzz/corpus/btf_fmt/regress-anon-dag-enrich-timeout. */
static bool no_enrich(void *ctx, uint64_t cg, struct enrich_info *out)
{
	return false;
}

static size_t no_enrich_json(void *ctx, uint64_t cg, char *w, size_t room)
{
	return 0;
}

static void test_anonymous_dag_with_enrich(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_plan *p = NULL;
	struct fmt_fields *ff = NULL;
	int u64, cg, empty, top, r;

	assert_non_null(btf);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	cg = btf__add_typedef(btf, "cgroup_id", u64);
	empty = btf__add_struct(btf, "e", 0);
	top = chain(btf, empty, 30, "");	/* 2^30 anonymous paths, nothing in them */
	(void)cg;
	fmt_set_enricher(no_enrich, no_enrich_json, NULL);
	r = fmt_plan_new(btf, (uint32_t)top, &p);
	assert_true(r == 0 || r == -E2BIG);
	fmt_plan_free(p);
	r = fmt_fields_new(btf, (uint32_t)top, &ff);
	assert_true(r == 0 || r == -E2BIG);
	fmt_fields_free(ff);
	fmt_set_enricher(NULL, NULL, NULL);
	btf__free(btf);
}

/* fuzz_btf_fmt (long run): a stack_id field reads the record's pid member
 * (for user frames) wherever it is, but its plan's size (what fmt_field_text
 * checks len against) ended at the stack_id: with the pid after it,
 * fmt_field_text(f, rec, fmt_plan_size(f->plan)) read past the record
 * (heap-buffer-overflow).  The size now covers the pid too.  Seed:
 * fuzz/corpus/btf_fmt/regress-stack-id-pid-after. */
static void test_stack_id_field_size(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fmt_fields *ff = NULL;
	struct strbuf sb = {};
	uint8_t *rec;
	int s64, u32, sid, st;

	assert_non_null(btf);
	s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	sid = btf__add_typedef(btf, "stack_id", s64);
	st = btf__add_struct(btf, "ev", 12);
	assert_true(st > 0);
	assert_int_equal(btf__add_field(btf, "sid", sid, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "pid", u32, 64, 0), 0);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), 0);
	assert_int_equal(ff->n, 2);
	assert_string_equal(ff->f[0].name, "sid");
	assert_int_equal(fmt_plan_size(ff->f[0].plan), 12);
	assert_int_equal(fmt_plan_size(ff->f[1].plan), 12);
	rec = calloc(1, 12);	/* exactly sized: ASan sees an over-read */
	assert_non_null(rec);
	assert_int_equal(fmt_field_text(&ff->f[0], rec, 8, &sb), -EMSGSIZE);
	assert_int_equal(fmt_field_text(&ff->f[0], rec, 12, &sb), 0);
	free(rec);
	sb_free(&sb);
	fmt_fields_free(ff);
	btf__free(btf);
}

/* fuzz_prom: fmt_text_str / fmt_json_str of an empty string into a new
 * strbuf computed NULL + 0 (sb_reserve(sb, 0) succeeded without a buffer). */
static void test_empty_strings(void **state)
{
	struct strbuf sb = {};

	assert_int_equal(sb_reserve(&sb, 0), 0);
	assert_non_null(sb.buf);
	sb_free(&sb);
	fmt_text_str(&sb, "", 0);
	fmt_json_str(&sb, "", 0);
	sb_puts(&sb, "");
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb_cstr(&sb), "");
	sb_free(&sb);
}

/* ---- runner/prom.c ---- */

/* fuzz_prom: prom_family_name with every name empty read sb->buf[start]
 * of a strbuf it had written nothing to: NULL for a new one (SEGV).  Such a
 * family is now "_", a valid name, as prom_label_name("") is. */
static void test_family_name_empty(void **state)
{
	struct strbuf sb = {};

	prom_family_name(&sb, "", "", NULL, PROM_GAUGE);
	assert_string_equal(sb_cstr(&sb), "_");
	assert_true(prom_valid_metric_name(sb_cstr(&sb)));
	sb_free(&sb);
	prom_family_name(&sb, NULL, "", "", PROM_COUNTER);
	assert_string_equal(sb_cstr(&sb), "__total");
	sb_free(&sb);
	/* after other text, the name starts where the call started */
	sb_puts(&sb, "x ");
	prom_family_name(&sb, "", "", "", PROM_HISTOGRAM);
	assert_string_equal(sb_cstr(&sb), "x _");
	sb_reset(&sb);
	prom_family_name(&sb, "", "9lives", NULL, PROM_GAUGE);
	assert_string_equal(sb_cstr(&sb), "_9lives");
	sb_free(&sb);
}

/* fuzz_prom (oracle: the bucket's bounds hold the value): +Inf went to
 * log2 bucket 1 (le="1"): frexp() leaves no exponent for an infinity, and
 * +Inf > 2^0 - 1 bumped it to 1.  The header says only +Inf is in 65. */
static void test_log2_bucket_inf(void **state)
{
	assert_int_equal(prom_log2_bucket_double(INFINITY), PROM_LOG2_SLOTS - 1);
	assert_int_equal(prom_log2_bucket_double(-INFINITY), 0);
	assert_int_equal(prom_log2_bucket_double(NAN), PROM_LOG2_SLOTS - 1);
	assert_int_equal(prom_log2_bucket_double(1.8446744073709552e19), PROM_LOG2_SLOTS - 1);	/* 2^64 */
	assert_int_equal(prom_log2_bucket_double(1.8446744073709550e19), 64);
	assert_int_equal(prom_log2_bucket_double(9.2233720368547758e18), 64);	/* 2^63 */
	assert_int_equal(prom_log2_bucket_double(1.0), 1);
	assert_int_equal(prom_log2_bucket_double(1.5), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_btf_sht_null),
		cmocka_unit_test(test_decl_order_nothing),
		cmocka_unit_test(test_decl_order_wide_address),
		cmocka_unit_test(test_percpu_int128_wraps),
		cmocka_unit_test(test_percpu_negative_zero),
		cmocka_unit_test(test_bitfield_of_offset_int),
		cmocka_unit_test(test_exponential_types),
		cmocka_unit_test(test_stack_id_field_size),
		cmocka_unit_test(test_anonymous_dag_with_enrich),
		cmocka_unit_test(test_empty_strings),
		cmocka_unit_test(test_family_name_empty),
		cmocka_unit_test(test_log2_bucket_inf),
	};

	return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
