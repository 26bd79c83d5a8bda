// SPDX-License-Identifier: MIT
/* Prometheus text format 0.0.4 helpers.  The lint rules mirror promlint as
 * shipped in promtool 2.42 (client_golang testutil/promlint), so ebpfctl can
 * warn at start about exactly the names `promtool check metrics` rejects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"

const char *prom_type_name(enum prom_type t)
{
	switch (t) {
	case PROM_COUNTER:
		return "counter";
	case PROM_GAUGE:
		return "gauge";
	default:
		return "histogram";
	}
}

static bool is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool prom_valid_metric_name(const char *s)
{
	if (!s || !(is_alpha_(*s) || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!is_alpha_(*s) && !is_digit(*s) && *s != ':')
			return false;
	return true;
}

bool prom_valid_label_name(const char *s)
{
	if (!s || !is_alpha_(*s))
		return false;
	for (s++; *s; s++)
		if (!is_alpha_(*s) && !is_digit(*s))
			return false;
	return true;
}

static void put_sanitized(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		sb_putc(sb, is_alpha_(*s) || is_digit(*s) ? *s : '_');
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

void prom_family_name(struct strbuf *sb, const char *ns, const char *map, const char *member,
		      enum prom_type type)
{
	size_t start = sb->len;

	if (ns && *ns) {
		put_sanitized(sb, ns);
		sb_putc(sb, '_');
	}
	put_sanitized(sb, map);
	if (member && *member) {
		sb_putc(sb, '_');
		put_sanitized(sb, member);
	}
	if (sb->err)
		return;
	if (sb->len == start) {
		/* every name empty: "_" (as prom_label_name does), still a
		 * valid name; and sb->buf is no longer NULL below */
		sb_putc(sb, '_');
		if (sb->err)
			return;
	} else if (is_digit(sb->buf[start])) {
		/* a namespace-less name could start with a digit */
		sb_putc(sb, '_');
		memmove(sb->buf + start + 1, sb->buf + start, sb->len - start - 1);
		sb->buf[start] = '_';
	}
	if (type == PROM_COUNTER && !ends_with(sb->buf + start, sb->len - start, "_total"))
		sb_puts(sb, "_total");
}

void prom_label_name(struct strbuf *sb, const char *s)
{
	if (is_digit(*s) || !*s)
		sb_putc(sb, '_');
	put_sanitized(sb, s);
}

/* ---- lint ---- */

static const char *const unit_names[][2] = {
	{ "amperes", "amperes" }, { "bytes", "bytes" }, { "celsius", "celsius" },
	{ "grams", "grams" }, { "joules", "joules" }, { "kelvin", "kelvin" },
	{ "meters", "meters" }, { "metres", "metres" }, { "seconds", "seconds" },
	{ "volts", "volts" }, { "minutes", "seconds" }, { "hours", "seconds" },
	{ "days", "seconds" }, { "weeks", "seconds" }, { "kelvins", "kelvin" },
	{ "fahrenheit", "celsius" }, { "rankine", "celsius" }, { "inches", "meters" },
	{ "yards", "meters" }, { "miles", "meters" }, { "bits", "bytes" },
	{ "calories", "joules" }, { "pounds", "grams" }, { "ounces", "grams" },
};

static const char *const unit_prefixes[] = {
	"pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo",
	"kibi", "mega", "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi", "",
};

static const char *const unit_abbrevs[] = {
	"s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
};

static const char *const type_words[] = {
	"counter", "gauge", "summary", "histogram", "gauge_histogram",
};

static void problem(struct strbuf *why, int *n, const char *text)
{
	if (why) {
		if (*n)
			sb_puts(why, "; ");
		sb_puts(why, text);
	}
	(*n)++;
}

/* "_w_" inside or "_w" at the end of the lower-cased name */
static bool has_word(const char *lower, const char *w)
{
	char pat[64];
	size_t n = strlen(lower);

	snprintf(pat, sizeof(pat), "_%s", w);
	if (ends_with(lower, n, pat))
		return true;
	snprintf(pat, sizeof(pat), "_%s_", w);
	return strstr(lower, pat) != NULL;
}

static bool camel_case(const char *s)
{
	for (; s[0] && s[1]; s++)
		if (s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'A' && s[1] <= 'Z')
			return true;
	return false;
}

