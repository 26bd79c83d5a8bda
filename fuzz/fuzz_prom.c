// SPDX-License-Identifier: MIT
/* The exposition-format helpers (runner/prom.c) and the string writers of
 * the value formatter (runner/btf_fmt.c): label-value and HELP escaping,
 * family and label names, the promlint rules, sample-value text, bucket
 * math; fmt_json_str / fmt_text_str, fmt_double, fmt_rfc3339.
 *
 * Input: [u8 flags] then length-prefixed pieces ([u8 len][bytes]): a label
 * value, a namespace, a map, a member, up to 4 label names; the rest is
 * numbers.  Each escaper is checked against an independent reference:
 *  - a label value, unescaped as a scraper would (\\ \" \n), is the input
 *    with each invalid UTF-8 byte and each NUL as the text \xHH; the escaped
 *    text is valid UTF-8 with no raw newline, NUL or unescaped quote;
 *  - fmt_json_str's JSON string, decoded by cJSON, is the input up to its
 *    first NUL with invalid bytes as \xHH (= fmt_text_str's text);
 *  - HELP text unescapes to the input;
 *  - family and label names are always valid names;
 *  - numbers read back (strtod) as the same double, integers exactly. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <cjson/cJSON.h>
#include "btf_fmt.h"
#include "prom.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	return 0;
}

/* Input bytes -> the text a label value holds: valid UTF-8 as is, other
 * bytes (and NUL when nul_hex, else stop) as \xHH. */
static void reference_text(struct strbuf *sb, const uint8_t *s, size_t n, bool nul_hex)
{
	for (size_t i = 0; i < n;) {
		int k = prom_utf8_len(s + i, n - i);

		if (!s[i] && !nul_hex)
			break;
		if (!s[i] || !k) {
			sb_printf(sb, "\\x%02x", s[i]);
			i++;
		} else {
			sb_add(sb, s + i, (size_t)k);
			i += (size_t)k;
		}
	}
}

static void check_label_value(const uint8_t *s, size_t n)
{
	struct strbuf esc = {}, un = {}, ref = {};

	prom_label_escape(&esc, (const char *)s, n);
	FZ_CHECK(!esc.err, "out of memory");
	FZ_CHECK(fz_valid_utf8(esc.buf, esc.len), "escaped label value is not UTF-8");
	for (size_t i = 0; i < esc.len; i++) {
		char c = esc.buf[i];

		FZ_CHECK(c != '\n' && c != '\0' && c != '"', "raw 0x%02x at %zu in the escaped value", c, i);
		if (c == '\\') {
			FZ_CHECK(i + 1 < esc.len, "escaped value ends in a backslash");
			c = esc.buf[++i];
			FZ_CHECK(c == '\\' || c == '"' || c == 'n', "escape \\%c", c);
			c = c == 'n' ? '\n' : c;
		}
		sb_putc(&un, c);
	}
	reference_text(&ref, s, n, true);
	FZ_CHECK(un.len == ref.len && (!un.len || !memcmp(un.buf, ref.buf, un.len)), "label value unescapes to '%.*s', not '%.*s'",
		 (int)un.len, un.buf, (int)ref.len, ref.buf);
	sb_free(&esc);
	sb_free(&un);
	sb_free(&ref);
}

static void check_json_str(const uint8_t *s, size_t n)
{
	struct strbuf js = {}, txt = {}, ref = {};
	cJSON *v;

	sb_putc(&js, '"');
	fmt_json_str(&js, (const char *)s, n);
	sb_putc(&js, '"');
	FZ_CHECK(!js.err, "out of memory");
	FZ_CHECK(fz_valid_utf8(js.buf, js.len), "JSON string is not UTF-8");
	v = cJSON_ParseWithLength(js.buf, js.len);
	FZ_CHECK(v && cJSON_IsString(v), "not a JSON string: %.*s", (int)js.len, js.buf);
	reference_text(&ref, s, n, false);
	sb_cstr(&ref);
	FZ_CHECK(!strcmp(v->valuestring, ref.buf ? ref.buf : ""), "JSON string decodes to '%s', not '%s'",
		 v->valuestring, ref.buf ? ref.buf : "");
	cJSON_Delete(v);
	fmt_text_str(&txt, (const char *)s, n);
	FZ_CHECK(txt.len == ref.len && (!txt.len || !memcmp(txt.buf, ref.buf, txt.len)),
		 "fmt_text_str gives '%.*s', not '%.*s'", (int)txt.len, txt.buf, (int)ref.len, ref.buf);
	sb_free(&js);
	sb_free(&txt);
	sb_free(&ref);
}

