// SPDX-License-Identifier: MIT
/*
 * Tests for the metrics side: runner/prom.c (names, lint, escaping, number
 * text, bucket math), runner/stab.c, and runner/metrics.c + mapprint.c on
 * maps whose types are built in memory with btf__new_empty()/btf__add_*()
 * and whose entries are given as bytes (no BPF syscalls, no root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include "metrics_int.h"

/* ---- helpers ---- */

static char warnings[8192];

static void capture_log(void *ctx, enum rlog_level level, const char *msg)
{
	size_t used = strlen(warnings);

	if (level == RLOG_WARN)
		snprintf(warnings + used, sizeof(warnings) - used, "%s\n", msg);
}

static const char *sbs(struct strbuf *sb)
{
	return sb_cstr(sb);
}

/* The lines of body that start with prefix, joined with "\n". */
static char *grep_lines(const char *body, const char *prefix)
{
	struct strbuf sb = {};
	size_t pl = strlen(prefix);

	for (const char *l = body; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (n >= pl && !strncmp(l, prefix, pl)) {
			sb_add(&sb, l, n);
			sb_putc(&sb, '\n');
		}
		l += n + (nl ? 1 : 0);
	}
	{
		char *r = strdup(sb_cstr(&sb));

		sb_free(&sb);
		return r;
	}
}

static void assert_lines(const char *body, const char *prefix, const char *want)
{
	char *got = grep_lines(body, prefix);

	if (strcmp(got, want))
		fail_msg("lines starting '%s':\n--- got\n%s--- want\n%s--- body\n%s", prefix, got, want, body);
	free(got);
}

struct tb {
	struct btf *btf;
	int u8, u32, s32, u64, s64, chr, dbl;
};

static struct tb tb_new(void)
{
	struct tb t = {};

	t.btf = btf__new_empty();
	assert_non_null(t.btf);
	t.u8 = btf__add_int(t.btf, "unsigned char", 1, 0);
	t.u32 = btf__add_int(t.btf, "unsigned int", 4, 0);
	t.s32 = btf__add_int(t.btf, "int", 4, BTF_INT_SIGNED);
	t.u64 = btf__add_int(t.btf, "long long unsigned int", 8, 0);
	t.s64 = btf__add_int(t.btf, "long long int", 8, BTF_INT_SIGNED);
	t.chr = btf__add_int(t.btf, "char", 1, BTF_INT_SIGNED);
	t.dbl = btf__add_float(t.btf, "double", 8);
	assert_true(t.u8 > 0 && t.u32 > 0 && t.s32 > 0 && t.u64 > 0 && t.s64 > 0 && t.chr > 0 && t.dbl > 0);
	return t;
}

static int add_array(struct tb *t, int elem, uint32_t n)
{
	int id = btf__add_array(t->btf, t->u32, elem, n);

	assert_true(id > 0);
	return id;
}

static struct export_map em_make(struct tb *t, const char *name, enum out_kind kind, uint32_t type, int key_id,
				 int val_id)
{
	struct export_map em = {
		.name = (char *)name,
		.metric_name = (char *)name,
		.kind = kind,
		.type = type,
		.fd = -1,
		.max_entries = 1024,
		.key_type_id = (uint32_t)key_id,
		.value_type_id = (uint32_t)val_id,
		.btf = t->btf,
		.ncpu = 1,
	};

	em.is_event = type == BPF_MAP_TYPE_RINGBUF || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	em.percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
		    type == BPF_MAP_TYPE_PERCPU_ARRAY;
	em.key_size = key_id ? (uint32_t)btf__resolve_size(t->btf, (uint32_t)key_id) : 0;
	em.value_size = val_id ? (uint32_t)btf__resolve_size(t->btf, (uint32_t)val_id) : 0;
	return em;
}

static struct metrics *metrics_make(unsigned int max_series)
{
	struct metrics_opts o = { .ns = NULL, .max_series = max_series };
	struct metrics *m;

	assert_int_equal(metrics_new(&o, &m), 0);
	return m;
}

static void add_ok(struct metrics *m, const struct export_map *em)
{
	struct rerr err = {};
	int e = metrics_add_map(m, em, &err);

	if (e)
		fail_msg("metrics_add_map(%s): %d %s", em->name, e, err.msg);
}

static char *render_entries(struct metrics *m, const struct export_map *em, const void *keys, const void *vals,
			    uint32_t n)
{
	struct mm_map *mm = mm_find(m, em);
	struct strbuf out = {};
	char *s;

	assert_non_null(mm);
	assert_int_equal(mm_render_entries(m, mm, keys, vals, n, mm->rd.vstride, mm->rd.cpu_stride, &out), 0);
	s = strdup(sbs(&out));
	sb_free(&out);
	return s;
}

static char *render_event(struct metrics *m, const struct export_map *em)
{
	struct strbuf out = {};
	char *s;

	mm_render_event_map(m, mm_find(m, em), &out);
	s = strdup(sbs(&out));
	sb_free(&out);
	return s;
}

/* ---- names and lint ---- */

static void test_family_names(void **state)
{
	struct strbuf sb = {};

	prom_family_name(&sb, "ebpf_solo_io", "opens", NULL, PROM_COUNTER);
	assert_string_equal(sbs(&sb), "ebpf_solo_io_opens_total");
	sb_reset(&sb);
	prom_family_name(&sb, "ebpf_solo_io", "bytes_total", NULL, PROM_COUNTER);
	assert_string_equal(sbs(&sb), "ebpf_solo_io_bytes_total");	/* never twice */
	sb_reset(&sb);
	prom_family_name(&sb, "ns", "io", "rd_bytes", PROM_COUNTER);
	assert_string_equal(sbs(&sb), "ns_io_rd_bytes_total");
	sb_reset(&sb);
	prom_family_name(&sb, "ns", "lat", NULL, PROM_HISTOGRAM);
	assert_string_equal(sbs(&sb), "ns_lat");
	sb_reset(&sb);
	prom_family_name(&sb, "ns", "a.b-c", NULL, PROM_GAUGE);
	assert_string_equal(sbs(&sb), "ns_a_b_c");
	sb_reset(&sb);
	prom_family_name(&sb, "", "9x", NULL, PROM_GAUGE);
	assert_string_equal(sbs(&sb), "_9x");
	sb_reset(&sb);
	prom_label_name(&sb, "outer_inner");
	assert_string_equal(sbs(&sb), "outer_inner");
	sb_reset(&sb);
	prom_label_name(&sb, "1st");
	assert_string_equal(sbs(&sb), "_1st");
	assert_true(prom_valid_metric_name("a:b_c1"));
	assert_false(prom_valid_metric_name("1a"));
	assert_true(prom_valid_label_name("_x"));
	assert_false(prom_valid_label_name("a:b"));
	sb_free(&sb);
}

