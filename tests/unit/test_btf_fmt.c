// SPDX-License-Identifier: MIT
/*
 * Unit tests for runner/btf_fmt.c.  Every BTF is built in memory with
 * libbpf's btf__add_* (no clang, no root); each case asserts the exact text.
 * One extra test reads the clang-built fixture build/tests/bpf/ev_shapes.bpf.o
 * when EBPFCTL_TEST_BPF points at it, to check real compiler BTF too.
 */
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct strbuf sb;

/* common base types of every test BTF */
struct ids {
	int u8, s8, u16, s16, u32, s32, u64, s64, u128, s128;
	int chr, schr, uchr, boolean, f16, f32, f64, ulong;
};

static struct btf *base_btf(struct ids *t)
{
	struct btf *btf = btf__new_empty();

	assert_non_null(btf);
	t->u8 = btf__add_int(btf, "unsigned char", 1, 0);
	t->s8 = btf__add_int(btf, "s8_int", 1, BTF_INT_SIGNED);
	t->u16 = btf__add_int(btf, "unsigned short", 2, 0);
	t->s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	t->u32 = btf__add_int(btf, "unsigned int", 4, 0);
	t->s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	t->u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	t->s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	t->u128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	t->s128 = btf__add_int(btf, "__int128", 16, BTF_INT_SIGNED);
	t->chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	t->schr = btf__add_int(btf, "signed char", 1, BTF_INT_SIGNED);
	t->uchr = t->u8;
	t->boolean = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	t->f16 = btf__add_float(btf, "_Float16", 2);
	t->f32 = btf__add_float(btf, "float", 4);
	t->f64 = btf__add_float(btf, "double", 8);
	t->ulong = btf__add_int(btf, "unsigned long", 8, 0);
	assert_true(t->ulong > 0);
	return btf;
}

static int arr(struct btf *btf, const struct ids *t, int elem, uint32_t n)
{
	int id = btf__add_array(btf, t->u32, elem, n);

	assert_true(id > 0);
	return id;
}

static const char *json(const struct btf *btf, int id, const void *data, size_t len)
{
	struct fmt_plan *p = NULL;

	assert_int_equal(fmt_plan_new(btf, (uint32_t)id, &p), 0);
	sb_reset(&sb);
	assert_int_equal(fmt_json(p, data, len, &sb), 0);
	fmt_plan_free(p);
	return sb_cstr(&sb);
}

#define EXPECT_JSON(btf, id, data, len, want) assert_string_equal(json(btf, id, data, len), want)

static void set_bits(uint8_t *buf, unsigned off, unsigned n, uint64_t v)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned b = off + i;

		if ((v >> i) & 1)
			buf[b / 8] |= (uint8_t)(1u << (b % 8));
		else
			buf[b / 8] &= (uint8_t)~(1u << (b % 8));
	}
}

/* ---------------------------------------------------------------------- */

static void test_integers(void **state)
{
	static const struct {
		int size, enc;
		uint8_t b[16];
		const char *want;
	} cases[] = {
		{ 1, 0, { 0 }, "0" },
		{ 1, 0, { 0xff }, "255" },
		{ 1, BTF_INT_SIGNED, { 0x80 }, "-128" },
		{ 1, BTF_INT_SIGNED, { 0x7f }, "127" },
		{ 1, BTF_INT_SIGNED, { 0xff }, "-1" },
		{ 2, 0, { 0xff, 0xff }, "65535" },
		{ 2, BTF_INT_SIGNED, { 0x00, 0x80 }, "-32768" },
		{ 2, BTF_INT_SIGNED, { 0xff, 0x7f }, "32767" },
		{ 4, 0, { 0xff, 0xff, 0xff, 0xff }, "4294967295" },
		{ 4, BTF_INT_SIGNED, { 0, 0, 0, 0x80 }, "-2147483648" },
		{ 4, BTF_INT_SIGNED, { 0xff, 0xff, 0xff, 0x7f }, "2147483647" },
		{ 4, 0, { 0x40, 0x42, 0x0f, 0 }, "1000000" },
		{ 4, 0, { 0x3f, 0x42, 0x0f, 0 }, "999999" },
		{ 8, 0, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, "18446744073709551615" },
		{ 8, 0, { 0, 0, 0, 0, 1, 0, 0, 0 }, "4294967296" },
		{ 8, 0, { 0x15, 0x81, 0xe9, 0x7d, 0xf4, 0x10, 0x22, 0x11 }, "1234567890123456789" },
		{ 8, 0, { 0x01, 0, 0, 0, 0, 0, 0x20, 0 }, "9007199254740993" },	/* 2^53+1 */
		{ 8, BTF_INT_SIGNED, { 0, 0, 0, 0, 0, 0, 0, 0x80 }, "-9223372036854775808" },
		{ 8, BTF_INT_SIGNED, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, "9223372036854775807" },
		{ 8, BTF_INT_SIGNED, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, "-1" },
		{ 16, 0, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  "340282366920938463463374607431768211455" },
		{ 16, 0, { 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "18446744073709551616" },
		/* 10^19: exactly the split point of the 128-bit writer */
		{ 16, 0, { 0x00, 0x00, 0xe8, 0x89, 0x04, 0x23, 0xc7, 0x8a }, "10000000000000000000" },
		/* 10^38 */
		{ 16, 0, { 0x00, 0x00, 0x00, 0x00, 0x40, 0x22, 0x8a, 0x09, 0x7a, 0xc4, 0x86, 0x5a, 0xa8, 0x4c, 0x3b, 0x4b },
		  "100000000000000000000000000000000000000" },
		{ 16, BTF_INT_SIGNED, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80 },
		  "-170141183460469231731687303715884105728" },
		{ 16, BTF_INT_SIGNED, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		  "170141183460469231731687303715884105727" },
		{ 16, BTF_INT_SIGNED, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  "-2" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct btf *btf = btf__new_empty();
		int id = btf__add_int(btf, "x", (size_t)cases[i].size, cases[i].enc);

		EXPECT_JSON(btf, id, cases[i].b, (size_t)cases[i].size, cases[i].want);
		btf__free(btf);
	}
}

/* every decimal length 1..20 through the 2-digit writer */
static void test_integer_lengths(void **state)
{
	struct btf *btf = btf__new_empty();
	int u = btf__add_int(btf, "u64", 8, 0), s = btf__add_int(btf, "s64", 8, BTF_INT_SIGNED);
	char want[32];
	uint64_t v = 1;
	int i;

	for (i = 0; i < 20; i++, v *= 10) {
		uint64_t x[] = { v, v - 1, v + 7 };
		int k;

		for (k = 0; k < 3; k++) {
			int64_t n = -(int64_t)(x[k] & INT64_MAX);

			snprintf(want, sizeof(want), "%llu", (unsigned long long)x[k]);
			EXPECT_JSON(btf, u, &x[k], 8, want);
			snprintf(want, sizeof(want), "%lld", (long long)n);
			EXPECT_JSON(btf, s, &n, 8, want);
		}
	}
	btf__free(btf);
}

static void test_bitfields(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint8_t rec[24] = {};
	int st;

	st = btf__add_struct(btf, "bf", 24);
	btf__add_field(btf, "neg", t.s32, 0, 5);	/* bits 0..4 */
	btf__add_field(btf, "pos", t.u32, 5, 3);	/* 5..7 */
	btf__add_field(btf, "wide", t.u32, 8, 20);	/* crosses 3 bytes */
	btf__add_field(btf, "odd", t.s32, 28, 12);	/* crosses the 4-byte word */
	btf__add_field(btf, "big", t.u64, 68, 60);	/* crosses the 8-byte word */
	btf__add_field(btf, "sbig", t.s64, 128, 63);
	btf__add_field(btf, "one", t.s32, 191, 1);	/* a signed 1-bit field: 0 or -1 */
	set_bits(rec, 0, 5, (uint64_t)-3);
	set_bits(rec, 5, 3, 5);
	set_bits(rec, 8, 20, 1000000);
	set_bits(rec, 28, 12, (uint64_t)-2048);
	set_bits(rec, 68, 60, 0xfedcba987654321ULL);
	set_bits(rec, 128, 63, (uint64_t)-4611686018427387904LL);
	set_bits(rec, 191, 1, 1);
	EXPECT_JSON(btf, st, rec, sizeof(rec),
		    "{\"neg\":-3,\"pos\":5,\"wide\":1000000,\"odd\":-2048,"
		    "\"big\":1147797409030816545,\"sbig\":-4611686018427387904,\"one\":-1}");
	/* byte-aligned power-of-two bitfields take the plain path */
	st = btf__add_struct(btf, "bf2", 4);
	btf__add_field(btf, "lo", t.u32, 0, 8);
	btf__add_field(btf, "mid", t.s32, 8, 16);
	btf__add_field(btf, "hi", t.u32, 24, 8);
	memcpy(rec, "\x01\xfe\xff\x80", 4);
	EXPECT_JSON(btf, st, rec, 4, "{\"lo\":1,\"mid\":-2,\"hi\":128}");
	btf__free(btf);
}

/* kflag=0 bitfield: the INT's own encoding carries offset and bits */
static void test_int_encoding_bitfield(void **state)
{
	struct btf *btf = btf__new_empty();
	int i3, st;
	struct btf_type *ty;
	uint8_t rec[4] = {};

	i3 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ty = (struct btf_type *)btf__type_by_id(btf, (uint32_t)i3);
	*(uint32_t *)(ty + 1) = (BTF_INT_SIGNED << 24) | (2 << 16) | 3;	/* offset 2, 3 bits */
	st = btf__add_struct(btf, "s", 4);
	btf__add_field(btf, "x", i3, 8, 0);
	set_bits(rec, 10, 3, 6);	/* -2 in 3 bits */
	EXPECT_JSON(btf, st, rec, 4, "{\"x\":-2}");
	btf__free(btf);
}

static void test_bool_char_scalars(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint8_t v;
	int st;
	uint8_t rec[2];

	v = 0;
	EXPECT_JSON(btf, t.boolean, &v, 1, "false");
	v = 1;
	EXPECT_JSON(btf, t.boolean, &v, 1, "true");
	v = 2;
	EXPECT_JSON(btf, t.boolean, &v, 1, "true");
	/* a lone char is a number: only arrays of char are strings */
	v = 'A';
	EXPECT_JSON(btf, t.chr, &v, 1, "65");
	v = 0xff;
	EXPECT_JSON(btf, t.chr, &v, 1, "-1");
	/* bool bitfield */
	st = btf__add_struct(btf, "b", 2);
	btf__add_field(btf, "f", t.boolean, 3, 1);
	btf__add_field(btf, "g", t.boolean, 4, 1);
	rec[0] = 1 << 3;
	rec[1] = 0;
	EXPECT_JSON(btf, st, rec, 2, "{\"f\":true,\"g\":false}");
	btf__free(btf);
}

static void test_floats(void **state)
{
	static const struct {
		double v;
		const char *want;
	} dcases[] = {
		{ 0.1, "0.1" }, { 1.5, "1.5" }, { 1e300, "1e+300" }, { -0.0, "-0" }, { 0.0, "0" },
		{ 100000.0, "1e+05" }, { 123456789.0, "123456789" }, { 127.0, "127" },
		{ 0.0015, "0.0015" }, { 0.30000000000000004, "0.30000000000000004" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" }, { 5e-324, "5e-324" },
		{ 1e-323, "1e-323" }, { 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 2.225073858507201e-308, "2.225073858507201e-308" },
		{ -2.5, "-2.5" }, { 1.0 / 3, "0.3333333333333333" }, { 2.0 / 3, "0.6666666666666666" },
		{ 9007199254740993.0, "9007199254740992" },
	};
	static const struct {
		float v;
		const char *want;
	} fcases[] = {
		{ 0.1f, "0.1" }, { 0.25f, "0.25" }, { 16777216.0f, "16777216" }, { 1.0f / 3, "0.33333334" },
		{ 3.4028235e38f, "3.4028235e+38" }, { -1.5f, "-1.5" }, { 1e-45f, "1e-45" },
		{ 1.1754942e-38f, "1.1754942e-38" }, { 3e-45f, "3e-45" },
	};
	struct ids t;
	struct btf *btf = base_btf(&t);
	double d;
	float f;
	uint16_t h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dcases); i++)
		EXPECT_JSON(btf, t.f64, &dcases[i].v, 8, dcases[i].want);
	for (i = 0; i < ARRAY_SIZE(fcases); i++)
		EXPECT_JSON(btf, t.f32, &fcases[i].v, 4, fcases[i].want);
	d = NAN;
	EXPECT_JSON(btf, t.f64, &d, 8, "null");
	d = INFINITY;
	EXPECT_JSON(btf, t.f64, &d, 8, "null");
	d = -INFINITY;
	EXPECT_JSON(btf, t.f64, &d, 8, "null");
	f = NAN;
	EXPECT_JSON(btf, t.f32, &f, 4, "null");
	h = 0x3e00;	/* 1.5 */
	EXPECT_JSON(btf, t.f16, &h, 2, "1.5");
	h = 0x7c00;	/* +inf */
	EXPECT_JSON(btf, t.f16, &h, 2, "null");
#ifdef __FLT16_MAX__
	h = 0x7bff;	/* 65504: "6.55e+04" reads back as 65504 in half precision */
	EXPECT_JSON(btf, t.f16, &h, 2, "6.55e+04");
#endif
	btf__free(btf);
}