static void check_help(const char *s)
{
	struct strbuf esc = {}, un = {};

	prom_help_escape(&esc, s);
	for (size_t i = 0; i < esc.len; i++) {
		char c = esc.buf[i];

		FZ_CHECK(c != '\n', "raw newline in HELP text");
		if (c == '\\') {
			FZ_CHECK(i + 1 < esc.len, "HELP text ends in a backslash");
			c = esc.buf[++i];
			FZ_CHECK(c == '\\' || c == 'n', "HELP escape \\%c", c);
			c = c == 'n' ? '\n' : c;
		}
		sb_putc(&un, c);
	}
	sb_cstr(&un);
	FZ_CHECK(!strcmp(un.buf ? un.buf : "", s), "HELP text unescapes to '%s', not '%s'", un.buf, s);
	sb_free(&esc);
	sb_free(&un);
}

static bool ref_name(const char *s, bool colon)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && !(colon && *s == ':'))
			return false;
	return true;
}

static void check_names(const char *ns, const char *map, const char *member, const char *const *labels, int nl,
			enum prom_type type)
{
	struct strbuf sb = {}, why = {};
	int n;

	FZ_CHECK(prom_valid_metric_name(map) == ref_name(map, true), "prom_valid_metric_name('%s')", map);
	FZ_CHECK(prom_valid_label_name(map) == ref_name(map, false), "prom_valid_label_name('%s')", map);

	prom_family_name(&sb, ns, map, member, type);
	FZ_CHECK(!sb.err, "out of memory");
	sb_cstr(&sb);
	if (sb.len)
		FZ_CHECK(prom_valid_metric_name(sb.buf), "family name '%s' (ns '%s', map '%s', member '%s')", sb.buf, ns,
			 map, member);
	if (type == PROM_COUNTER)
		FZ_CHECK(sb.len >= 6 && !strcmp(sb.buf + sb.len - 6, "_total"), "counter '%s'", sb.buf);
	/* a name with no character of its own is still written as something */
	if (*map)
		FZ_CHECK(sb.len > 0, "empty family name for map '%s'", map);

	n = prom_lint(sb.len ? sb.buf : map, type, labels, nl, &why);
	FZ_CHECK(n >= 0 && (n == 0) == (why.len == 0), "%d lint problems: '%.*s'", n, (int)why.len, why.buf);
	FZ_CHECK(prom_lint(map, type, labels, nl, NULL) >= 0, "lint without why");

	for (int i = 0; i < nl; i++) {
		sb_reset(&sb);
		prom_label_name(&sb, labels[i]);
		sb_cstr(&sb);
		FZ_CHECK(prom_valid_label_name(sb.buf), "label name '%s' from '%s'", sb.buf, labels[i]);
		check_help(labels[i]);
	}
	sb_free(&sb);
	sb_free(&why);
}

static void check_double(double d)
{
	struct strbuf sb = {};
	char *end;
	double back;

	for (int w = 0; w < 2; w++) {
		sb_reset(&sb);
		if (w)
			fmt_double(&sb, d);
		else
			prom_double(&sb, d);
		sb_cstr(&sb);
		FZ_CHECK(sb.buf && sb.len, "no text for a double");
		if (isnan(d)) {
			FZ_CHECK(!strcmp(sb.buf, "NaN"), "NaN is '%s'", sb.buf);
			continue;
		}
		if (isinf(d)) {
			FZ_CHECK(!strcmp(sb.buf, d > 0 ? "+Inf" : "-Inf"), "%g is '%s'", d, sb.buf);
			continue;
		}
		back = strtod(sb.buf, &end);
		FZ_CHECK(!*end && (back == d || (d == 0 && back == 0)), "%.17g is '%s'", d, sb.buf);
	}
	sb_free(&sb);
}

static void check_int128(unsigned __int128 u)
{
	struct strbuf sb = {};
	unsigned __int128 back = 0;
	__int128 s = (__int128)u, sback = 0;
	const char *p;

	prom_u128(&sb, u);
	sb_cstr(&sb);
	for (p = sb.buf; *p; p++) {
		FZ_CHECK(*p >= '0' && *p <= '9', "u128 text '%s'", sb.buf);
		back = back * 10 + (unsigned)(*p - '0');
	}
	FZ_CHECK(back == u && (sb.buf[0] != '0' || sb.len == 1), "u128 text '%s'", sb.buf);
	sb_reset(&sb);
	prom_i128(&sb, s);
	sb_cstr(&sb);
	p = sb.buf + (sb.buf[0] == '-');
	for (back = 0; *p; p++) {
		FZ_CHECK(*p >= '0' && *p <= '9', "i128 text '%s'", sb.buf);
		back = back * 10 + (unsigned)(*p - '0');
	}
	sback = (__int128)(sb.buf[0] == '-' ? (unsigned __int128)0 - back : back);
	FZ_CHECK(sback == s, "i128 text '%s'", sb.buf);
	sb_free(&sb);
}