static int lint_n(const char *family, enum prom_type t, const char *label, const char *expect_substr)
{
	struct strbuf why = {};
	const char *labels[1] = { label };
	int n = prom_lint(family, t, labels, label ? 1 : 0, &why);

	if (expect_substr && !strstr(sbs(&why), expect_substr))
		fail_msg("lint of %s: '%s' lacks '%s'", family, sbs(&why), expect_substr);
	sb_free(&why);
	return n;
}

static void test_lint(void **state)
{
	/* clean */
	assert_int_equal(lint_n("ebpf_solo_io_opens_total", PROM_COUNTER, "comm", NULL), 0);
	assert_int_equal(lint_n("ebpf_solo_io_latency_seconds", PROM_HISTOGRAM, "op", NULL), 0);
	assert_int_equal(lint_n("ebpfctl_ringbuf_backlog_bytes", PROM_GAUGE, "map", NULL), 0);
	/* the rules promtool 2.42 applies */
	assert_true(lint_n("ns_opens", PROM_COUNTER, NULL, "should have \"_total\" suffix") >= 1);
	assert_true(lint_n("ns_queue_total", PROM_GAUGE, NULL, "should not have \"_total\"") >= 1);
	assert_true(lint_n("ns_hits_counter_total", PROM_COUNTER, NULL, "include type 'counter'") >= 1);
	assert_true(lint_n("ns_depth_gauge", PROM_GAUGE, NULL, "include type 'gauge'") >= 1);
	assert_true(lint_n("ns_lat_ms", PROM_HISTOGRAM, NULL, "abbreviated units") >= 1);
	assert_true(lint_n("ns_a_b_total", PROM_COUNTER, NULL, "abbreviated units") >= 1);
	assert_true(lint_n("ns_lat_milliseconds", PROM_GAUGE, NULL, "base unit \"seconds\"") >= 1);
	assert_true(lint_n("ns_size_kilobytes", PROM_GAUGE, NULL, "base unit \"bytes\"") >= 1);
	assert_true(lint_n("ns_openCount_total", PROM_COUNTER, NULL, "camelCase") >= 1);
	assert_true(lint_n("ns_x_total", PROM_COUNTER, "fileName", "label names should be") >= 1);
	assert_true(lint_n("ns_x", PROM_GAUGE, "le", "\"le\" label") >= 1);
	assert_true(lint_n("ns_x_count", PROM_GAUGE, NULL, "\"_count\" suffix") >= 1);
	assert_true(lint_n("ns:x", PROM_GAUGE, NULL, "':'") >= 1);
	/* not a unit token: "thermometers" is not "meters" */
	assert_int_equal(lint_n("ns_thermometers", PROM_GAUGE, NULL, NULL), 0);
}

/* ---- escaping and numbers ---- */

static void esc(const char *in, size_t n, const char *want)
{
	struct strbuf sb = {};

	prom_label_escape(&sb, in, n);
	if (strcmp(sbs(&sb), want))
		fail_msg("escape: got '%s' want '%s'", sbs(&sb), want);
	sb_free(&sb);
}

static void test_label_escape(void **state)
{
	esc("plain", 5, "plain");
	esc("a\"b", 3, "a\\\"b");
	esc("a\\b", 3, "a\\\\b");
	esc("a\nb", 3, "a\\nb");
	esc("tab\tx", 5, "tab\tx");
	esc("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9");		/* valid UTF-8 passes */
	esc("\xe2\x82\xac", 3, "\xe2\x82\xac");
	esc("\xf0\x9f\x90\x9d", 4, "\xf0\x9f\x90\x9d");
	esc("x\xff", 2, "x\\\\xff");				/* invalid byte */
	esc("\xc3", 1, "\\\\xc3");				/* truncated sequence */
	esc("\xc0\xaf", 2, "\\\\xc0\\\\xaf");			/* overlong */
	esc("\xed\xa0\x80", 3, "\\\\xed\\\\xa0\\\\x80");	/* surrogate */
	esc("\xf4\x90\x80\x80", 4, "\\\\xf4\\\\x90\\\\x80\\\\x80");	/* > U+10FFFF */
	esc("a\0b", 3, "a\\\\x00b");
	{
		struct strbuf sb = {};

		prom_help_escape(&sb, "a\\b\nc\"");
		assert_string_equal(sbs(&sb), "a\\\\b\\nc\"");
		sb_free(&sb);
	}
}

static void dbl(double d, const char *want)
{
	struct strbuf sb = {};

	prom_double(&sb, d);
	if (strcmp(sbs(&sb), want))
		fail_msg("prom_double: got '%s' want '%s'", sbs(&sb), want);
	sb_free(&sb);
}