/* The writer must equal "shortest %.Ng, N = 1..17, that round-trips". */
static void test_float_shortest_bruteforce(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	struct fmt_plan *pd, *pf;
	char want[64];
	uint64_t seed = 88172645463325252ULL;
	int i, p;

	assert_int_equal(fmt_plan_new(btf, (uint32_t)t.f64, &pd), 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)t.f32, &pf), 0);
	for (i = 0; i < 20000; i++) {
		uint64_t bits;
		uint32_t fb;
		double d;
		float f;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		bits = seed;
		if (i % 4 == 1)		/* short decimals too */
			d = (double)(seed % 100000) / 1000.0;
		else if (i % 8 == 3)	/* subnormals have fewer digits */
			d = ldexp((double)(seed % 4096), -1074);
		else
			memcpy(&d, &bits, 8);
		if (!isfinite(d))
			continue;
		for (p = 1; p <= 17; p++) {
			snprintf(want, sizeof(want), "%.*g", p, d);
			if (strtod(want, NULL) == d)
				break;
		}
		sb_reset(&sb);
		assert_int_equal(fmt_json(pd, &d, 8, &sb), 0);
		assert_string_equal(sb_cstr(&sb), want);

		fb = (uint32_t)(seed >> 17);
		memcpy(&f, &fb, 4);
		if (i % 4 == 2)
			f = (float)(seed % 10000) / 100.0f;
		else if (i % 8 == 3)
			f = ldexpf((float)(seed % 4096), -149);
		if (!isfinite(f))
			continue;
		for (p = 1; p <= 9; p++) {
			snprintf(want, sizeof(want), "%.*g", p, (double)f);
			if (strtof(want, NULL) == f)
				break;
		}
		sb_reset(&sb);
		assert_int_equal(fmt_json(pf, &f, 4, &sb), 0);
		assert_string_equal(sb_cstr(&sb), want);
	}
	fmt_plan_free(pd);
	fmt_plan_free(pf);
	btf__free(btf);
}

static void test_fmt_double_text(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 127, "127" }, { 0.0015, "0.0015" }, { 1e300, "1e+300" }, { NAN, "NaN" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { 1048575, "1048575" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sb_reset(&sb);
		fmt_double(&sb, cases[i].v);
		assert_string_equal(sb_cstr(&sb), cases[i].want);
	}
}

/* ---------------------------------------------------------------------- */

static const char *str_json(const struct btf *btf, int id, const char *bytes, size_t n)
{
	return json(btf, id, bytes, n);
}