static void check_buckets(uint64_t u, double d, const double *b, int nb)
{
	int k = prom_log2_bucket_u64(u), i;

	/* the smallest k with u <= 2^k - 1 */
	FZ_CHECK(k >= 0 && k <= 64 && (k == 64 || u <= (1ULL << k) - 1) && (k == 0 || u > (1ULL << (k - 1)) - 1),
		 "log2 bucket %d for %llu", k, (unsigned long long)u);
	k = prom_log2_bucket_s64((int64_t)u);
	FZ_CHECK((int64_t)u <= 0 ? k == 0 : k == prom_log2_bucket_u64(u), "s64 log2 bucket %d", k);
	k = prom_log2_bucket_double(d);
	FZ_CHECK(k >= 0 && k < PROM_LOG2_SLOTS, "double log2 bucket %d for %g", k, d);
	if (!isnan(d) && d > 0 && k < 65)
		FZ_CHECK((long double)d <= ldexpl(1.0L, k) - 1.0L && (k == 0 || (long double)d > ldexpl(1.0L, k - 1) - 1.0L), "double log2 bucket %d for %.17g",
			 k, d);

	i = prom_bucket_index(b, nb, d);
	FZ_CHECK(i >= 0 && i <= nb, "bucket index %d of %d", i, nb);
	if (!isnan(d)) {
		FZ_CHECK(i == nb || d <= b[i], "%.17g above bound %d", d, i);
		FZ_CHECK(i == 0 || d > b[i - 1], "%.17g not above bound %d", d, i - 1);
	}
	for (int sgn = 0; sgn < 2; sgn++) {
		i = prom_bucket_index_int(b, nb, (int64_t)u, u, sgn);
		FZ_CHECK(i >= 0 && i <= nb, "int bucket index %d of %d", i, nb);
		/* compare in long double (64-bit mantissa: exact for these integers) */
		long double v = sgn ? (long double)(int64_t)u : (long double)u;

		FZ_CHECK(i == nb || v <= (long double)b[i], "%Lg above bound %d (%.17g)", v, i, b[i]);
		FZ_CHECK(i == 0 || v > (long double)b[i - 1], "%Lg not above bound %d (%.17g)", v, i - 1, b[i - 1]);
	}
}

static char *piece(struct fz *f, size_t *len)
{
	size_t n = fz_u8(f), got;
	void *p = fz_bytes(f, n, &got);
	char *s = fz_strndup(p, got);

	free(p);
	*len = got;
	return s;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	enum prom_type type = (enum prom_type)(flags % 3);
	size_t vlen, l;
	char *value = piece(&f, &vlen), *ns = piece(&f, &l), *map = piece(&f, &l), *member = piece(&f, &l);
	char *labels[4];
	int nl = (flags >> 2) % 5;
	double b[16], d;
	int nb = 0;
	uint64_t u, hi;
	struct strbuf sb = {};

	for (int i = 0; i < nl; i++)
		labels[i] = piece(&f, &l);

	check_label_value((const uint8_t *)value, vlen);
	check_json_str((const uint8_t *)value, vlen);
	check_help(value);
	check_names(ns, map, member, (const char *const *)labels, nl, type);
	(void)prom_hash(value, vlen);

	u = fz_u64(&f);
	hi = fz_u64(&f);
	memcpy(&d, &u, sizeof(d));
	check_double(d);
	check_int128((unsigned __int128)hi << 64 | u);
	fmt_rfc3339(&sb, (int64_t)hi);
	sb_cstr(&sb);
	FZ_CHECK(sb.len >= 30 && sb.buf[sb.len - 1] == 'Z', "rfc3339 '%s'", sb.buf);
	sb_free(&sb);

	/* strictly increasing bounds, the rest of the input */
	while (f.n >= 8 && nb < 16) {
		uint64_t x = fz_u64(&f);
		double v;

		memcpy(&v, &x, sizeof(v));
		if (isnan(v) || (nb && v <= b[nb - 1]))
			continue;
		b[nb++] = v;
	}
	check_buckets(u, d, b, nb);
	check_buckets(hi, (double)hi, b, nb);

	free(value);
	free(ns);
	free(map);
	free(member);
	for (int i = 0; i < nl; i++)
		free(labels[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