/* promlint's metricUnits: a "_"-separated token equal to prefix+unit */
static void lint_units(const char *name, struct strbuf *why, int *n)
{
	char *copy = strdup(name), *save = NULL;
	char msg[160];

	if (!copy)
		return;
	for (char *tok = strtok_r(copy, "_", &save); tok; tok = strtok_r(NULL, "_", &save)) {
		for (size_t u = 0; u < sizeof(unit_names) / sizeof(unit_names[0]); u++) {
			for (size_t p = 0; p < sizeof(unit_prefixes) / sizeof(unit_prefixes[0]); p++) {
				size_t pl = strlen(unit_prefixes[p]);

				if (strncmp(tok, unit_prefixes[p], pl) || strcmp(tok + pl, unit_names[u][0]))
					continue;
				if (strcmp(tok, unit_names[u][1])) {
					snprintf(msg, sizeof(msg), "use base unit \"%s\" instead of \"%s\"",
						 unit_names[u][1], tok);
					problem(why, n, msg);
				}
				goto out;	/* promlint reports the first unit found */
			}
		}
	}
out:
	free(copy);
}

int prom_lint(const char *family, enum prom_type type, const char *const *labels, int nlabels,
	      struct strbuf *why)
{
	size_t len = strlen(family);
	char *lower = malloc(len + 1);
	bool le = false, quantile = false, camel_label = false;
	char msg[160];
	int n = 0;

	if (!lower)
		return 0;
	for (size_t i = 0; i <= len; i++)
		lower[i] = (char)(family[i] >= 'A' && family[i] <= 'Z' ? family[i] + 32 : family[i]);

	lint_units(family, why, &n);

	if (type == PROM_COUNTER && !ends_with(family, len, "_total"))
		problem(why, &n, "counter metrics should have \"_total\" suffix");
	else if (type != PROM_COUNTER && ends_with(family, len, "_total"))
		problem(why, &n, "non-counter metrics should not have \"_total\" suffix");

	if (type != PROM_HISTOGRAM && ends_with(family, len, "_bucket"))
		problem(why, &n, "non-histogram metrics should not have \"_bucket\" suffix");
	if (type != PROM_HISTOGRAM && ends_with(family, len, "_count"))
		problem(why, &n, "non-histogram and non-summary metrics should not have \"_count\" suffix");
	if (type != PROM_HISTOGRAM && ends_with(family, len, "_sum"))
		problem(why, &n, "non-histogram and non-summary metrics should not have \"_sum\" suffix");
	for (int i = 0; i < nlabels; i++) {
		le |= !strcmp(labels[i], "le");
		quantile |= !strcmp(labels[i], "quantile");
		camel_label |= camel_case(labels[i]);
	}
	if (type != PROM_HISTOGRAM && le)
		problem(why, &n, "non-histogram metrics should not have \"le\" label");
	if (quantile)
		problem(why, &n, "non-summary metrics should not have \"quantile\" label");

	for (size_t i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++) {
		if (has_word(lower, type_words[i])) {
			snprintf(msg, sizeof(msg), "metric name should not include type '%s'", type_words[i]);
			problem(why, &n, msg);
		}
	}
	if (strchr(family, ':'))
		problem(why, &n, "metric names should not contain ':'");
	if (camel_case(family))
		problem(why, &n, "metric names should be written in 'snake_case' not 'camelCase'");
	if (camel_label)
		problem(why, &n, "label names should be written in 'snake_case' not 'camelCase'");
	for (size_t i = 0; i < sizeof(unit_abbrevs) / sizeof(unit_abbrevs[0]); i++) {
		if (has_word(lower, unit_abbrevs[i])) {
			problem(why, &n, "metric names should not contain abbreviated units");
			break;
		}
	}
	free(lower);
	return n;
}

/* ---- escaping ---- */