static void test_strings(void **state)
{
	static const struct {
		size_t n;
		char bytes[64];		/* zero padded to the array */
		const char *want;
	} cases[] = {
		{ 16, "hello", "\"hello\"" },
		{ 4, "abcd", "\"abcd\"" },			/* no NUL: whole array */
		{ 16, "", "\"\"" },
		{ 8, "ab\0cd", "\"ab\"" },			/* stops at the first NUL */
		{ 4, "\x80", "\"\\\\x80\"" },			/* lone continuation */
		{ 4, "\xc0\xaf", "\"\\\\xc0\\\\xaf\"" },	/* overlong '/' */
		{ 4, "\xc1\xbf", "\"\\\\xc1\\\\xbf\"" },	/* overlong */
		{ 4, "\xe0\x80\xaf", "\"\\\\xe0\\\\x80\\\\xaf\"" },	/* overlong 3-byte */
		{ 5, "\xf0\x80\x80\xaf", "\"\\\\xf0\\\\x80\\\\x80\\\\xaf\"" },	/* overlong 4-byte */
		{ 4, "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"" },	/* surrogate D800 */
		{ 5, "\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"" },	/* > U+10FFFF */
		{ 2, "\xf5", "\"\\\\xf5\"" },
		{ 2, "\xff", "\"\\\\xff\"" },
		{ 3, "a\xe2\x82", "\"a\\\\xe2\\\\x82\"" },	/* truncated by the array end */
		{ 4, "\xe2\x82", "\"\\\\xe2\\\\x82\"" },	/* truncated by the NUL */
		{ 4, "\xe2(\xa1", "\"\\\\xe2(\\\\xa1\"" },	/* bad continuation */
		{ 3, "\xc3\xa9", "\"\xc3\xa9\"" },		/* é */
		{ 4, "\xe2\x82\xac", "\"\xe2\x82\xac\"" },	/* € */
		{ 4, "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },	/* 4 bytes, no NUL */
		{ 5, "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },	/* U+10FFFF */
		{ 4, "\xed\x9f\xbf", "\"\xed\x9f\xbf\"" },	/* U+D7FF */
		{ 16, "q\"b\\n\n", "\"q\\\"b\\\\n\\n\"" },
		{ 16, "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
		{ 16, "\x01\x1f\x7f\x0b", "\"\\u0001\\u001f\\u007f\\u000b\"" },
		{ 16, " ~", "\" ~\"" },
		/* the 8-byte fast path with specials at every position */
		{ 64, "/usr/lib/x86_64-linux-gnu/libc.so.6",
		  "\"/usr/lib/x86_64-linux-gnu/libc.so.6\"" },
		{ 64, "01234567\"1234567\\123456\xff" "0123456\n",
		  "\"01234567\\\"1234567\\\\123456\\\\xff0123456\\n\"" },
		{ 16, "0123456789abcdef", "\"0123456789abcdef\"" },
		{ 16, "0123456\xc3\xa9" "9abcdef", "\"0123456\xc3\xa9" "9abcdef\"" },
		{ 16, "01234567\xc3", "\"01234567\\\\xc3\"" },
		{ 9, "01234567\xc3", "\"01234567\\\\xc3\"" },
		{ 16, "012345\0" "789abcdef", "\"012345\"" },
	};
	struct ids t;
	struct btf *btf = base_btf(&t);
	char buf[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int a = arr(btf, &t, t.chr, (uint32_t)cases[i].n);

		memcpy(buf, cases[i].bytes, cases[i].n);
		assert_string_equal(str_json(btf, a, buf, cases[i].n), cases[i].want);
	}
	btf__free(btf);
}

/* the string never reads past the array, even without a NUL */
static void test_string_no_overread(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	size_t n;

	for (n = 1; n <= 40; n++) {
		char *heap = malloc(n), want[64];
		int a = arr(btf, &t, t.chr, (uint32_t)n);

		memset(heap, 'x', n);
		heap[n - 1] = (char)0xc3;	/* a lead byte right at the end */
		want[0] = '"';
		memset(want + 1, 'x', n - 1);
		strcpy(want + n, "\\\\xc3\"");
		assert_string_equal(json(btf, a, heap, n), want);
		free(heap);
	}
	btf__free(btf);
}

static void test_char_kinds(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	const char data[4] = "ab";
	int td, cq, a;

	/* signed char (__s8, int8_t) array: numbers, only plain char is text */
	EXPECT_JSON(btf, arr(btf, &t, t.schr, 4), "\x05\0\xff\x07", 4, "[5,0,-1,7]");
	td = btf__add_typedef(btf, "__s8", t.schr);
	EXPECT_JSON(btf, arr(btf, &t, td, 4), data, 4, "[97,98,0,0]");
	/* unsigned char / u8: numbers */
	EXPECT_JSON(btf, arr(btf, &t, t.uchr, 4), data, 4, "[97,98,0,0]");
	td = btf__add_typedef(btf, "__u8", t.u8);
	EXPECT_JSON(btf, arr(btf, &t, td, 4), data, 4, "[97,98,0,0]");
	/* char through typedef and const: still a string */
	td = btf__add_typedef(btf, "my_char", t.chr);
	cq = btf__add_const(btf, td);
	a = arr(btf, &t, cq, 4);
	EXPECT_JSON(btf, a, data, 4, "\"ab\"");
	/* array typedef */
	td = btf__add_typedef(btf, "comm_t", arr(btf, &t, t.chr, 4));
	EXPECT_JSON(btf, td, data, 4, "\"ab\"");
	/* char[0] */
	EXPECT_JSON(btf, arr(btf, &t, t.chr, 0), NULL, 0, "\"\"");
	btf__free(btf);
}

static void test_text_str(void **state)
{
	sb_reset(&sb);
	fmt_text_str(&sb, "a\xff\"\\\n\xc3\xa9\xe2\x82", 10);
	assert_string_equal(sb_cstr(&sb), "a\\xff\"\\\n\xc3\xa9\\xe2\\x82");
	sb_reset(&sb);
	fmt_json_str(&sb, "a\xff\"\\\n\xc3\xa9", 8);
	assert_string_equal(sb_cstr(&sb), "a\\\\xff\\\"\\\\\\n\xc3\xa9");
	sb_reset(&sb);
	fmt_text_str(&sb, "01234567890\0zz", 14);
	assert_string_equal(sb_cstr(&sb), "01234567890");
}

/* ---------------------------------------------------------------------- */

static void test_structs_unions_arrays(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint8_t rec[64] = {};
	int inner, anon_s, anon_u, un, st, m23, pt, apt, names, u8x4, empty;
	uint16_t a = 7;
	int16_t b = -7;
	uint32_t w = 0x04030201, m[6] = { 1, 2, 3, 4, 5, 6 };

	inner = btf__add_struct(btf, "inner", 4);
	btf__add_field(btf, "a", t.u16, 0, 0);
	btf__add_field(btf, "b", t.s16, 16, 0);
	anon_s = btf__add_struct(btf, NULL, 4);
	btf__add_field(btf, "x", t.u32, 0, 0);
	anon_u = btf__add_union(btf, NULL, 4);
	btf__add_field(btf, "y", t.u32, 0, 0);
	btf__add_field(btf, "z", t.u16, 0, 0);
	u8x4 = arr(btf, &t, t.u8, 4);
	un = btf__add_union(btf, "both", 4);
	btf__add_field(btf, "word", t.u32, 0, 0);
	btf__add_field(btf, "bytes", u8x4, 0, 0);
	m23 = arr(btf, &t, arr(btf, &t, t.u32, 3), 2);
	pt = btf__add_struct(btf, "pt", 2);
	btf__add_field(btf, "v", t.u16, 0, 0);
	apt = arr(btf, &t, pt, 2);
	names = arr(btf, &t, arr(btf, &t, t.chr, 4), 2);
	empty = arr(btf, &t, t.u32, 0);

	/* members in a deliberately non-sequential order: offsets come from BTF */
	st = btf__add_struct(btf, "ev", 64);
	btf__add_field(btf, "un", un, 32, 0);		/* @4 */
	btf__add_field(btf, "in", inner, 0, 0);		/* @0 */
	btf__add_field(btf, NULL, anon_s, 64, 0);	/* @8 */
	btf__add_field(btf, NULL, anon_u, 96, 0);	/* @12 */
	btf__add_field(btf, "m", m23, 128, 0);		/* @16..40 */
	btf__add_field(btf, "pts", apt, 320, 0);	/* @40..44 */
	btf__add_field(btf, "names", names, 352, 0);	/* @44..52 */
	btf__add_field(btf, "empty", empty, 416, 0);

	memcpy(rec + 0, &a, 2);
	memcpy(rec + 2, &b, 2);
	memcpy(rec + 4, &w, 4);
	w = 9;
	memcpy(rec + 8, &w, 4);
	w = 0x10002;
	memcpy(rec + 12, &w, 4);
	memcpy(rec + 16, m, 24);
	rec[40] = 1;
	rec[42] = 2;
	memcpy(rec + 44, "ab\0\0cdef", 8);
	EXPECT_JSON(btf, st, rec, sizeof(rec),
		    "{\"un\":{\"word\":67305985,\"bytes\":[1,2,3,4]},\"in\":{\"a\":7,\"b\":-7},"
		    "\"x\":9,\"y\":65538,\"z\":2,\"m\":[[1,2,3],[4,5,6]],"
		    "\"pts\":[{\"v\":1},{\"v\":2}],\"names\":[\"ab\",\"cdef\"],\"empty\":[]}");
	btf__free(btf);
}

static void test_hidden_members(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint32_t rec[4] = { 1, 2, 3, 4 };
	int in, st, allh;

	in = btf__add_struct(btf, "in", 8);
	btf__add_field(btf, "__x", t.u32, 0, 0);
	btf__add_field(btf, "y", t.u32, 32, 0);
	st = btf__add_struct(btf, "s", 16);
	btf__add_field(btf, "__first", t.u32, 0, 0);
	btf__add_field(btf, "a", t.u32, 32, 0);
	btf__add_field(btf, "in", in, 64, 0);
	btf__add_field(btf, "_one", t.u32, 64, 0);	/* a single underscore is shown */
	EXPECT_JSON(btf, st, rec, sizeof(rec), "{\"a\":2,\"in\":{\"y\":4},\"_one\":3}");
	allh = btf__add_struct(btf, "h", 8);
	btf__add_field(btf, "__a", t.u32, 0, 0);
	btf__add_field(btf, "__b", in, 0, 0);
	EXPECT_JSON(btf, allh, rec, 8, "{}");
	btf__free(btf);
}

static void test_enums(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int color, neg, e8, e64, e64s, big, dup, st;
	int32_t v32;
	uint8_t v8;
	uint64_t v64;
	uint8_t rec[4] = {};

	color = btf__add_enum(btf, "color", 4);
	btf__add_enum_value(btf, "RED", 1);
	btf__add_enum_value(btf, "GREEN", 2);
	btf__add_enum_value(btf, "BLUE", 42);
	v32 = 42;
	EXPECT_JSON(btf, color, &v32, 4, "\"BLUE\"");
	v32 = 7;
	EXPECT_JSON(btf, color, &v32, 4, "7");
	v32 = -1;	/* unsigned enum: no negative enumerators, no kflag */
	EXPECT_JSON(btf, color, &v32, 4, "4294967295");

	neg = btf__add_enum(btf, "neg", 4);
	btf__add_enum_value(btf, "MINUS", -5);
	btf__add_enum_value(btf, "PLUS", 5);
	v32 = -5;
	EXPECT_JSON(btf, neg, &v32, 4, "\"MINUS\"");
	v32 = -7;
	EXPECT_JSON(btf, neg, &v32, 4, "-7");

	e8 = btf__add_enum(btf, "small", 1);
	btf__add_enum_value(btf, "A", 1);
	btf__add_enum_value(btf, "B", 200);
	v8 = 200;
	EXPECT_JSON(btf, e8, &v8, 1, "\"B\"");
	v8 = 201;
	EXPECT_JSON(btf, e8, &v8, 1, "201");

	/* clang 14: a value >= 2^31 is stored as a negative s32, no kflag */
	big = btf__add_enum(btf, "big", 4);
	btf__add_enum_value(btf, "TOP", (int32_t)0x80000000u);
	v32 = (int32_t)0x80000000u;
	EXPECT_JSON(btf, big, &v32, 4, "\"TOP\"");

	e64 = btf__add_enum64(btf, "e64", 8, false);
	btf__add_enum64_value(btf, "MAX", UINT64_MAX);
	btf__add_enum64_value(btf, "HIGH", 1ULL << 40);
	v64 = UINT64_MAX;
	EXPECT_JSON(btf, e64, &v64, 8, "\"MAX\"");
	v64 = 1ULL << 40;
	EXPECT_JSON(btf, e64, &v64, 8, "\"HIGH\"");
	v64 = 1ULL << 63;
	EXPECT_JSON(btf, e64, &v64, 8, "9223372036854775808");

	e64s = btf__add_enum64(btf, "e64s", 8, true);
	btf__add_enum64_value(btf, "LOW", (uint64_t)INT64_MIN);
	v64 = (uint64_t)INT64_MIN;
	EXPECT_JSON(btf, e64s, &v64, 8, "\"LOW\"");
	v64 = (uint64_t)-3;
	EXPECT_JSON(btf, e64s, &v64, 8, "-3");

	dup = btf__add_enum(btf, "dup", 2);
	btf__add_enum_value(btf, "FIRST", 3);
	btf__add_enum_value(btf, "ALIAS", 3);
	btf__add_enum_value(btf, "ZERO", 0);
	v32 = 3;
	EXPECT_JSON(btf, dup, &v32, 2, "\"FIRST\"");
	v32 = 0;
	EXPECT_JSON(btf, dup, &v32, 2, "\"ZERO\"");

	/* enum bitfields */
	st = btf__add_struct(btf, "s", 4);
	btf__add_field(btf, "c", color, 3, 6);
	btf__add_field(btf, "n", neg, 9, 4);
	set_bits(rec, 3, 6, 42);
	set_bits(rec, 9, 4, (uint64_t)-5);
	EXPECT_JSON(btf, st, rec, 4, "{\"c\":\"BLUE\",\"n\":\"MINUS\"}");
	set_bits(rec, 9, 4, (uint64_t)-6);
	EXPECT_JSON(btf, st, rec, 4, "{\"c\":\"BLUE\",\"n\":-6}");
	btf__free(btf);
}

static void test_pointers(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int p = btf__add_ptr(btf, t.chr), st, vp;
	uint64_t v = 0xffff888012345678ULL, rec[2] = { 0, 0xABCDEFULL };

	EXPECT_JSON(btf, p, &v, 8, "\"0xffff888012345678\"");
	v = 0;
	EXPECT_JSON(btf, p, &v, 8, "\"0x0\"");
	vp = btf__add_ptr(btf, 0);	/* void * */
	st = btf__add_struct(btf, "s", 16);
	btf__add_field(btf, "p", p, 0, 0);
	btf__add_field(btf, "q", vp, 64, 0);
	EXPECT_JSON(btf, st, rec, 16, "{\"p\":\"0x0\",\"q\":\"0xabcdef\"}");
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */
/* special types                                                          */

static int ipv6_type(struct btf *btf, const struct ids *t)
{
	int a8 = arr(btf, t, t->u8, 16), a16 = arr(btf, t, t->u16, 8), a32 = arr(btf, t, t->u32, 4);
	int u = btf__add_union(btf, NULL, 16);

	btf__add_field(btf, "u6_addr8", a8, 0, 0);
	btf__add_field(btf, "u6_addr16", a16, 0, 0);
	btf__add_field(btf, "u6_addr32", a32, 0, 0);
	return btf__add_typedef(btf, "ipv6_addr", u);
}

/* stack_id: the runner's hook renders it; the plan passes the id (sign
 * extended), the record's pid/tgid member and whether it is label text. */
static struct {
	const struct btf *btf;
	int64_t id;
	uint32_t pid;
	bool text;
	int calls;
} stack_seen;

static size_t fake_stack(void *ctx, const struct btf *btf, int64_t id, uint32_t pid, bool text, char *w,
			 size_t room)
{
	const char *out = text ? "main;f" : "[\"f\",\"main\"]";

	assert_ptr_equal(ctx, &stack_seen);
	assert_true(room >= STACK_MAX_OUT);
	stack_seen.btf = btf;
	stack_seen.id = id;
	stack_seen.pid = pid;
	stack_seen.text = text;
	stack_seen.calls++;
	memcpy(w, out, strlen(out));
	return strlen(out);
}

static void test_stack_id(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int sid = btf__add_typedef(btf, "stack_id", t.s64), sid32 = btf__add_typedef(btf, "stack_id", t.s32);
	int st = btf__add_struct(btf, "ev", 24), inner, nopid, sarr;
	struct fmt_fields *ff = NULL;
	struct { uint32_t a; uint32_t pid; int64_t s; int32_t s32; uint32_t pad; } rec = { 7, 4242, 17, -14, 0 };

	assert_int_equal(btf__add_field(btf, "a", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "pid", t.u32, 32, 0), 0);
	assert_int_equal(btf__add_field(btf, "s", sid, 64, 0), 0);
	assert_int_equal(btf__add_field(btf, "s32", sid32, 128, 0), 0);
	/* no pid member: pid 0 */
	nopid = btf__add_struct(btf, "ev2", 8);
	assert_int_equal(btf__add_field(btf, "s", sid, 0, 0), 0);
	/* inside an array, offsets are the element's: pid 0 too */
	sarr = arr(btf, &t, sid, 2);
	inner = btf__add_struct(btf, "ev3", 24);
	assert_int_equal(btf__add_field(btf, "pid", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "ss", sarr, 64, 0), 0);

	/* without a resolver: an empty array */
	EXPECT_JSON(btf, st, &rec, sizeof(rec), "{\"a\":7,\"pid\":4242,\"s\":[],\"s32\":[]}");

	fmt_set_stack_resolver(fake_stack, &stack_seen);
	memset(&stack_seen, 0, sizeof(stack_seen));
	EXPECT_JSON(btf, st, &rec, sizeof(rec),
		    "{\"a\":7,\"pid\":4242,\"s\":[\"f\",\"main\"],\"s32\":[\"f\",\"main\"]}");
	assert_int_equal(stack_seen.calls, 2);
	assert_ptr_equal(stack_seen.btf, btf);
	assert_int_equal(stack_seen.id, -14);	/* the s32 member, sign-extended */
	assert_int_equal(stack_seen.pid, 4242);
	assert_false(stack_seen.text);

	EXPECT_JSON(btf, nopid, &rec.s, 8, "{\"s\":[\"f\",\"main\"]}");
	assert_int_equal(stack_seen.id, 17);
	assert_int_equal(stack_seen.pid, 0);

	{
		struct { uint32_t pid; uint32_t pad; int64_t ss[2]; } r3 = { 99, 0, { 5, 6 } };

		EXPECT_JSON(btf, inner, &r3, sizeof(r3),
			    "{\"pid\":99,\"ss\":[[\"f\",\"main\"],[\"f\",\"main\"]]}");
		assert_int_equal(stack_seen.id, 6);
		assert_int_equal(stack_seen.pid, 0);
	}

	/* as a label: text, with the pid of the key */
	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), 0);
	for (int i = 0; i < ff->n; i++) {
		if (strcmp(ff->f[i].name, "s"))
			continue;
		assert_int_equal(ff->f[i].kind, FMT_F_OTHER);
		sb_reset(&sb);
		assert_int_equal(fmt_field_text(&ff->f[i], &rec, sizeof(rec), &sb), 0);
		assert_string_equal(sb_cstr(&sb), "main;f");
		assert_true(stack_seen.text);
		assert_int_equal(stack_seen.pid, 4242);
		assert_int_equal(stack_seen.id, 17);
	}
	fmt_fields_free(ff);
	fmt_set_stack_resolver(NULL, NULL);
	btf__free(btf);
}

static void test_ipv4(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int v4 = btf__add_typedef(btf, "ipv4_addr", t.u32), wrong;
	uint8_t a[8] = { 127, 0, 0, 1 }, b[4] = { 255, 255, 255, 255 };

	EXPECT_JSON(btf, v4, a, 4, "\"127.0.0.1\"");
	EXPECT_JSON(btf, v4, b, 4, "\"255.255.255.255\"");
	/* through more typedefs and modifiers */
	EXPECT_JSON(btf, btf__add_typedef(btf, "saddr_t", btf__add_volatile(btf, btf__add_const(btf, v4))),
		    a, 4, "\"127.0.0.1\"");
	/* a wrong size renders as what it is */
	wrong = btf__add_typedef(btf, "ipv4_addr", t.u64);
	EXPECT_JSON(btf, wrong, a, 8, "16777343");
	btf__free(btf);
}

static void test_ipv6(void **state)
{
	static const struct {
		uint16_t g[8];
		const char *want;
	} cases[] = {
		{ { 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1 }, "2001:db8::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, "::" },
		{ { 1, 0, 0, 0, 0, 0, 0, 0 }, "1::" },
		{ { 0x2001, 0xdb8, 0, 1, 1, 1, 1, 1 }, "2001:db8:0:1:1:1:1:1" },	/* one 0 stays */
		{ { 0x2001, 0, 0, 1, 0, 0, 0, 1 }, "2001:0:0:1::1" },		/* longest run */
		{ { 0x2001, 0xdb8, 0, 0, 1, 0, 0, 1 }, "2001:db8::1:0:0:1" },	/* tie: first */
		{ { 0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304 }, "::ffff:1.2.3.4" },
		{ { 0, 0, 0, 0, 0, 0xffff, 0, 0 }, "::ffff:0.0.0.0" },
		{ { 0, 0, 0, 0, 0, 0, 0x0102, 0x0304 }, "::102:304" },		/* deprecated compat: hex */
		{ { 0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304 }, "::ffff:0:102:304" },
		{ { 0xfe80, 0, 0, 0, 0, 0, 1, 2 }, "fe80::1:2" },
		{ { 0xff02, 0, 0, 0, 0, 0, 0, 2 }, "ff02::2" },
		{ { 0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xffff },
		  "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff" },
		{ { 0, 0, 1, 0, 0, 0, 0, 0 }, "0:0:1::" },
		{ { 0, 1, 0, 0, 0, 0, 0, 0 }, "0:1::" },
		{ { 1, 0, 1, 0, 1, 0, 1, 0 }, "1:0:1:0:1:0:1:0" },
		{ { 0, 0, 1, 1, 1, 1, 0, 0 }, "::1:1:1:1:0:0" },
		{ { 1, 1, 1, 0, 0, 1, 1, 1 }, "1:1:1::1:1:1" },
		{ { 0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221 }, "64:ff9b::c000:221" },
	};
	struct ids t;
	struct btf *btf = base_btf(&t);
	int v6 = ipv6_type(btf, &t), bb;
	char want[64];
	uint8_t a[16];
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		for (k = 0; k < 8; k++) {
			a[2 * k] = (uint8_t)(cases[i].g[k] >> 8);
			a[2 * k + 1] = (uint8_t)cases[i].g[k];
		}
		snprintf(want, sizeof(want), "\"%s\"", cases[i].want);
		EXPECT_JSON(btf, v6, a, 16, want);
	}
	/* a 16-byte array typedef works as well */
	v6 = btf__add_typedef(btf, "ipv6_addr", arr(btf, &t, t.u8, 16));
	memset(a, 0, 16);
	a[15] = 1;
	EXPECT_JSON(btf, v6, a, 16, "\"::1\"");
	/* bumblebee's 4-byte ipv6_addr is its integer */
	bb = btf__add_typedef(btf, "ipv6_addr", t.u32);
	EXPECT_JSON(btf, bb, a + 12, 4, "16777216");
	btf__free(btf);
}

static const struct {
	int64_t ns;
	const char *want;
} dur_cases[] = {
	{ 0, "0s" }, { 1, "1ns" }, { 999, "999ns" }, { 100, "100ns" }, { 1000, "1µs" },
	{ 1100, "1.1µs" }, { 1500, "1.5µs" }, { 999999, "999.999µs" }, { 1000000, "1ms" },
	{ 1000001, "1.000001ms" }, { 1500000, "1.5ms" }, { 999999999, "999.999999ms" },
	{ 1000000000, "1s" }, { 1500000000, "1.5s" }, { 1000000001, "1.000000001s" },
	{ 60000000000, "1m0s" }, { 61000000000, "1m1s" }, { 3600000000000, "1h0m0s" },
	{ 3723500000000, "1h2m3.5s" }, { 7384500000000, "2h3m4.5s" }, { 86400000000000, "24h0m0s" },
	{ -1, "-1ns" }, { -1500, "-1.5µs" }, { -60000000000, "-1m0s" },
	{ INT64_MAX, "2562047h47m16.854775807s" }, { INT64_MIN, "-2562047h47m16.854775808s" },
};

static void test_duration(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int d = btf__add_typedef(btf, "duration", t.u64), lat, d32, sd;
	char want[64];
	size_t i;

	lat = btf__add_typedef(btf, "lat_t", btf__add_const(btf, d));
	sd = btf__add_typedef(btf, "duration", t.s64);
	for (i = 0; i < ARRAY_SIZE(dur_cases); i++) {
		snprintf(want, sizeof(want), "\"%s\"", dur_cases[i].want);
		EXPECT_JSON(btf, d, &dur_cases[i].ns, 8, want);
		EXPECT_JSON(btf, lat, &dur_cases[i].ns, 8, want);
		EXPECT_JSON(btf, sd, &dur_cases[i].ns, 8, want);
		sb_reset(&sb);
		fmt_duration(&sb, dur_cases[i].ns);
		assert_string_equal(sb_cstr(&sb), dur_cases[i].want);
	}
	/* wrong size: a plain number */
	d32 = btf__add_typedef(btf, "duration", t.u32);
	i = 1500;
	EXPECT_JSON(btf, d32, &i, 4, "1500");
	btf__free(btf);
}

static void test_rfc3339_ktime(void **state)
{
	static const struct {
		int64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000000Z" },
		{ -1, "1969-12-31T23:59:59.999999999Z" },
		{ 1700000000123456789LL, "2023-11-14T22:13:20.123456789Z" },
		{ 951782400000000000LL, "2000-02-29T00:00:00.000000000Z" },
		{ 951868799999999999LL, "2000-02-29T23:59:59.999999999Z" },
		{ INT64_MAX, "2262-04-11T23:47:16.854775807Z" },
		{ INT64_MIN, "1677-09-21T00:12:43.145224192Z" },
	};
	struct ids t;
	struct btf *btf = base_btf(&t);
	int kt = btf__add_typedef(btf, "ktime", t.u64);
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sb_reset(&sb);
		fmt_rfc3339(&sb, cases[i].ns);
		assert_string_equal(sb_cstr(&sb), cases[i].want);
	}
	fmt_set_ktime_offset(1700000000000000000LL);
	v = 123456789;
	EXPECT_JSON(btf, kt, &v, 8, "\"2023-11-14T22:13:20.123456789Z\"");
	/* an unsigned 64-bit count: 2^63 and more do not wrap to before 1970 (they did: 1731) */
	v = (1ULL << 63) - 1;
	EXPECT_JSON(btf, kt, &v, 8, "\"2316-02-24T22:00:36.854775807Z\"");
	v = 1ULL << 63;
	EXPECT_JSON(btf, kt, &v, 8, "\"2316-02-24T22:00:36.854775808Z\"");
	v = UINT64_MAX;
	EXPECT_JSON(btf, kt, &v, 8, "\"2608-06-04T21:47:53.709551615Z\"");
	v = 123456789;
	fmt_set_ktime_offset(0);
	EXPECT_JSON(btf, btf__add_typedef(btf, "ktime", t.u32), &v, 4, "123456789");
	btf__free(btf);
}

static void test_errno_signal(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int en = btf__add_typedef(btf, "errno_code", t.s32);
	int en64 = btf__add_typedef(btf, "errno_code", t.s64);
	int sig = btf__add_typedef(btf, "signal_num", t.s32);
	int sig8 = btf__add_typedef(btf, "signal_num", t.u8);
	int st, fake;
	int32_t v;
	int64_t v64;
	uint8_t v8;

	v = 2;
	EXPECT_JSON(btf, en, &v, 4, "\"ENOENT\"");
	v = -2;
	EXPECT_JSON(btf, en, &v, 4, "\"ENOENT\"");
	v = -EAGAIN;
	EXPECT_JSON(btf, en, &v, 4, "\"EAGAIN\"");
	v = -EOPNOTSUPP;
	EXPECT_JSON(btf, en, &v, 4, "\"EOPNOTSUPP\"");
	v = 0;
	EXPECT_JSON(btf, en, &v, 4, "0");
	v = -4095;
	EXPECT_JSON(btf, en, &v, 4, "-4095");
	v = -512;
	EXPECT_JSON(btf, en, &v, 4, "\"ERESTARTSYS\"");
	v = -524;
	EXPECT_JSON(btf, en, &v, 4, "\"ENOTSUPP\"");
	v = -520;	/* hole in the kernel table */
	EXPECT_JSON(btf, en, &v, 4, "-520");
	v = INT32_MIN;
	EXPECT_JSON(btf, en, &v, 4, "-2147483648");
	v64 = -13;
	EXPECT_JSON(btf, en64, &v64, 8, "\"EACCES\"");
	v64 = INT64_MIN;
	EXPECT_JSON(btf, en64, &v64, 8, "-9223372036854775808");
	v = 9;
	EXPECT_JSON(btf, sig, &v, 4, "\"SIGKILL\"");
	v = 15;
	EXPECT_JSON(btf, sig, &v, 4, "\"SIGTERM\"");
	v = 0;
	EXPECT_JSON(btf, sig, &v, 4, "0");
	v = 40;
	EXPECT_JSON(btf, sig, &v, 4, "40");
	v = -9;
	EXPECT_JSON(btf, sig, &v, 4, "-9");
	v8 = 17;
	EXPECT_JSON(btf, sig8, &v8, 1, "\"SIGCHLD\"");
	/* an errno_code that is not an integer renders as what it is */
	fake = btf__add_struct(btf, "not_int", 4);
	btf__add_field(btf, "x", t.u32, 0, 0);
	v = 2;
	EXPECT_JSON(btf, btf__add_typedef(btf, "errno_code", fake), &v, 4, "{\"x\":2}");
	/* in a struct, with a bitfield neighbour that stays a number */
	st = btf__add_struct(btf, "s", 8);
	btf__add_field(btf, "err", en, 0, 0);
	btf__add_field(btf, "sigbits", sig, 32, 5);
	v64 = (uint32_t)-ENOENT | (9ULL << 32);
	EXPECT_JSON(btf, st, &v64, 8, "{\"err\":\"ENOENT\",\"sigbits\":9}");
	btf__free(btf);
}

/* a struct with every special type, as solo_types.h declares them */
static void test_specials_in_struct(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint8_t rec[48] = {};
	int st;
	uint64_t d = 1500000;

	int v4 = btf__add_typedef(btf, "ipv4_addr", t.u32), v6 = ipv6_type(btf, &t);
	int dur = btf__add_typedef(btf, "duration", t.u64);
	int err = btf__add_typedef(btf, "errno_code", t.s32);
	int sig = btf__add_typedef(btf, "signal_num", t.s32);

	st = btf__add_struct(btf, "ev", 48);
	btf__add_field(btf, "v4", v4, 0, 0);
	btf__add_field(btf, "v6", v6, 32, 0);
	btf__add_field(btf, "dur", dur, 192, 0);
	btf__add_field(btf, "err", err, 256, 0);
	btf__add_field(btf, "sig", sig, 288, 0);
	btf__add_field(btf, "dbits", dur, 320, 40);
	memcpy(rec, "\x0a\x00\x00\x01", 4);
	rec[4] = 0x20; rec[5] = 0x01; rec[6] = 0x0d; rec[7] = 0xb8; rec[19] = 1;
	memcpy(rec + 24, &d, 8);
	rec[32] = 0xfe; rec[33] = 0xff; rec[34] = 0xff; rec[35] = 0xff;	/* -2 */
	rec[36] = 9;
	rec[40] = 7;
	EXPECT_JSON(btf, st, rec, sizeof(rec),
		    "{\"v4\":\"10.0.0.1\",\"v6\":\"2001:db8::1\",\"dur\":\"1.5ms\","
		    "\"err\":\"ENOENT\",\"sig\":\"SIGKILL\",\"dbits\":7}");
	btf__free(btf);
}

/* The runner's names (runner/names.c) stand-in: a few known values. */
static size_t fake_names(void *ctx, int kind, uint64_t v, char *buf, size_t size)
{
	static const struct {
		int kind;
		uint64_t v;
		const char *name;
	} known[] = {
		{ FMT_NAME_KSYM, 0xffffffff81000010ULL, "vfs_read+0x10" },
		{ FMT_NAME_IFINDEX, 1, "lo" },
		{ FMT_NAME_CGROUP, 7, "/system.slice/a \"b\"\n.service" },
		{ FMT_NAME_CGROUP, 1, "/" },
		{ FMT_NAME_USER, 0, "root" },
		{ FMT_NAME_USER, 65534, "nobody" },
	};

	(void)ctx;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i].kind == kind && known[i].v == v) {
			snprintf(buf, size, "%s", known[i].name);
			return strlen(buf);
		}
	return 0;
}

/* The special types named from the system, syscall_nr and net_port: JSON and label text of
 * each, named and unnamed, and the types that do not qualify (wrong size, not an integer). */
static void test_system_names(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int notint = btf__add_struct(btf, "eight", 8);
	const struct {
		const char *type;
		int base;
		uint64_t v;
		const char *json, *text;
	} cases[] = {
		{ "ksym", t.u64, 0xffffffff81000010ULL, "\"vfs_read+0x10\"", "vfs_read+0x10" },
		{ "ksym", t.u64, 0x1234, "\"0x1234\"", "0x1234" },
		{ "ksym", t.u32, 7, "7", "7" },				/* not 8 bytes: a number */
		{ "ksym", notint, 5, "{\"x\":5}", NULL },		/* not an integer */
		{ "syscall_nr", t.s64, 257, "\"openat\"", "openat" },
		{ "syscall_nr", t.s32, 0, "\"read\"", "read" },
		{ "syscall_nr", t.u16, 59, "\"execve\"", "execve" },
		{ "syscall_nr", t.s64, 462, "\"mseal\"", "mseal" },	/* newer than the 6.1 headers */
		{ "syscall_nr", t.s64, (uint64_t)-1, "-1", "-1" },
		{ "syscall_nr", t.s64, 100000, "100000", "100000" },
		{ "ifindex", t.u32, 1, "\"lo\"", "lo" },
		{ "ifindex", t.s32, 0, "0", "0" },
		{ "ifindex", t.u32, 99, "99", "99" },
		{ "cgroup_id", t.u64, 7, "\"/system.slice/a \\\"b\\\"\\n.service\"", "/system.slice/a \"b\"\n.service" },
		{ "cgroup_id", t.u64, 1, "\"/\"", "/" },
		{ "cgroup_id", t.u64, 8, "8", "8" },
		{ "cgroup_id", t.u32, 7, "7", "7" },			/* not 8 bytes */
		{ "user_id", t.u32, 0, "\"root\"", "root" },
		{ "user_id", t.u32, 65534, "\"nobody\"", "nobody" },
		{ "user_id", t.u32, 1000, "1000", "1000" },
		{ "net_port", t.u16, 0xbb01, "443", "443" },		/* bytes 01 bb */
		{ "net_port", t.u16, 0, "0", "0" },
		{ "net_port", t.u16, 0xffff, "65535", "65535" },
		{ "net_port", t.u32, 0xbb01, "47873", "47873" },	/* not 2 bytes: the plain number */
		{ "ifindex", t.s16, 0xffff, "-1", "-1" },		/* signed stays signed: no name */
		{ "user_id", t.s8, 0xff, "-1", "-1" },
		{ "user_id", t.s32, 0, "\"root\"", "root" },
	};

	btf__add_field(btf, "x", t.u64, 0, 0);
	fmt_set_name_resolver(fake_names, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int id = btf__add_typedef(btf, cases[i].type, cases[i].base);
		struct fmt_fields *ff = NULL;
		uint64_t v = cases[i].v;

		assert_true(id > 0);
		if (strcmp(json(btf, id, &v, 8), cases[i].json)) {
			print_error("case %zu (%s = %#llx): JSON %s, want %s\n", i, cases[i].type,
				    (unsigned long long)v, sb_cstr(&sb), cases[i].json);
			fail();
		}
		if (!cases[i].text)
			continue;
		assert_int_equal(fmt_fields_new(btf, (uint32_t)id, &ff), 0);
		assert_int_equal(ff->n, 1);
		sb_reset(&sb);
		assert_int_equal(fmt_field_text(&ff->f[0], &v, 8, &sb), 0);
		if (strcmp(sb_cstr(&sb), cases[i].text)) {
			print_error("case %zu (%s): text %s, want %s\n", i, cases[i].type, sb_cstr(&sb), cases[i].text);
			fail();
		}
		fmt_fields_free(ff);
	}
	/* without a resolver: ksym is hex, the others numbers; syscall_nr and net_port need none */
	fmt_set_name_resolver(NULL, NULL);
	{
		uint64_t v = 1;

		EXPECT_JSON(btf, btf__add_typedef(btf, "ifindex", t.u32), &v, 4, "1");
		EXPECT_JSON(btf, btf__add_typedef(btf, "user_id", t.u32), &v, 4, "1");
		v = 0xffffffff81000010ULL;
		EXPECT_JSON(btf, btf__add_typedef(btf, "ksym", t.u64), &v, 8, "\"0xffffffff81000010\"");
		v = 2;
		EXPECT_JSON(btf, btf__add_typedef(btf, "syscall_nr", t.u32), &v, 4, "\"open\"");
	}
	assert_true(fmt_uses_name(FMT_NAME_KSYM) && fmt_uses_name(FMT_NAME_CGROUP));
	btf__free(btf);
}

/* --enrich stand-ins: cgroup 7 is a container's, others are not */
static bool fake_enrich(void *ctx, uint64_t cg, struct enrich_info *out)
{
	if (cg != 7)
		return false;
	memset(out, 0, sizeof(*out));
	strcpy(out->id, "abc123");
	strcpy(out->name, "web \"1\"");
	strcpy(out->pod, "web-0");
	strcpy(out->ns, "shop");
	return true;
}

static size_t fake_enrich_json(void *ctx, uint64_t cg, char *w, size_t room)
{
	const char *s = ",\"container_id\":\"abc123\",\"container_name\":\"web \\\"1\\\"\",\"pod\":\"web-0\","
			"\"namespace\":\"shop\"";

	if (cg != 7 || strlen(s) > room)
		return 0;
	memcpy(w, s, strlen(s));
	return strlen(s);
}

/* A record with a top-level cgroup_id gains the four fields after its members (JSON: only for
 * a container's cgroup) and as fields; records without one, nested ones and plans made before
 * the enricher was set do not. */
static void test_enrich_fields(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	int cg = btf__add_typedef(btf, "cgroup_id", t.u64);
	int st = btf__add_struct(btf, "ev", 16), plain, outer;
	struct fmt_fields *ff = NULL;
	struct fmt_plan *before;
	uint64_t rec[2] = { 7, 42 };
	static const char *const want[] = { "cg", "n", "container_id", "container_name", "pod", "namespace" };
	static const char *const text[] = { "7", "42", "abc123", "web \"1\"", "web-0", "shop" };

	btf__add_field(btf, "cg", cg, 0, 0);
	btf__add_field(btf, "n", t.u64, 64, 0);
	plain = btf__add_struct(btf, "noc", 8);
	btf__add_field(btf, "n", t.u64, 0, 0);
	outer = btf__add_struct(btf, "outer", 16);
	btf__add_field(btf, "inner", st, 0, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)st, &before), 0);
	fmt_set_enricher(fake_enrich, fake_enrich_json, NULL);
	EXPECT_JSON(btf, st, rec, 16, "{\"cg\":7,\"n\":42,\"container_id\":\"abc123\",\"container_name\":"
		    "\"web \\\"1\\\"\",\"pod\":\"web-0\",\"namespace\":\"shop\"}");
	rec[0] = 8;	/* no container: nothing added */
	EXPECT_JSON(btf, st, rec, 16, "{\"cg\":8,\"n\":42}");
	rec[0] = 7;
	EXPECT_JSON(btf, plain, rec, 8, "{\"n\":7}");
	EXPECT_JSON(btf, outer, rec, 16, "{\"inner\":{\"cg\":7,\"n\":42}}");	/* not top-level */
	sb_reset(&sb);
	assert_int_equal(fmt_json(before, rec, 16, &sb), 0);	/* made before --enrich */
	assert_string_equal(sb_cstr(&sb), "{\"cg\":7,\"n\":42}");
	fmt_plan_free(before);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), 0);
	assert_int_equal(ff->n, 6);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(ff->f[i].name, want[i]);
		sb_reset(&sb);
		assert_int_equal(fmt_field_text(&ff->f[i], rec, 16, &sb), 0);
		assert_string_equal(sb_cstr(&sb), text[i]);
	}
	rec[0] = 8;	/* fields are there for every cgroup: empty for no container */
	sb_reset(&sb);
	assert_int_equal(fmt_field_text(&ff->f[2], rec, 16, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "");
	assert_int_equal(fmt_field_text(&ff->f[2], rec, 7, &sb), -EMSGSIZE);
	fmt_fields_free(ff);
	/* a scalar cgroup_id key gains the fields too */
	assert_int_equal(fmt_fields_new(btf, (uint32_t)cg, &ff), 0);
	assert_int_equal(ff->n, 5);
	assert_string_equal(ff->f[0].name, "key");
	fmt_fields_free(ff);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)plain, &ff), 0);
	assert_int_equal(ff->n, 1);
	fmt_fields_free(ff);
	/* a cgroup_id in an anonymous member is the record's own; a member named pod keeps its
	 * name and the added field becomes pod_ (as the label does) */
	{
		int anon = btf__add_struct(btf, NULL, 8), withpod, podarr;
		uint64_t r2[3] = { 7, 0, 0 };

		btf__add_field(btf, "cg", cg, 0, 0);
		podarr = btf__add_array(btf, t.u32, t.chr, 8);
		withpod = btf__add_struct(btf, "ev2", 24);
		btf__add_field(btf, "", anon, 0, 0);
		btf__add_field(btf, "pod", podarr, 64, 0);
		btf__add_field(btf, "n", t.u64, 128, 0);
		memcpy(&r2[1], "mine", 5);
		EXPECT_JSON(btf, withpod, r2, 24, "{\"cg\":7,\"pod\":\"mine\",\"n\":0,\"container_id\":\"abc123\","
			    "\"container_name\":\"web \\\"1\\\"\",\"pod_\":\"web-0\",\"namespace\":\"shop\"}");
		assert_int_equal(fmt_fields_new(btf, (uint32_t)withpod, &ff), 0);
		assert_int_equal(ff->n, 7);
		assert_string_equal(ff->f[3].name, "container_id");
		fmt_fields_free(ff);
	}
	fmt_set_enricher(NULL, NULL, NULL);
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */

static void test_lengths(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	struct fmt_plan *p;
	uint8_t rec[8] = { 1 };
	int empty, st;

	empty = btf__add_struct(btf, "empty", 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)empty, &p), 0);
	assert_int_equal(fmt_plan_size(p), 0);
	sb_reset(&sb);
	assert_int_equal(fmt_json(p, NULL, 0, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "{}");
	fmt_plan_free(p);

	st = btf__add_struct(btf, "s", 8);
	btf__add_field(btf, "a", t.u32, 0, 0);
	btf__add_field(btf, "b", t.u32, 32, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)st, &p), 0);
	assert_int_equal(fmt_plan_size(p), 8);
	sb_reset(&sb);
	sb_puts(&sb, "prefix");
	assert_int_equal(fmt_json(p, rec, 7, &sb), -EMSGSIZE);
	assert_int_equal(fmt_json(p, rec, 0, &sb), -EMSGSIZE);
	assert_int_equal(fmt_json(p, NULL, 0, &sb), -EMSGSIZE);
	assert_string_equal(sb_cstr(&sb), "prefix");
	/* longer records are fine: the tail is ignored */
	assert_int_equal(fmt_json(p, rec, sizeof(rec), &sb), 0);
	assert_string_equal(sb_cstr(&sb), "prefix{\"a\":1,\"b\":0}");
	fmt_plan_free(p);
	btf__free(btf);
}