static void test_numbers(void **state)
{
	struct strbuf sb = {};

	dbl(127, "127");
	dbl(0.0015, "0.0015");
	dbl(1e-9, "1e-09");
	dbl(0.1, "0.1");
	dbl(-2.5, "-2.5");
	dbl(1.0 / 3, "0.3333333333333333");
	dbl(1e21, "1e+21");
	dbl(NAN, "NaN");
	dbl(INFINITY, "+Inf");
	dbl(-INFINITY, "-Inf");
	dbl(0.0, "0");
	dbl(9007199254740991.0, "9007199254740991");

	prom_i128(&sb, (__int128)UINT64_MAX);
	assert_string_equal(sbs(&sb), "18446744073709551615");
	sb_reset(&sb);
	prom_i128(&sb, (__int128)UINT64_MAX * 3);
	assert_string_equal(sbs(&sb), "55340232221128654845");
	sb_reset(&sb);
	prom_i128(&sb, (__int128)INT64_MIN - 1);
	assert_string_equal(sbs(&sb), "-9223372036854775809");
	sb_reset(&sb);
	prom_i128(&sb, 0);
	assert_string_equal(sbs(&sb), "0");
	sb_free(&sb);
}

/* ---- bucket math ---- */

static void test_buckets(void **state)
{
	static const double b[] = { 0.5, 1, 2.5 };
	static const double big[] = { 9007199254740992.0 };	/* 2^53 */

	assert_int_equal(prom_log2_bucket_u64(0), 0);
	assert_int_equal(prom_log2_bucket_u64(1), 1);
	assert_int_equal(prom_log2_bucket_u64(2), 2);
	assert_int_equal(prom_log2_bucket_u64(3), 2);
	assert_int_equal(prom_log2_bucket_u64(4), 3);
	assert_int_equal(prom_log2_bucket_u64(7), 3);
	assert_int_equal(prom_log2_bucket_u64(8), 4);
	assert_int_equal(prom_log2_bucket_u64(UINT64_MAX), 64);
	assert_int_equal(prom_log2_bucket_u64(1ULL << 63), 64);
	assert_int_equal(prom_log2_bucket_s64(-5), 0);
	assert_int_equal(prom_log2_bucket_s64(5), 3);
	assert_int_equal(prom_log2_bucket_double(-1), 0);
	assert_int_equal(prom_log2_bucket_double(0), 0);
	assert_int_equal(prom_log2_bucket_double(0.5), 1);
	assert_int_equal(prom_log2_bucket_double(1), 1);
	assert_int_equal(prom_log2_bucket_double(1.5), 2);
	assert_int_equal(prom_log2_bucket_double(3), 2);
	assert_int_equal(prom_log2_bucket_double(3.5), 3);
	assert_int_equal(prom_log2_bucket_double(1e30), PROM_LOG2_SLOTS - 1);
	assert_int_equal(prom_log2_bucket_double(NAN), PROM_LOG2_SLOTS - 1);

	assert_int_equal(prom_bucket_index(b, 3, 0.25), 0);
	assert_int_equal(prom_bucket_index(b, 3, 0.5), 0);	/* le is inclusive */
	assert_int_equal(prom_bucket_index(b, 3, 0.75), 1);
	assert_int_equal(prom_bucket_index(b, 3, 2.5), 2);
	assert_int_equal(prom_bucket_index(b, 3, 3), 3);	/* +Inf only */
	assert_int_equal(prom_bucket_index(b, 3, NAN), 3);
	/* 2^53+1 is above the bound, though (double)(2^53+1) == 2^53 */
	assert_int_equal(prom_bucket_index_int(big, 1, 0, (1ULL << 53) + 1, false), 1);
	assert_int_equal(prom_bucket_index_int(big, 1, 0, 1ULL << 53, false), 0);
	assert_int_equal(prom_bucket_index_int(b, 3, -7, (uint64_t)-7, true), 0);
	assert_int_equal(prom_bucket_index_int(b, 3, 2, 2, true), 2);
}

static void test_stab(void **state)
{
	struct stab t;
	char key[32];

	stab_init(&t, 8);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		int64_t idx = stab_add(&t, key, (size_t)n, prom_hash(key, (size_t)n));

		assert_int_equal(idx, i);
		*(uint64_t *)stab_payload(&t, (uint32_t)idx) = (uint64_t)i * 3;
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		int64_t idx = stab_find(&t, key, (size_t)n, prom_hash(key, (size_t)n));

		assert_int_equal(idx, i);
		assert_int_equal(*(uint64_t *)stab_payload(&t, (uint32_t)idx), (uint64_t)i * 3);
		assert_memory_equal(stab_key(&t, (uint32_t)idx), key, (size_t)n);
	}
	assert_int_equal(stab_find(&t, "nope", 4, prom_hash("nope", 4)), -1);
	/* an empty key is a key like any other */
	assert_int_equal(stab_add(&t, "", 0, prom_hash("", 0)), 5000);
	assert_int_equal(stab_find(&t, "", 0, prom_hash("", 0)), 5000);
	stab_reset(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(stab_find(&t, "k1", 2, prom_hash("k1", 2)), -1);
	stab_free(&t);
}

/* ---- hash/array maps through the renderer ---- */

struct key1 {
	uint32_t pid;
	char comm[8];
	uint32_t __pad;
};