int prom_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)		/* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0)		/* surrogate */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)		/* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)		/* > U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

void prom_label_escape(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = p[i];
		int k;

		if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
			i++;
			run++;
			continue;
		}
		/* copy the plain run in one go */
		if (run) {
			sb_add(sb, p + i - run, run);
			run = 0;
		}
		if (c == '\\') {
			sb_add(sb, "\\\\", 2);
			i++;
		} else if (c == '"') {
			sb_add(sb, "\\\"", 2);
			i++;
		} else if (c == '\n') {
			sb_add(sb, "\\n", 2);
			i++;
		} else if (c == 0) {
			/* a raw NUL is legal UTF-8 but not something to trust a parser with */
			sb_add(sb, "\\\\x00", 5);
			i++;
		} else if (c < 0x80) {
			sb_putc(sb, (char)c);
			i++;
		} else if ((k = prom_utf8_len(p + i, n - i))) {
			sb_add(sb, p + i, (size_t)k);
			i += (size_t)k;
		} else {
			char e[5] = { '\\', '\\', 'x', hex[c >> 4], hex[c & 15] };

			sb_add(sb, e, 5);
			i++;
		}
	}
	if (run)
		sb_add(sb, p + i - run, run);
}

void prom_help_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_add(sb, "\\\\", 2);
		else if (*s == '\n')
			sb_add(sb, "\\n", 2);
		else
			sb_putc(sb, *s);
	}
}

/* ---- numbers ---- */

void prom_double(struct strbuf *sb, double d)
{
	char buf[40];

	if (isnan(d)) {
		sb_add(sb, "NaN", 3);
		return;
	}
	if (isinf(d)) {
		sb_puts(sb, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (d == 0) {
		sb_putc(sb, '0');
		return;
	}
	/* whole numbers below 2^53 print as integers, whatever %g would do */
	if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
		sb_s64(sb, (int64_t)d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	sb_puts(sb, buf);
}

void prom_u128(struct strbuf *sb, unsigned __int128 v)
{
	char tmp[40];
	int i = sizeof(tmp);

	if (v <= UINT64_MAX) {
		sb_u64(sb, (uint64_t)v);
		return;
	}
	do {
		tmp[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	sb_add(sb, tmp + i, sizeof(tmp) - (size_t)i);
}

void prom_i128(struct strbuf *sb, __int128 v)
{
	if (v < 0) {
		sb_putc(sb, '-');
		prom_u128(sb, (unsigned __int128)0 - (unsigned __int128)v);
	} else {
		prom_u128(sb, (unsigned __int128)v);
	}
}

/* ---- buckets ---- */

int prom_log2_bucket_u64(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

int prom_log2_bucket_s64(int64_t v)
{
	return v <= 0 ? 0 : prom_log2_bucket_u64((uint64_t)v);
}

int prom_log2_bucket_double(double v)
{
	int e;

	/* +Inf too: frexp() gives it no exponent (0 here, so bucket 1) */
	if (isnan(v) || v == INFINITY)
		return PROM_LOG2_SLOTS - 1;
	if (v <= 0)
		return 0;
	if (v <= 1)
		return 1;
	frexp(v, &e);		/* 2^(e-1) <= v < 2^e */
	if (v > ldexp(1.0, e) - 1.0)
		e++;
	return e > 64 ? PROM_LOG2_SLOTS - 1 : e;
}

int prom_bucket_index(const double *b, int n, double v)
{
	int lo = 0, hi = n;

	if (isnan(v))
		return n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (v <= b[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* v <= b for an integer v and a double b, exactly: comparing through a
 * double would round 2^53+1 down to 2^53. */
static bool int_le_double(int64_t s, uint64_t u, bool is_signed, double b)
{
	double f;

	if (isnan(b))
		return false;
	if (is_signed) {
		if (b >= 9223372036854775808.0)
			return true;
		if (b < -9223372036854775808.0)
			return false;
		f = floor(b);	/* for an integer v: v <= b iff v <= floor(b) */
		return s <= (int64_t)f;
	}
	if (b >= 18446744073709551616.0)
		return true;
	if (b < 0)
		return false;
	f = floor(b);
	return u <= (uint64_t)f;
}

int prom_bucket_index_int(const double *b, int n, int64_t s, uint64_t u, bool is_signed)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (int_le_double(s, u, is_signed, b[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- hashing ---- */

static inline uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

uint64_t prom_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
	uint64_t k;

	while (n >= 8) {
		memcpy(&k, s, 8);
		h = (h ^ mix64(k)) * 0x9e3779b97f4a7c15ULL;
		h = (h << 27) | (h >> 37);
		s += 8;
		n -= 8;
	}
	k = 0;
	memcpy(&k, s, n);
	h ^= mix64(k ^ ((uint64_t)n << 56));
	return mix64(h);
}