static void test_unsupported(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	struct fmt_plan *p = (void *)1;
	int fwd, proto, func, bad, loop1, self, deep, f128, big, fwdm, i, var;

	fwd = btf__add_fwd(btf, "later", BTF_FWD_STRUCT);
	proto = btf__add_func_proto(btf, t.s32);
	func = btf__add_func(btf, "f", BTF_FUNC_GLOBAL, proto);
	f128 = btf__add_float(btf, "long double", 16);
	var = btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, t.u32);
	assert_int_equal(fmt_plan_new(btf, 0, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)fwd, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)proto, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)func, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)f128, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)var, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(btf, 100000, &p), -EINVAL);
	assert_int_equal(fmt_plan_new(NULL, 1, &p), -EINVAL);

	/* a struct holding a FWD struct by value */
	fwdm = btf__add_struct(btf, "hasfwd", 8);
	btf__add_field(btf, "f", fwd, 0, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)fwdm, &p), -EINVAL);
	/* a pointer to a FWD struct is fine */
	i = btf__add_ptr(btf, fwd);
	bad = btf__add_struct(btf, "ptrfwd", 8);
	btf__add_field(btf, "f", i, 0, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)bad, &p), 0);
	fmt_plan_free(p);

	/* typedef loop: a -> b -> a */
	loop1 = btf__add_typedef(btf, "a", btf__type_cnt(btf) + 1);
	btf__add_typedef(btf, "b", loop1);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)loop1, &p), -EINVAL);
	/* a struct containing itself */
	self = btf__add_struct(btf, "self", 4);
	btf__add_field(btf, "me", self, 0, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)self, &p), -EINVAL);
	/* a member outside its parent */
	bad = btf__add_struct(btf, "outside", 4);
	btf__add_field(btf, "x", t.u32, 32, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)bad, &p), -EINVAL);
	big = arr(btf, &t, t.u64, 1u << 30);
	bad = btf__add_struct(btf, "bigarr", 8);
	btf__add_field(btf, "x", big, 0, 0);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)bad, &p), -EINVAL);
	/* an array whose JSON could exceed 1 GiB */
	big = arr(btf, &t, t.u64, 1u << 27);
	assert_int_equal(fmt_plan_new(btf, (uint32_t)big, &p), -E2BIG);
	/* nesting: 20 levels are fine, 40 are refused */
	deep = t.u32;
	for (i = 0; i < 40; i++) {
		int s = btf__add_struct(btf, NULL, 4);

		btf__add_field(btf, "n", deep, 0, 0);
		deep = s;
		if (i == 19) {
			assert_int_equal(fmt_plan_new(btf, (uint32_t)deep, &p), 0);
			fmt_plan_free(p);
		}
	}
	assert_int_equal(fmt_plan_new(btf, (uint32_t)deep, &p), -EINVAL);
	btf__free(btf);
}