static void test_hash_counter_merge(void **state)
{
	struct tb t = tb_new();
	int arr = add_array(&t, t.chr, 8);
	int key = btf__add_struct(t.btf, "key1", sizeof(struct key1));
	struct key1 keys[4] = {
		{ 1, "ab\0xx", 7 },
		{ 1, "ab\0yy", 9 },		/* differs after the NUL and in __pad: merged */
		{ 2, "c\"\\\n", 0 },
		{ 3, "\xff", 0 },
	};
	uint64_t vals[4] = { 5, 6, UINT64_MAX, 1 };
	struct export_map em;
	struct metrics *m;
	char *body;

	assert_true(key > 0);
	assert_int_equal(btf__add_field(t.btf, "pid", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "comm", arr, 32, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "__pad", t.u32, 96, 0), 0);
	em = em_make(&t, "hits", OUT_COUNTER, BPF_MAP_TYPE_HASH, key, t.u64);
	m = metrics_make(0);
	add_ok(m, &em);
	body = render_entries(m, &em, keys, vals, 4);
	assert_lines(body, "# ", "# HELP ebpf_solo_io_hits_total Counter: value per key (BPF hash map 'hits')\n"
				 "# TYPE ebpf_solo_io_hits_total counter\n");
	assert_lines(body, "ebpf_solo_io_hits_total",
		     "ebpf_solo_io_hits_total{pid=\"1\",comm=\"ab\"} 11\n"
		     "ebpf_solo_io_hits_total{pid=\"2\",comm=\"c\\\"\\\\\\n\"} 18446744073709551615\n"
		     "ebpf_solo_io_hits_total{pid=\"3\",comm=\"\\\\xff\"} 1\n");
	free(body);
	/* a second scrape starts from scratch: vanished keys vanish */
	body = render_entries(m, &em, keys + 3, vals + 3, 1);
	assert_lines(body, "ebpf_solo_io_hits_total", "ebpf_solo_io_hits_total{pid=\"3\",comm=\"\\\\xff\"} 1\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

/* --max-series given, on a hash map: label sets beyond N are left out of each scrape
 * and counted; the ones exported by the last over-limit scrape keep their
 * place even when new keys come first in map order. */
static void test_hash_max_series(void **state)
{
	struct tb t = tb_new();
	uint32_t k1[3] = { 1, 2, 3 }, k2[3] = { 4, 2, 1 }, k3[1] = { 9 };
	uint64_t v[3] = { 10, 20, 30 };
	struct export_map em = em_make(&t, "h", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, t.u64);
	struct metrics_opts o = { .max_series = 2, .table_max_series = 2 };
	struct strbuf out = {};
	struct metrics *m;
	char *body;

	/* without --max-series a hash map is bounded by its max_entries only */
	m = metrics_make(2);
	add_ok(m, &em);
	body = render_entries(m, &em, k1, v, 3);
	assert_lines(body, "ebpf_solo_io_h_total{",
		     "ebpf_solo_io_h_total{key=\"1\"} 10\n"
		     "ebpf_solo_io_h_total{key=\"2\"} 20\n"
		     "ebpf_solo_io_h_total{key=\"3\"} 30\n");
	free(body);
	metrics_free(m);

	assert_int_equal(metrics_new(&o, &m), 0);
	add_ok(m, &em);
	warnings[0] = '\0';
	rlog_set_sink(capture_log, NULL);
	body = render_entries(m, &em, k1, v, 3);
	assert_lines(body, "ebpf_solo_io_h_total{",
		     "ebpf_solo_io_h_total{key=\"1\"} 10\n"
		     "ebpf_solo_io_h_total{key=\"2\"} 20\n");
	free(body);
	body = render_entries(m, &em, k2, v, 3);	/* 4 is new: 2 and 1 keep their place */
	rlog_set_sink(NULL, NULL);
	assert_lines(body, "ebpf_solo_io_h_total{",
		     "ebpf_solo_io_h_total{key=\"2\"} 20\n"
		     "ebpf_solo_io_h_total{key=\"1\"} 30\n");
	free(body);
	assert_non_null(strstr(warnings, "map 'h': more than 2 label sets (--max-series)"));
	assert_null(strstr(strstr(warnings, "more than 2") + 1, "more than 2"));	/* once */
	assert_int_equal(metrics_render(m, &out), 0);
	/* one left out of each of the two scrapes above (this render cannot read
	 * the map: no fd in a unit test) */
	assert_lines(sbs(&out), "ebpfctl_series_dropped_total{", "ebpfctl_series_dropped_total{map=\"h\"} 2\n");
	sb_free(&out);
	body = render_entries(m, &em, k3, v, 1);	/* under the limit: all there */
	assert_lines(body, "ebpf_solo_io_h_total{", "ebpf_solo_io_h_total{key=\"9\"} 10\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

struct pcval {
	uint32_t a;
	uint32_t pad;
	int64_t b;
};

static void test_percpu_sum_and_struct_values(void **state)
{
	struct tb t = tb_new();
	int val = btf__add_struct(t.btf, "pcval", sizeof(struct pcval));
	struct pcval v[3] = { { 0xffffffffu, 0, -5 }, { 1, 0, 3 }, { 2, 0, -1 } };
	uint32_t key = 7;
	struct export_map em;
	struct metrics *m;
	char *body;

	assert_int_equal(btf__add_field(t.btf, "a", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "b", t.s64, 64, 0), 0);
	em = em_make(&t, "pc", OUT_GAUGE, BPF_MAP_TYPE_PERCPU_HASH, t.u32, val);
	em.ncpu = 3;
	warnings[0] = '\0';
	rlog_set_sink(capture_log, NULL);
	m = metrics_make(0);
	add_ok(m, &em);
	/* "_b" reads as an abbreviated unit (bytes) to promtool: one warning */
	assert_non_null(strstr(warnings, "'ebpf_solo_io_pc_b' will fail `promtool check metrics` lint"));
	assert_null(strstr(warnings, "ebpf_solo_io_pc_a'"));
	rlog_set_sink(NULL, NULL);
	assert_int_equal(mm_find(m, &em)->rd.vstride, 3 * sizeof(struct pcval));
	body = render_entries(m, &em, &key, v, 1);
	/* exact sums past the member's own width, signed members signed */
	assert_lines(body, "ebpf_solo_io_pc",
		     "ebpf_solo_io_pc_a{key=\"7\"} 4294967298\n"
		     "ebpf_solo_io_pc_b{key=\"7\"} -3\n");
	assert_lines(body, "# TYPE", "# TYPE ebpf_solo_io_pc_a gauge\n# TYPE ebpf_solo_io_pc_b gauge\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

struct histval {
	uint32_t slots[4];
	uint64_t sum;
};

static void test_map_hist_percpu(void **state)
{
	struct tb t = tb_new();
	int slots = add_array(&t, t.u32, 4);
	int val = btf__add_struct(t.btf, "histval", sizeof(struct histval));
	struct histval v[2] = { { { 1, 0, 2, 0 }, 10 }, { { 0, 1, 0, 3 }, 20 } };
	uint32_t key = 0;
	struct export_map em;
	struct metrics *m;
	char *body;

	assert_int_equal(btf__add_field(t.btf, "slots", slots, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "sum", t.u64, 128, 0), 0);
	em = em_make(&t, "lat", OUT_HIST, BPF_MAP_TYPE_PERCPU_ARRAY, t.u32, val);
	em.ncpu = 2;
	em.max_entries = 1;
	m = metrics_make(0);
	add_ok(m, &em);
	body = render_entries(m, &em, &key, v, 1);
	assert_lines(body, "# TYPE", "# TYPE ebpf_solo_io_lat histogram\n");
	assert_lines(body, "ebpf_solo_io_lat",
		     "ebpf_solo_io_lat_bucket{key=\"0\",le=\"1\"} 1\n"
		     "ebpf_solo_io_lat_bucket{key=\"0\",le=\"3\"} 2\n"
		     "ebpf_solo_io_lat_bucket{key=\"0\",le=\"7\"} 4\n"
		     "ebpf_solo_io_lat_bucket{key=\"0\",le=\"15\"} 7\n"
		     "ebpf_solo_io_lat_bucket{key=\"0\",le=\"+Inf\"} 7\n"
		     "ebpf_solo_io_lat_count{key=\"0\"} 7\n"
		     "ebpf_solo_io_lat_sum{key=\"0\"} 30\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

static void test_map_hist_plain_array_no_sum(void **state)
{
	struct tb t = tb_new();
	int slots = add_array(&t, t.u64, 64);
	uint64_t v[64] = {};
	uint32_t key = 3;
	struct export_map em;
	struct metrics *m;
	char *body, *last;

	v[0] = 2;
	v[63] = 1;
	em = em_make(&t, "h", OUT_HIST, BPF_MAP_TYPE_HASH, t.u32, slots);
	m = metrics_make(0);
	add_ok(m, &em);
	body = render_entries(m, &em, &key, v, 1);
	assert_lines(body, "ebpf_solo_io_h_sum", "");			/* no sum member: no _sum */
	assert_lines(body, "ebpf_solo_io_h_count", "ebpf_solo_io_h_count{key=\"3\"} 3\n");
	last = grep_lines(body, "ebpf_solo_io_h_bucket{key=\"3\",le=\"18446744073709551615\"}");
	assert_string_equal(last, "ebpf_solo_io_h_bucket{key=\"3\",le=\"18446744073709551615\"} 3\n");
	free(last);
	last = grep_lines(body, "ebpf_solo_io_h_bucket{key=\"3\",le=\"3\"}");
	assert_string_equal(last, "ebpf_solo_io_h_bucket{key=\"3\",le=\"3\"} 2\n");
	free(last);
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

static void test_array_zero_entries(void **state)
{
	struct tb t = tb_new();
	uint32_t keys[4] = { 0, 1, 2, 3 };
	uint64_t vals[4] = { 0, 5, 0, 1 };
	struct export_map em, one;
	struct metrics *m;
	char *body;

	em = em_make(&t, "arr", OUT_COUNTER, BPF_MAP_TYPE_ARRAY, t.u32, t.u64);
	em.max_entries = 4;
	one = em_make(&t, "drops", OUT_COUNTER, BPF_MAP_TYPE_ARRAY, t.u32, t.u64);
	one.max_entries = 1;
	m = metrics_make(0);
	add_ok(m, &em);
	add_ok(m, &one);
	body = render_entries(m, &em, keys, vals, 4);
	assert_lines(body, "ebpf_solo_io_arr_total",
		     "ebpf_solo_io_arr_total{key=\"1\"} 5\nebpf_solo_io_arr_total{key=\"3\"} 1\n");
	free(body);
	/* a one-element array is a global counter: shown at 0 */
	body = render_entries(m, &one, keys, vals, 1);
	assert_lines(body, "ebpf_solo_io_drops_total", "ebpf_solo_io_drops_total{key=\"0\"} 0\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

/* ---- event maps ---- */

struct ev1 {
	uint32_t pid;
	char comm[8];
	uint64_t __ts;
};

static int ev1_type(struct tb *t)
{
	int arr = add_array(t, t->chr, 8);
	int id = btf__add_struct(t->btf, "ev1", sizeof(struct ev1));

	assert_true(id > 0);
	assert_int_equal(btf__add_field(t->btf, "pid", t->u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "comm", arr, 32, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "__ts", t->u64, 128, 0), 0);
	return id;
}

static void test_event_counter_and_max_series(void **state)
{
	struct tb t = tb_new();
	struct export_map em = em_make(&t, "ev", OUT_COUNTER, BPF_MAP_TYPE_RINGBUF, 0, ev1_type(&t));
	struct ev1 r[4] = { { 1, "a", 100 }, { 1, "a\0zz", 200 }, { 2, "b", 5 }, { 3, "c", 6 } };
	struct metrics *m = metrics_make(2);
	struct strbuf out = {};
	char *body;

	add_ok(m, &em);
	warnings[0] = '\0';
	rlog_set_sink(capture_log, NULL);
	for (int i = 0; i < 4; i++)
		metrics_event(m, &em, &r[i], sizeof(r[i]));
	metrics_event(m, &em, &r[3], sizeof(r[3]));
	metrics_event(m, &em, &r[0], sizeof(r[0]) - 1);	/* short record: counted as an error */
	rlog_set_sink(NULL, NULL);
	assert_non_null(strstr(warnings, "more than 2 label sets"));
	body = render_event(m, &em);
	assert_lines(body, "ebpf_solo_io_ev_total",
		     "ebpf_solo_io_ev_total{pid=\"1\",comm=\"a\"} 2\n"
		     "ebpf_solo_io_ev_total{pid=\"2\",comm=\"b\"} 1\n");
	free(body);
	assert_int_equal(metrics_render(m, &out), 0);
	assert_lines(sbs(&out), "ebpfctl_series_dropped_total{", "ebpfctl_series_dropped_total{map=\"ev\"} 2\n");
	assert_lines(sbs(&out), "ebpfctl_events_read_total{", "ebpfctl_events_read_total{map=\"ev\"} 6\n");
	assert_lines(sbs(&out), "ebpfctl_map_read_errors_total{", "ebpfctl_map_read_errors_total{map=\"ev\"} 1\n");
	assert_lines(sbs(&out), "ebpfctl_series{", "ebpfctl_series{map=\"ev\"} 2\n");
	sb_free(&out);
	metrics_free(m);
	btf__free(t.btf);
}

struct gev {
	uint32_t cpu;
	uint32_t pad;
	int64_t value;
};

static void test_event_gauge(void **state)
{
	struct tb t = tb_new();
	int id = btf__add_struct(t.btf, "gev", sizeof(struct gev));
	struct gev r[3] = { { 0, 0, -5 }, { 0, 0, 7 }, { 1, 0, -2 } };
	struct export_map em;
	struct metrics *m = metrics_make(0);
	char *body;

	assert_int_equal(btf__add_field(t.btf, "cpu", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "value", t.s64, 64, 0), 0);
	em = em_make(&t, "depth", OUT_GAUGE, BPF_MAP_TYPE_PERF_EVENT_ARRAY, 0, id);
	add_ok(m, &em);
	for (int i = 0; i < 3; i++)
		metrics_event(m, &em, &r[i], sizeof(r[i]));
	body = render_event(m, &em);
	assert_lines(body, "ebpf_solo_io_depth",
		     "ebpf_solo_io_depth{cpu=\"0\"} 7\nebpf_solo_io_depth{cpu=\"1\"} -2\n");
	assert_lines(body, "# TYPE", "# TYPE ebpf_solo_io_depth gauge\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

struct hev {
	uint32_t op;
	uint32_t pad;
	uint64_t le;
};

static void test_event_hist_log2(void **state)
{
	struct tb t = tb_new();
	int id = btf__add_struct(t.btf, "hev", sizeof(struct hev));
	uint64_t vals[] = { 0, 1, 3, 4 };
	struct export_map em;
	struct metrics *m = metrics_make(0);
	char *body;

	assert_int_equal(btf__add_field(t.btf, "op", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "le", t.u64, 64, 0), 0);	/* bumblebee's value name */
	em = em_make(&t, "hist_lat", OUT_HIST, BPF_MAP_TYPE_RINGBUF, 0, id);
	em.metric_name = "lat";
	add_ok(m, &em);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct hev r = { 1, 0, vals[i] };

		metrics_event(m, &em, &r, sizeof(r));
	}
	body = render_event(m, &em);
	assert_lines(body, "ebpf_solo_io_lat",
		     "ebpf_solo_io_lat_bucket{op=\"1\",le=\"0\"} 1\n"
		     "ebpf_solo_io_lat_bucket{op=\"1\",le=\"1\"} 2\n"
		     "ebpf_solo_io_lat_bucket{op=\"1\",le=\"3\"} 3\n"
		     "ebpf_solo_io_lat_bucket{op=\"1\",le=\"7\"} 4\n"
		     "ebpf_solo_io_lat_bucket{op=\"1\",le=\"+Inf\"} 4\n"
		     "ebpf_solo_io_lat_count{op=\"1\"} 4\n"
		     "ebpf_solo_io_lat_sum{op=\"1\"} 8\n");
	free(body);
	metrics_free(m);
	btf__free(t.btf);
}

static void test_event_hist_explicit_and_exact_sum(void **state)
{
	struct tb t = tb_new();
	int id = btf__add_struct(t.btf, "dev", 8), uid;
	static double bounds[] = { 0.5, 1, 2.5 };
	struct runner_hist_buckets hb = { .map = "d", .bounds = bounds, .n = 3 };
	struct metrics_opts o = { .hist_buckets = &hb, .n_hist_buckets = 1 };
	double dv[] = { 0.25, 1.0, 3.0 };
	struct export_map em, eu;
	struct rerr err = {};
	struct metrics *m;
	char *body;

	assert_int_equal(btf__add_field(t.btf, "value", t.dbl, 0, 0), 0);
	uid = btf__add_struct(t.btf, "uev", 8);
	assert_int_equal(btf__add_field(t.btf, "v", t.u64, 0, 0), 0);
	em = em_make(&t, "d", OUT_HIST, BPF_MAP_TYPE_RINGBUF, 0, id);
	eu = em_make(&t, "u", OUT_HIST, BPF_MAP_TYPE_RINGBUF, 0, uid);
	assert_int_equal(metrics_new(&o, &m), 0);
	add_ok(m, &em);
	add_ok(m, &eu);
	assert_int_equal(metrics_finish(m, &err), 0);
	for (int i = 0; i < 3; i++)
		metrics_event(m, &em, &dv[i], sizeof(double));
	body = render_event(m, &em);
	assert_lines(body, "ebpf_solo_io_d",
		     "ebpf_solo_io_d_bucket{le=\"0.5\"} 1\n"
		     "ebpf_solo_io_d_bucket{le=\"1\"} 2\n"
		     "ebpf_solo_io_d_bucket{le=\"2.5\"} 2\n"
		     "ebpf_solo_io_d_bucket{le=\"+Inf\"} 3\n"
		     "ebpf_solo_io_d_count 3\n"
		     "ebpf_solo_io_d_sum 4.25\n");
	free(body);
	/* integer sums are exact, even past 2^64 */
	for (int i = 0; i < 3; i++) {
		uint64_t v = UINT64_MAX;

		metrics_event(m, &eu, &v, sizeof(v));
	}
	body = render_event(m, &eu);
	assert_lines(body, "ebpf_solo_io_u_sum", "ebpf_solo_io_u_sum 55340232221128654845\n");
	assert_lines(body, "ebpf_solo_io_u_bucket{le=\"18446744073709551615\"}",
		     "ebpf_solo_io_u_bucket{le=\"18446744073709551615\"} 3\n");
	free(body);
	metrics_free(m);

	/* an unknown --hist-buckets map is a usage error */
	hb.map = "nosuch";
	assert_int_equal(metrics_new(&o, &m), 0);
	add_ok(m, &em);
	assert_int_equal(metrics_finish(m, &err), -EINVAL);
	assert_true(err.usage);
	assert_non_null(strstr(err.msg, "--hist-buckets nosuch"));
	metrics_free(m);
	btf__free(t.btf);
}

/* ---- validation ---- */

static void expect_add_error(struct metrics *m, const struct export_map *em, const char *substr)
{
	struct rerr err = {};

	assert_int_not_equal(metrics_add_map(m, em, &err), 0);
	if (!strstr(err.msg, substr))
		fail_msg("error '%s' lacks '%s'", err.msg, substr);
}

static void test_validation(void **state)
{
	struct tb t = tb_new();
	int str = add_array(&t, t.chr, 16);
	int nonum = btf__add_struct(t.btf, "nonum", 16), sv;
	struct export_map em;
	struct metrics *m = metrics_make(0);

	assert_int_equal(btf__add_field(t.btf, "name", str, 0, 0), 0);
	sv = btf__add_struct(t.btf, "sv", 24);
	assert_int_equal(btf__add_field(t.btf, "n", t.u64, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "name", str, 64, 0), 0);

	em = em_make(&t, "x", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, str);
	expect_add_error(m, &em, "map 'x': counter value must be an integer or a struct of integers, got char[16]");
	em = em_make(&t, "y", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, sv);
	expect_add_error(m, &em, "got struct sv (member 'name' is char[16])");
	em = em_make(&t, "z", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, t.dbl);
	expect_add_error(m, &em, "counter value must be an integer");
	em = em_make(&t, "g", OUT_GAUGE, BPF_MAP_TYPE_HASH, t.u32, t.dbl);
	add_ok(m, &em);	/* a float gauge is fine */
	em = em_make(&t, "h", OUT_HIST, BPF_MAP_TYPE_ARRAY, t.u32, t.u64);
	expect_add_error(m, &em, "hist value must be an integer array of log2 slots");
	em = em_make(&t, "hc", OUT_HIST, BPF_MAP_TYPE_ARRAY, t.u32, str);	/* char[16] is text */
	expect_add_error(m, &em, "hist value must be an integer array of log2 slots");
	em = em_make(&t, "e", OUT_GAUGE, BPF_MAP_TYPE_RINGBUF, 0, nonum);
	expect_add_error(m, &em, "has no numeric value field");
	em = em_make(&t, "q", OUT_COUNTER, BPF_MAP_TYPE_LPM_TRIE, t.u32, t.u64);
	expect_add_error(m, &em, "supported types are ringbuf");
	em = em_make(&t, "nokey", OUT_COUNTER, BPF_MAP_TYPE_HASH, 0, t.u64);
	expect_add_error(m, &em, "no BTF type for the key");
	metrics_free(m);
	btf__free(t.btf);
}

static void test_name_collisions_and_labels(void **state)
{
	struct tb t = tb_new();
	int ab = btf__add_struct(t.btf, "ab", 8), k;
	struct export_map e1, e2, e3, e4;
	struct metrics *m = metrics_make(0);
	struct mm_map *mm;

	assert_int_equal(btf__add_field(t.btf, "b", t.u64, 0, 0), 0);
	k = btf__add_struct(t.btf, "k", 8);
	assert_int_equal(btf__add_field(t.btf, "le", t.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(t.btf, "op", t.u32, 32, 0), 0);

	e1 = em_make(&t, "a_b", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, t.u64);
	e2 = em_make(&t, "a", OUT_COUNTER, BPF_MAP_TYPE_HASH, t.u32, ab);
	add_ok(m, &e1);
	expect_add_error(m, &e2, "metric name 'ebpf_solo_io_a_b_total' is already used by map 'a_b'");
	/* a gauge named like a histogram's _count series */
	e3 = em_make(&t, "lat_count", OUT_GAUGE, BPF_MAP_TYPE_HASH, t.u32, t.u64);
	add_ok(m, &e3);
	{
		int slots = add_array(&t, t.u32, 8);

		e4 = em_make(&t, "lat", OUT_HIST, BPF_MAP_TYPE_HASH, k, slots);
	}
	expect_add_error(m, &e4, "'ebpf_solo_io_lat_count' is already used by map 'lat_count'");
	metrics_free(m);

	/* a key member named le is renamed in a histogram */
	m = metrics_make(0);
	{
		int slots = add_array(&t, t.u32, 8);

		e4 = em_make(&t, "lat", OUT_HIST, BPF_MAP_TYPE_HASH, k, slots);
	}
	add_ok(m, &e4);
	mm = mm_find(m, &e4);
	assert_int_equal(mm->nlabels, 2);
	assert_string_equal(mm->labels[0].name, "le_");
	assert_string_equal(mm->labels[1].name, "op");
	metrics_free(m);

	/* --metrics-namespace ebpfctl cannot shadow the runner's own names */
	{
		struct metrics_opts o = { .ns = "ebpfctl" };
		struct export_map e5 = em_make(&t, "series", OUT_GAUGE, BPF_MAP_TYPE_HASH, t.u32, t.u64);

		assert_int_equal(metrics_new(&o, &m), 0);
		expect_add_error(m, &e5, "is one of ebpfctl's own");
		metrics_free(m);
	}
	btf__free(t.btf);
}

/* ---- print polling ---- */

static char *poll_entries(struct metrics *m, const struct export_map *em, const void *keys, const void *vals,
			  uint32_t n)
{
	struct strbuf out = {};
	char *s;

	mm_print_entries(mm_find(m, em), keys, vals, n, "T", &out);
	s = strdup(sbs(&out));
	sb_free(&out);
	return s;
}

static void expect_poll(struct metrics *m, const struct export_map *em, const void *keys, const void *vals,
			uint32_t n, const char *want)
{
	char *got = poll_entries(m, em, keys, vals, n);

	if (strcmp(got, want))
		fail_msg("print poll:\n--- got\n%s--- want\n%s", got, want);
	free(got);
}

static void test_print_hash_diff(void **state)
{
	struct tb t = tb_new();
	struct export_map em = em_make(&t, "p", OUT_PRINT, BPF_MAP_TYPE_HASH, t.u32, t.u64);
	struct metrics *m = metrics_make(0);
	uint32_t k1[2] = { 1, 2 }, k2[3] = { 1, 2, 3 }, k3[1] = { 3 };
	uint64_t v1[2] = { 10, 20 }, v2[3] = { 10, 21, 5 }, v3[1] = { 5 };

	add_ok(m, &em);
	expect_poll(m, &em, k1, v1, 2,
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":1,\"value\":10}\n"
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":2,\"value\":20}\n");
	expect_poll(m, &em, k1, v1, 2, "");
	expect_poll(m, &em, k2, v2, 3,
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":2,\"value\":21}\n"
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":3,\"value\":5}\n");
	expect_poll(m, &em, k3, v3, 1,
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":1,\"removed\":true}\n"
		    "{\"time\":\"T\",\"map\":\"p\",\"key\":2,\"removed\":true}\n");
	expect_poll(m, &em, k3, v3, 0, "{\"time\":\"T\",\"map\":\"p\",\"key\":3,\"removed\":true}\n");
	metrics_free(m);
	btf__free(t.btf);
}

static void test_print_array_and_percpu(void **state)
{
	struct tb t = tb_new();
	int name = add_array(&t, t.chr, 4);
	int nv = btf__add_struct(t.btf, "nv", 4);
	struct export_map ea, ep, en;
	struct metrics *m = metrics_make(0);
	uint32_t keys[3] = { 0, 1, 2 };
	uint64_t a1[3] = { 0, 4, 0 }, a0[3] = { 0, 0, 0 };
	uint64_t pc[2] = { 3, 4 };
	char names[2][8] = { "ab", "cd" };	/* 4-byte value, per-CPU stride 8 */

	assert_int_equal(btf__add_field(t.btf, "name", name, 0, 0), 0);
	ea = em_make(&t, "arr", OUT_PRINT, BPF_MAP_TYPE_ARRAY, t.u32, t.u64);
	ea.max_entries = 3;
	ep = em_make(&t, "pc", OUT_PRINT, BPF_MAP_TYPE_PERCPU_HASH, t.u32, t.u64);
	ep.ncpu = 2;
	en = em_make(&t, "pn", OUT_PRINT, BPF_MAP_TYPE_PERCPU_HASH, t.u32, nv);
	en.ncpu = 2;
	add_ok(m, &ea);
	add_ok(m, &ep);
	add_ok(m, &en);
	/* arrays: an element is new once non-zero, and never "removed" */
	expect_poll(m, &ea, keys, a1, 3, "{\"time\":\"T\",\"map\":\"arr\",\"key\":1,\"value\":4}\n");
	expect_poll(m, &ea, keys, a0, 3, "{\"time\":\"T\",\"map\":\"arr\",\"key\":1,\"value\":0}\n");
	expect_poll(m, &ea, keys, a0, 3, "");
	/* per-CPU numbers are summed; other values listed per CPU */
	expect_poll(m, &ep, keys, pc, 1, "{\"time\":\"T\",\"map\":\"pc\",\"key\":0,\"value\":7}\n");
	expect_poll(m, &en, keys, names, 1,
		    "{\"time\":\"T\",\"map\":\"pn\",\"key\":0,\"values\":[{\"cpu\":0,\"value\":{\"name\":\"ab\"}},"
		    "{\"cpu\":1,\"value\":{\"name\":\"cd\"}}]}\n");
	metrics_free(m);
	btf__free(t.btf);
}

/* ---- the whole body ---- */

static void test_render_self_families(void **state)
{
	struct tb t = tb_new();
	struct export_map em = em_make(&t, "ev", OUT_COUNTER, BPF_MAP_TYPE_PERF_EVENT_ARRAY, 0, ev1_type(&t));
	struct metrics *m = metrics_make(0);
	struct strbuf out = {};
	const char *b;

	add_ok(m, &em);
	metrics_events_lost(m, &em, 5);
	metrics_set_progs_attached(m, 3);
	assert_int_equal(metrics_render(m, &out), 0);
	b = sbs(&out);
	assert_lines(b, "ebpfctl_events_lost_total{", "ebpfctl_events_lost_total{map=\"ev\"} 5\n");
	assert_lines(b, "ebpfctl_programs_attached ", "ebpfctl_programs_attached 3\n");
	assert_non_null(strstr(b, "# TYPE ebpfctl_scrape_duration_seconds gauge\nebpfctl_scrape_duration_seconds "));
	/* user families first, the runner's own last; body ends in a newline */
	assert_true(strstr(b, "# TYPE ebpf_solo_io_ev_total counter") < strstr(b, "ebpfctl_"));
	assert_int_equal(b[out.len - 1], '\n');
	sb_free(&out);
	metrics_free(m);
	btf__free(t.btf);
	/* m == NULL is a no-op everywhere */
	metrics_event(NULL, &em, NULL, 0);
	assert_int_equal(metrics_render(NULL, &out), 0);
	assert_int_equal(metrics_print_poll(NULL, &out), 0);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_names),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_stab),
		cmocka_unit_test(test_hash_counter_merge),
		cmocka_unit_test(test_percpu_sum_and_struct_values),
		cmocka_unit_test(test_map_hist_percpu),
		cmocka_unit_test(test_map_hist_plain_array_no_sum),
		cmocka_unit_test(test_array_zero_entries),
		cmocka_unit_test(test_event_counter_and_max_series),
		cmocka_unit_test(test_hash_max_series),
		cmocka_unit_test(test_event_gauge),
		cmocka_unit_test(test_event_hist_log2),
		cmocka_unit_test(test_event_hist_explicit_and_exact_sum),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_name_collisions_and_labels),
		cmocka_unit_test(test_print_hash_diff),
		cmocka_unit_test(test_print_array_and_percpu),
		cmocka_unit_test(test_render_self_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