/* arrays of arrays of arrays, big enough to exercise the loop stack */
static void test_nested_loops(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	uint8_t v[2 * 2 * 3] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	int a3 = arr(btf, &t, arr(btf, &t, arr(btf, &t, t.u8, 3), 2), 2);
	int big = arr(btf, &t, t.u32, 1000);
	uint32_t *bv = calloc(1000, 4);
	struct fmt_plan *p;

	EXPECT_JSON(btf, a3, v, sizeof(v), "[[[1,2,3],[4,5,6]],[[7,8,9],[10,11,12]]]");
	bv[999] = 7;
	assert_int_equal(fmt_plan_new(btf, (uint32_t)big, &p), 0);
	sb_reset(&sb);
	assert_int_equal(fmt_json(p, bv, 4000, &sb), 0);
	assert_int_equal(sb.len, 1 + 1000 * 2);
	assert_memory_equal(sb.buf + sb.len - 3, ",7]", 3);
	fmt_plan_free(p);
	free(bv);
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */
/* flattened fields                                                       */

static void test_fields(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	struct fmt_fields *ff;
	uint8_t rec[96] = {};
	int inner, anon, color, st, hid, i, comm, a3, dur, v6;
	uint64_t u;
	double d;
	static const struct {
		const char *name, *member;
		bool hidden;
		enum fmt_field_kind kind;
		uint32_t bit_off, bit_size, byte_size;
		const char *text;
	} want[] = {
		{ "pid", "pid", false, FMT_F_INT, 0, 0, 4, "42" },
		{ "in_a", "a", false, FMT_F_INT, 32, 0, 2, "1" },
		{ "in_b", "b", false, FMT_F_INT, 48, 0, 2, "-2" },
		{ "x", "x", false, FMT_F_INT, 64, 0, 4, "5" },
		{ "y", "y", false, FMT_F_INT, 64, 0, 1, "5" },
		{ "comm", "comm", false, FMT_F_STR, 96, 0, 8, "ba\\xffsh\n" },
		{ "arr", "arr", false, FMT_F_OTHER, 160, 0, 12, "[1,2,3]" },
		{ "__ts", "__ts", true, FMT_F_INT, 256, 0, 8, "99" },
		{ "__hid_a", "a", true, FMT_F_INT, 320, 0, 2, "0" },
		{ "__hid_b", "b", true, FMT_F_INT, 336, 0, 2, "0" },
		{ "bf", "bf", false, FMT_F_INT, 352, 4, 4, "-3" },
		{ "d", "d", false, FMT_F_INT, 384, 0, 8, "1.5ms" },
		{ "v6", "v6", false, FMT_F_OTHER, 448, 0, 16, "::1" },
		{ "c", "c", false, FMT_F_INT, 576, 0, 4, "BLUE" },
		{ "f", "f", false, FMT_F_FLOAT, 608, 0, 4, "0.25" },
		{ "u", "u", false, FMT_F_OTHER, 640, 0, 4, "{\"lo\":7,\"all\":7}" },
		{ "ok", "ok", false, FMT_F_INT, 672, 0, 1, "true" },
		{ "nan", "nan", false, FMT_F_FLOAT, 704, 0, 8, "NaN" },
	};

	inner = btf__add_struct(btf, "inner", 4);
	btf__add_field(btf, "a", t.u16, 0, 0);
	btf__add_field(btf, "b", t.s16, 16, 0);
	anon = btf__add_union(btf, NULL, 4);
	btf__add_field(btf, "x", t.u32, 0, 0);
	btf__add_field(btf, "y", t.u8, 0, 0);
	color = btf__add_enum(btf, "color", 4);
	btf__add_enum_value(btf, "BLUE", 42);
	hid = btf__add_union(btf, "lohi", 4);
	btf__add_field(btf, "lo", t.u16, 0, 0);
	btf__add_field(btf, "all", t.u32, 0, 0);
	comm = arr(btf, &t, t.chr, 8);
	a3 = arr(btf, &t, t.u32, 3);
	dur = btf__add_typedef(btf, "duration", t.u64);
	v6 = ipv6_type(btf, &t);
	st = btf__add_struct(btf, "key", 96);
	btf__add_field(btf, "pid", t.u32, 0, 0);
	btf__add_field(btf, "in", inner, 32, 0);
	btf__add_field(btf, NULL, anon, 64, 0);
	btf__add_field(btf, "comm", comm, 96, 0);
	btf__add_field(btf, "arr", a3, 160, 0);
	btf__add_field(btf, "__ts", t.u64, 256, 0);
	btf__add_field(btf, "__hid", inner, 320, 0);
	btf__add_field(btf, "bf", t.s32, 352, 4);
	btf__add_field(btf, "d", dur, 384, 0);
	btf__add_field(btf, "v6", v6, 448, 0);
	btf__add_field(btf, "c", color, 576, 0);
	btf__add_field(btf, "f", t.f32, 608, 0);
	btf__add_field(btf, "u", hid, 640, 0);
	btf__add_field(btf, "ok", t.boolean, 672, 0);
	btf__add_field(btf, "nan", t.f64, 704, 0);

	rec[0] = 42;
	rec[4] = 1;
	rec[6] = 0xfe; rec[7] = 0xff;
	rec[8] = 5;
	memcpy(rec + 12, "ba\xffsh\n\0\0", 8);
	rec[20] = 1; rec[24] = 2; rec[28] = 3;
	rec[32] = 99;
	rec[44] = 0xd;		/* -3 in 4 bits */
	u = 1500000;
	memcpy(rec + 48, &u, 8);
	rec[56 + 15] = 1;
	rec[72] = 42;
	{
		float f = 0.25f;
		double n = NAN;

		memcpy(rec + 76, &f, 4);
		memcpy(rec + 88, &n, 8);
	}
	rec[80] = 7;
	rec[84] = 1;

	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), 0);
	assert_int_equal(ff->n, (int)ARRAY_SIZE(want));
	for (i = 0; i < ff->n; i++) {
		const struct fmt_field *f = &ff->f[i];

		assert_string_equal(f->name, want[i].name);
		assert_string_equal(f->member, want[i].member);
		assert_int_equal(f->hidden, want[i].hidden);
		assert_int_equal(f->kind, want[i].kind);
		assert_int_equal(f->bit_off, want[i].bit_off);
		assert_int_equal(f->bit_size, want[i].bit_size);
		assert_int_equal(f->byte_size, want[i].byte_size);
		sb_reset(&sb);
		assert_int_equal(fmt_field_text(f, rec, sizeof(rec), &sb), 0);
		assert_string_equal(sb_cstr(&sb), want[i].text);
		/* short record */
		sb_reset(&sb);
		assert_int_equal(fmt_field_text(f, rec, f->bit_off / 8, &sb), -EMSGSIZE);
		assert_int_equal(sb.len, 0);
	}
	/* the field plan renders JSON too, reading the whole record */
	sb_reset(&sb);
	assert_int_equal(fmt_json(ff->f[5].plan, rec, sizeof(rec), &sb), 0);
	assert_string_equal(sb_cstr(&sb), "\"ba\\\\xffsh\\n\"");
	assert_int_equal(fmt_plan_size(ff->f[5].plan), 20);

	/* numbers */
	assert_int_equal(fmt_field_num(&ff->f[0], rec, sizeof(rec), &u, &d), 0);
	assert_int_equal(u, 42);
	assert_true(d == 42.0);
	assert_int_equal(fmt_field_num(&ff->f[2], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == (uint64_t)-2 && d == -2.0);
	assert_true(ff->f[2].is_signed);
	assert_int_equal(fmt_field_num(&ff->f[10], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == (uint64_t)-3 && d == -3.0);
	assert_true(ff->f[11].is_duration && ff->f[11].is_signed);
	assert_int_equal(fmt_field_num(&ff->f[11], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == 1500000 && d == 0.0015);
	assert_int_equal(fmt_field_num(&ff->f[13], rec, sizeof(rec), &u, NULL), 0);
	assert_int_equal(u, 42);
	assert_int_equal(fmt_field_num(&ff->f[14], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == 0 && d == 0.25);
	assert_int_equal(fmt_field_num(&ff->f[16], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == 1 && d == 1.0);
	assert_int_equal(fmt_field_num(&ff->f[17], rec, sizeof(rec), &u, &d), 0);
	assert_true(u == 0 && isnan(d));
	assert_int_equal(fmt_field_num(&ff->f[5], rec, sizeof(rec), &u, &d), -EINVAL);
	assert_int_equal(fmt_field_num(&ff->f[12], rec, sizeof(rec), &u, &d), -EINVAL);
	assert_int_equal(fmt_field_num(&ff->f[0], rec, 3, &u, &d), -EMSGSIZE);
	fmt_fields_free(ff);

	/* a scalar type: one field "key" */
	assert_int_equal(fmt_fields_new(btf, (uint32_t)t.u64, &ff), 0);
	assert_int_equal(ff->n, 1);
	assert_string_equal(ff->f[0].name, "key");
	assert_string_equal(ff->f[0].member, "");
	assert_int_equal(ff->f[0].kind, FMT_F_INT);
	u = UINT64_MAX;
	sb_reset(&sb);
	assert_int_equal(fmt_field_text(&ff->f[0], &u, 8, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "18446744073709551615");
	fmt_fields_free(ff);

	/* a top-level special or union is also one "key" */
	assert_int_equal(fmt_fields_new(btf, (uint32_t)ipv6_type(btf, &t), &ff), 0);
	assert_int_equal(ff->n, 1);
	assert_int_equal(ff->f[0].kind, FMT_F_OTHER);
	fmt_fields_free(ff);

	/* bitfields keep their bit_size even when they load as plain bytes */
	st = btf__add_struct(btf, "bits", 4);
	btf__add_field(btf, "lo", t.u32, 0, 8);
	btf__add_field(btf, "hi", t.s32, 8, 24);
	assert_int_equal(fmt_fields_new(btf, (uint32_t)st, &ff), 0);
	assert_int_equal(ff->n, 2);
	assert_int_equal(ff->f[0].bit_size, 8);
	assert_int_equal(ff->f[1].bit_size, 24);
	assert_int_equal(ff->f[1].byte_size, 4);
	memcpy(rec, "\x07\xff\xff\xff", 4);
	sb_reset(&sb);
	assert_int_equal(fmt_field_text(&ff->f[0], rec, 4, &sb), 0);
	assert_int_equal(fmt_field_text(&ff->f[1], rec, 4, &sb), 0);
	assert_string_equal(sb_cstr(&sb), "7-1");
	fmt_fields_free(ff);

	/* unsupported types fail here too */
	assert_int_equal(fmt_fields_new(btf, (uint32_t)btf__add_fwd(btf, "x", BTF_FWD_STRUCT), &ff), -EINVAL);
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */
/* per-CPU sums                                                           */

static void test_percpu(void **state)
{
	struct ids t;
	struct btf *btf = base_btf(&t);
	struct fmt_plan *p;
	uint8_t cpus[3][56];
	struct strbuf sb = {};
	int st, bad, u16x2, pad, dur;
	size_t stride = 56;
	int16_t s16;
	uint64_t u64;
	double dbl;
	float flt;
	int i;

	u16x2 = arr(btf, &t, t.u16, 2);
	pad = arr(btf, &t, t.chr, 4);
	dur = btf__add_typedef(btf, "duration", t.u64);
	st = btf__add_struct(btf, "v", 48);
	btf__add_field(btf, "a", t.u8, 0, 0);		/* @0 */
	btf__add_field(btf, "b", t.s16, 16, 0);		/* @2 */
	btf__add_field(btf, "c", t.u32, 32, 5);		/* bits 32..36 */
	btf__add_field(btf, "c2", t.u32, 37, 3);	/* its neighbour */
	btf__add_field(btf, "d", t.u64, 64, 0);		/* @8 */
	btf__add_field(btf, "e", t.f64, 128, 0);	/* @16 */
	btf__add_field(btf, "f", t.f32, 192, 0);	/* @24 */
	btf__add_field(btf, "arr", u16x2, 224, 0);	/* @28 */
	btf__add_field(btf, "__cnt", t.u32, 256, 0);	/* @32: hidden but summed */
	btf__add_field(btf, "__pad", pad, 288, 0);	/* @36: zeroed */
	btf__add_field(btf, "dur", dur, 320, 0);	/* @40 */
	assert_int_equal(fmt_plan_new(btf, (uint32_t)st, &p), 0);
	assert_true(fmt_plan_all_numeric(p));

	memset(cpus, 0x5a, sizeof(cpus));	/* padding garbage must not leak */
	for (i = 0; i < 3; i++) {
		uint8_t *c = cpus[i];
		uint16_t a16[2] = { (uint16_t)(60000 + i), (uint16_t)i };
		uint32_t cnt = 0xffffffffu;

		c[0] = (uint8_t)(i == 0 ? 200 : i == 1 ? 100 : 10);
		s16 = i == 2 ? 1 : -30000;
		memcpy(c + 2, &s16, 2);
		set_bits(c, 32, 5, i == 0 ? 31 : i == 1 ? 1 : 0);
		set_bits(c, 37, 3, 3);
		u64 = i == 0 ? UINT64_MAX : 1;
		memcpy(c + 8, &u64, 8);
		dbl = i == 0 ? 0.5 : i == 1 ? 0.25 : 1;
		memcpy(c + 16, &dbl, 8);
		flt = 0.1f;
		memcpy(c + 24, &flt, 4);
		memcpy(c + 28, a16, 4);
		memcpy(c + 32, &cnt, 4);
		u64 = 1000;
		memcpy(c + 40, &u64, 8);
	}
	/* exact sums whatever the width: no wrap-around in the member's type */
	sb_reset(&sb);
	assert_int_equal(fmt_json_percpu(p, cpus, stride, 3, &sb), 0);
	assert_string_equal(sb_cstr(&sb),
			    "{\"a\":310,\"b\":-59999,\"c\":32,\"c2\":9,\"d\":18446744073709551617,\"e\":1.75,"
			    "\"f\":0.3,\"arr\":[180003,3],\"dur\":\"3µs\"}");
	assert_int_equal(fmt_json_percpu(p, cpus, 40, 3, &sb), -EINVAL);	/* stride < size */
	assert_int_equal(fmt_json_percpu(p, cpus, stride, 0, &sb), -EINVAL);
	fmt_plan_free(p);

	/* not summable: bool, enum, pointer, string, union, special */
	{
		int kinds[6], k;
		int en, un;

		en = btf__add_enum(btf, "e", 4);
		btf__add_enum_value(btf, "X", 1);
		un = btf__add_union(btf, "u", 4);
		btf__add_field(btf, "a", t.u32, 0, 0);
		kinds[0] = t.boolean;
		kinds[1] = en;
		kinds[2] = btf__add_ptr(btf, t.u32);
		kinds[3] = arr(btf, &t, t.chr, 4);
		kinds[4] = un;
		kinds[5] = btf__add_typedef(btf, "ipv4_addr", t.u32);
		for (k = 0; k < 6; k++) {
			bad = btf__add_struct(btf, NULL, 16);
			btf__add_field(btf, "n", t.u32, 0, 0);
			btf__add_field(btf, "x", kinds[k], 64, 0);
			assert_int_equal(fmt_plan_new(btf, (uint32_t)bad, &p), 0);
			assert_false(fmt_plan_all_numeric(p));
			assert_int_equal(fmt_json_percpu(p, cpus, stride, 3, &sb), -EINVAL);
			fmt_plan_free(p);
		}
	}
	/* a scalar u64: the common per-CPU counter */
	assert_int_equal(fmt_plan_new(btf, (uint32_t)t.u64, &p), 0);
	{
		uint64_t v[4] = { 1, 2, 3, UINT64_MAX };

		sb_reset(&sb);
		assert_int_equal(fmt_json_percpu(p, v, 8, 4, &sb), 0);
		assert_string_equal(sb_cstr(&sb), "18446744073709551621");
	}
	fmt_plan_free(p);
	sb_free(&sb);
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */
/* the clang-built fixture (tests/bpf/ev_shapes.bpf.c)                    */

static int member_off(const struct btf *btf, const struct btf_type *st, const char *name)
{
	const struct btf_member *m = btf_members(st);
	int i;

	for (i = 0; i < btf_vlen(st); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return (int)(btf_member_bit_offset(st, (uint32_t)i) / 8);
	fail_msg("no member %s", name);
	return -1;
}

static void test_fixture_shapes(void **state)
{
	const char *dir = getenv("EBPFCTL_TEST_BPF");
	char path[512];
	struct btf *btf;
	const struct btf_type *st;
	uint8_t rec[512] = {};
	int id;
	uint64_t u64;
	uint32_t u32;

	if (!dir) {
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/ev_shapes.bpf.o", dir);
	btf = btf__parse_elf(path, NULL);
	if (!btf) {
		fprintf(stderr, "skip: %s not built\n", path);
		skip();
		return;
	}
	id = btf__find_by_name_kind(btf, "event", BTF_KIND_STRUCT);
	assert_true(id > 0);
	st = btf__type_by_id(btf, (uint32_t)id);
	assert_true(st->size <= sizeof(rec));
#define PUT(name, v) do { __typeof__(v) _v = (v); memcpy(rec + member_off(btf, st, name), &_v, sizeof(_v)); } while (0)
	PUT("u8v", (uint8_t)255);
	PUT("s8v", (int8_t)-128);
	PUT("u16v", (uint16_t)65535);
	PUT("s16v", (int16_t)-32768);
	PUT("u32v", (uint32_t)4294967295u);
	PUT("s32v", (int32_t)INT32_MIN);
	PUT("u64v", (uint64_t)UINT64_MAX);
	PUT("s64v", (int64_t)INT64_MIN);
	memcpy(rec + member_off(btf, st, "comm"), "quote\"back\\\n", 13);
	memcpy(rec + member_off(btf, st, "bad"), "a\xff\xc3" "b", 4);
	memcpy(rec + member_off(btf, st, "full"), "abcd", 4);
	PUT("color", (uint32_t)42);
	PUT("color_unknown", (uint32_t)7);
	PUT("neg", (int32_t)-5);
	PUT("dbl", 1.5);
	PUT("flt", 0.25f);
	PUT("ptr", (uint64_t)0xffff888012345678ULL);
	memcpy(rec + member_off(btf, st, "v4"), "\x7f\0\0\x01", 4);
	memcpy(rec + member_off(btf, st, "v6"), "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	u64 = 1500000;
	PUT("dur", u64);
	u32 = 99;
	PUT("__secret", u32);
	PUT("pid", (uint32_t)1234);
	PUT("flag", (uint8_t)1);
	/* bitfields: bf_neg:5 = -3, bf_pos:3 = 5, bf_wide:20 = 1000000 */
	{
		const struct btf_member *m = btf_members(st);
		int i;

		for (i = 0; i < btf_vlen(st); i++, m++) {
			const char *n = btf__name_by_offset(btf, m->name_off);
			uint32_t off = btf_member_bit_offset(st, (uint32_t)i);
			uint32_t sz = btf_member_bitfield_size(st, (uint32_t)i);

			if (!strcmp(n, "bf_neg"))
				set_bits(rec, off, sz, (uint64_t)-3);
			else if (!strcmp(n, "bf_pos"))
				set_bits(rec, off, sz, 5);
			else if (!strcmp(n, "bf_wide"))
				set_bits(rec, off, sz, 1000000);
		}
	}
	rec[member_off(btf, st, "in")] = 7;
	PUT("un", (uint32_t)0x04030201);
	{
		uint32_t a3[3] = { 1, 2, 3 };

		memcpy(rec + member_off(btf, st, "arr"), a3, 12);
		memcpy(rec + member_off(btf, st, "raw"), "\xde\xad\xbe\xef", 4);
		memcpy(rec + member_off(btf, st, "in") + 2, "\xf9\xff", 2);
	}
	EXPECT_JSON(btf, id, rec, st->size,
		    "{\"u8v\":255,\"s8v\":-128,\"u16v\":65535,\"s16v\":-32768,\"u32v\":4294967295,"
		    "\"s32v\":-2147483648,\"u64v\":18446744073709551615,\"s64v\":-9223372036854775808,"
		    "\"bf_neg\":-3,\"bf_pos\":5,\"bf_wide\":1000000,\"flag\":true,"
		    "\"comm\":\"quote\\\"back\\\\\\n\",\"bad\":\"a\\\\xff\\\\xc3b\",\"full\":\"abcd\","
		    "\"in\":{\"a\":7,\"b\":-7},\"un\":{\"word\":67305985,\"bytes\":[1,2,3,4]},"
		    "\"color\":\"BLUE\",\"color_unknown\":7,\"neg\":\"MINUS\",\"arr\":[1,2,3],"
		    "\"raw\":[222,173,190,239],\"dbl\":1.5,\"flt\":0.25,\"ptr\":\"0xffff888012345678\","
		    "\"v4\":\"127.0.0.1\",\"v6\":\"2001:db8::1\",\"dur\":\"1.5ms\",\"pid\":1234}");
#undef PUT
	btf__free(btf);
}

/* ---------------------------------------------------------------------- */
/* malformed BTF: random types with forward, looping and out-of-range      */
/* references; every plan that compiles renders from an exactly-sized heap */
/* buffer, so ASan/valgrind see any over-read                              */

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return n ? (uint32_t)(rnd_state % n) : 0;
}

static void random_types(struct btf *btf, int n)
{
	static const char *const names[] = {
		"ipv4_addr", "ipv6_addr", "duration", "ktime", "errno_code", "signal_num",
		"ksym", "syscall_nr", "ifindex", "cgroup_id", "user_id", "net_port",
		"char", "signed char", "x", "__y", "",
	};
	static const size_t isz[] = { 1, 2, 4, 8, 16 };
	int i, k;

	for (i = 0; i < n; i++) {
		int ref = (int)rnd((uint32_t)n + 4);	/* often forward, sometimes void */
		const char *nm = names[rnd(ARRAY_SIZE(names))];

		switch (rnd(12)) {
		case 0:
			btf__add_int(btf, *nm ? nm : "i", isz[rnd(5)],
				     (int[]){ 0, BTF_INT_SIGNED, BTF_INT_BOOL, BTF_INT_CHAR }[rnd(4)]);
			break;
		case 1:
			btf__add_float(btf, "f", (size_t[]){ 2, 4, 8, 12, 16 }[rnd(5)]);
			break;
		case 2:
			btf__add_ptr(btf, ref);
			break;
		case 3:
			btf__add_array(btf, 1, ref, rnd(6));
			break;
		case 4:
		case 5: {
			int u = rnd(2), nf = (int)rnd(5);

			if (u)
				btf__add_union(btf, rnd(2) ? nm : NULL, rnd(40));
			else
				btf__add_struct(btf, rnd(2) ? nm : NULL, rnd(40));
			for (k = 0; k < nf; k++)
				btf__add_field(btf, rnd(3) ? names[rnd(ARRAY_SIZE(names))] : NULL,
					       (int)rnd((uint32_t)n + 4), u ? 0 : rnd(320),
					       rnd(3) ? 0 : rnd(70));
			break;
		}
		case 6: {
			size_t sz = (size_t[]){ 1, 2, 4, 8 }[rnd(4)];

			btf__add_enum(btf, "e", (uint32_t)sz);
			for (k = 0; k < (int)rnd(4); k++)
				btf__add_enum_value(btf, k ? "B" : "A", (int64_t)rnd(7) - 3);
			break;
		}
		case 7:
			btf__add_enum64(btf, "e64", 8, rnd(2));
			btf__add_enum64_value(btf, "Z", (uint64_t)rnd(5) - 2);
			break;
		case 8:
		case 9:
			btf__add_typedef(btf, nm[0] ? nm : "t", ref);
			break;
		case 10:
			btf__add_const(btf, ref);
			break;
		default:
			if (rnd(2))
				btf__add_fwd(btf, "fw", BTF_FWD_STRUCT);
			else
				btf__add_func_proto(btf, ref);
			break;
		}
	}
}

static void test_random_btf(void **state)
{
	/* BTF_FMT_FUZZ_ROUNDS / BTF_FMT_FUZZ_SEED run it longer by hand */
	const char *env_rounds = getenv("BTF_FMT_FUZZ_ROUNDS"), *env_seed = getenv("BTF_FMT_FUZZ_SEED");
	int round, rounds = env_rounds ? atoi(env_rounds) : 3000, compiled = 0;

	if (env_seed)
		rnd_state = strtoull(env_seed, NULL, 0) | 1;
	for (round = 0; round < rounds; round++) {
		struct btf *btf = btf__new_empty();
		uint32_t id, cnt;

		btf__add_int(btf, "unsigned int", 4, 0);	/* id 1: the array index type */
		random_types(btf, 4 + (int)rnd(12));
		cnt = btf__type_cnt(btf);
		for (id = 0; id < cnt + 2; id++) {
			struct fmt_plan *p;
			struct fmt_fields *ff;
			uint8_t *rec;
			size_t size, i;
			int err = fmt_plan_new(btf, id, &p), f;

			if (err) {
				assert_true(err == -EINVAL || err == -E2BIG);
				continue;
			}
			compiled++;
			size = fmt_plan_size(p);
			rec = malloc(size ? size : 1);
			for (i = 0; i < size; i++)
				rec[i] = (uint8_t)rnd(256);
			sb_reset(&sb);
			assert_int_equal(fmt_json(p, rec, size, &sb), 0);
			if (size) {
				size_t before = sb.len;

				assert_int_equal(fmt_json(p, rec, size - 1, &sb), -EMSGSIZE);
				assert_int_equal(sb.len, before);
			}
			if (fmt_plan_all_numeric(p)) {
				uint8_t *two = malloc(size ? 2 * size : 1);

				memcpy(two, rec, size);
				memcpy(two + size, rec, size);
				sb_reset(&sb);
				assert_int_equal(fmt_json_percpu(p, two, size, 2, &sb), 0);
				free(two);
			}
			fmt_plan_free(p);
			if (!fmt_fields_new(btf, id, &ff)) {
				for (f = 0; f < ff->n; f++) {
					uint64_t u;
					double d;

					sb_reset(&sb);
					assert_int_equal(fmt_field_text(&ff->f[f], rec, size, &sb), 0);
					assert_int_equal(fmt_json(ff->f[f].plan, rec, size, &sb), 0);
					err = fmt_field_num(&ff->f[f], rec, size, &u, &d);
					assert_true(err == 0 || err == -EINVAL);
				}
				fmt_fields_free(ff);
			}
			free(rec);
		}
		btf__free(btf);
	}
	assert_true(compiled > rounds / 3);
}

static int teardown(void **state)
{
	sb_free(&sb);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_integer_lengths),
		cmocka_unit_test(test_bitfields),
		cmocka_unit_test(test_int_encoding_bitfield),
		cmocka_unit_test(test_bool_char_scalars),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_float_shortest_bruteforce),
		cmocka_unit_test(test_fmt_double_text),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_no_overread),
		cmocka_unit_test(test_char_kinds),
		cmocka_unit_test(test_text_str),
		cmocka_unit_test(test_structs_unions_arrays),
		cmocka_unit_test(test_hidden_members),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_stack_id),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_rfc3339_ktime),
		cmocka_unit_test(test_errno_signal),
		cmocka_unit_test(test_specials_in_struct),
		cmocka_unit_test(test_system_names),
		cmocka_unit_test(test_enrich_fields),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_nested_loops),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_percpu),
		cmocka_unit_test(test_fixture_shapes),
		cmocka_unit_test(test_random_btf),
	};

	return cmocka_run_group_tests_name("btf_fmt", tests, NULL, teardown);
}
