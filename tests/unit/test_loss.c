// SPDX-License-Identifier: MIT
/*
 * Tests for runner/loss.c (include/ebpfctl_helpers.h's counters).
 *
 * Open-only: the compiled fixtures ev_flood (the helpers), ev_flood_plain (no
 * helpers) and ev_loss_decl (counters by hand, two bad ones), found through
 * EBPFCTL_TEST_BPF, are rewritten and opened with libbpf 1.1 and scanned.
 * No root: nothing is loaded, so nothing is mapped; the counters' values and
 * their place in ebpfctl_events_lost_total are tested with counters pointed
 * at memory here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "elf_rewrite.h"
#include "export.h"
#include "loss.h"
#include "metrics.h"
#include "readfile.h"
#include "rerr.h"
#include "strbuf.h"

static struct strbuf warnings;

static void sink(void *ctx, enum rlog_level level, const char *msg)
{
	if (level == RLOG_WARN) {
		sb_puts(&warnings, msg);
		sb_putc(&warnings, '\n');
	}
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

struct opened {
	void *file;
	struct bpf_object *obj;
};

static struct opened open_fixture(const char *name)
{
	const char *d = getenv("EBPFCTL_TEST_BPF");
	struct elf_maps_info info = {};
	struct rerr err = {};
	struct opened o = {};
	char path[4096];
	void *img = NULL;
	size_t len, img_len = 0;
	int e;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", d && *d ? d : "build/tests/bpf", name);
	e = read_whole_file(path, &o.file, &len);
	if (e)
		fail_msg("cannot read %s: %s (build the fixtures with `make unit`)", path, strerror(-e));
	e = elf_rewrite_maps(path, o.file, len, &img, &img_len, &info, &err);
	if (e)
		fail_msg("%s", err.msg);
	elf_maps_info_free(&info);
	o.obj = bpf_object__open_mem(img ? img : o.file, img ? img_len : len, NULL);
	free(img);
	if (!o.obj)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	return o;
}

static void close_fixture(struct opened *o)
{
	bpf_object__close(o->obj);
	free(o->file);
}

/* The helpers' counters: one per map, in .data.ebpfctl_lost, 8 bytes apart. */
static void test_scan_helpers(void **state)
{
	struct opened o = open_fixture("ev_flood");
	struct loss_set ls;
	const char *want[] = { "flood", "flood_rsv", "flood_pe" };

	sb_reset(&warnings);
	assert_int_equal(loss_scan(o.obj, NULL, &ls), 0);
	assert_int_equal(ls.n, 3);
	for (int i = 0; i < 3; i++) {
		const struct loss_counter *c = loss_claim(&ls, want[i]);

		assert_non_null(c);
		assert_string_equal(c->map, want[i]);
		assert_non_null(strstr(bpf_map__name(c->dmap), ".data.ebpfctl"));
		assert_int_equal(c->dmap, ls.c[0].dmap);	/* one section for all */
		assert_null(c->p);				/* not mapped before load */
		assert_int_equal(loss_read(c), 0);
	}
	assert_int_equal(ls.c[0].off + ls.c[1].off + ls.c[2].off, 0 + 8 + 16);
	assert_null(loss_claim(&ls, "produced"));
	loss_warn_unclaimed(&ls);
	assert_string_equal(sb_cstr(&warnings), "");
	loss_free(&ls);
	assert_int_equal(ls.n, 0);
	close_fixture(&o);
}

/* A probe without the helpers has no counters and nothing changes. */
static void test_scan_plain(void **state)
{
	struct opened o = open_fixture("ev_flood_plain");
	struct loss_set ls;
	struct bpf_map *map;

	sb_reset(&warnings);
	assert_int_equal(loss_scan(o.obj, NULL, &ls), 0);
	assert_int_equal(ls.n, 0);
	assert_null(loss_claim(&ls, "flood"));
	bpf_object__for_each_map(map, o.obj)
		assert_null(strstr(bpf_map__name(map), "ebpfctl"));
	loss_warn_unclaimed(&ls);
	assert_int_equal(loss_map(&ls), 0);
	assert_string_equal(sb_cstr(&warnings), "");
	loss_free(&ls);
	close_fixture(&o);
}

/* By hand, in .bss or .data; a 4-byte one and one for no map are warned about. */
static void test_scan_by_hand(void **state)
{
	struct opened o = open_fixture("ev_loss_decl");
	struct loss_set ls;
	const struct loss_counter *c;

	sb_reset(&warnings);
	assert_int_equal(loss_scan(o.obj, NULL, &ls), 0);
	assert_string_equal(sb_cstr(&warnings),
			    "global '__ebpfctl_lost_narrow': a loss counter must be an 8-byte integer, got u32: ignored\n");
	assert_int_equal(ls.n, 2);	/* hand, ghost */
	c = loss_claim(&ls, "hand");
	assert_non_null(c);
	assert_non_null(strstr(bpf_map__name(c->dmap), ".bss"));
	assert_null(loss_claim(&ls, "narrow"));
	sb_reset(&warnings);
	loss_warn_unclaimed(&ls);
	assert_string_equal(sb_cstr(&warnings), "global '__ebpfctl_lost_ghost': no exported ring buffer or perf event "
						"array 'ghost' to count losses for: ignored\n");
	loss_free(&ls);

	/* several objects: the warnings name the object */
	sb_reset(&warnings);
	assert_int_equal(loss_scan(o.obj, "ev_loss_decl", &ls), 0);
	loss_warn_unclaimed(&ls);
	assert_non_null(strstr(sb_cstr(&warnings), "global '__ebpfctl_lost_narrow' (object 'ev_loss_decl'): a loss"));
	assert_non_null(strstr(sb_cstr(&warnings), "global '__ebpfctl_lost_ghost' (object 'ev_loss_decl'): no "));
	loss_free(&ls);
	close_fixture(&o);
}

/* Ring buffers: the probe's count.  Perf event arrays: the larger of the
 * kernel's lost records and the probe's count, never the sum. */
static void test_total(void **state)
{
	uint64_t v = 0;
	struct loss_counter c = { .map = "x", .p = &v };

	assert_int_equal(loss_total(0, NULL), 0);
	assert_int_equal(loss_total(7, NULL), 7);
	assert_int_equal(loss_total(0, &c), 0);
	v = 5;
	assert_int_equal(loss_total(0, &c), 5);
	assert_int_equal(loss_total(3, &c), 5);
	assert_int_equal(loss_total(9, &c), 9);
	c.p = NULL;		/* unmapped */
	assert_int_equal(loss_total(2, &c), 2);
}

static const char *lost_line(struct strbuf *out, const char *map)
{
	static char line[256];
	char pfx[128];
	const char *p, *nl;

	snprintf(pfx, sizeof(pfx), "ebpfctl_events_lost_total{map=\"%s\"} ", map);
	p = strstr(sb_cstr(out), pfx);
	if (!p)
		return "";
	nl = strchr(p, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
	return line;
}

/* ebpfctl_events_lost_total reads the counter at every scrape. */
static void test_metrics_family(void **state)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "u32", 4, 0);
	int ev = btf__add_struct(btf, "ev", 4);
	struct metrics_opts mo = { 0 };
	struct metrics *m;
	struct rerr err = {};
	struct strbuf out = {};
	uint64_t v = 0;
	struct loss_counter c = { .map = "pe", .p = &v };
	struct export_map em = { .name = "pe", .metric_name = "pe", .kind = OUT_PRINT,
				 .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY, .fd = -1, .value_size = 4,
				 .btf = btf, .ncpu = 1, .is_event = true };
	struct export_map em2 = em;

	assert_true(u32 > 0 && ev > 0);
	assert_int_equal(btf__add_field(btf, "a", u32, 0, 0), 0);
	em.value_type_id = em2.value_type_id = (uint32_t)ev;
	em2.name = em2.metric_name = "other";
	assert_int_equal(metrics_new(&mo, &m), 0);
	assert_int_equal(metrics_add_map(m, &em, &err), 0);
	assert_int_equal(metrics_add_map(m, &em2, &err), 0);
	metrics_set_probe_lost(m, &em, &c);
	metrics_set_probe_lost(m, &em2, NULL);

	assert_int_equal(metrics_render(m, &out), 0);
	assert_string_equal(lost_line(&out, "pe"), "ebpfctl_events_lost_total{map=\"pe\"} 0");
	v = 41;
	sb_reset(&out);
	assert_int_equal(metrics_render(m, &out), 0);
	assert_string_equal(lost_line(&out, "pe"), "ebpfctl_events_lost_total{map=\"pe\"} 41");
	metrics_events_lost(m, &em, 40);	/* the kernel's count, behind */
	metrics_events_lost(m, &em2, 2);
	sb_reset(&out);
	assert_int_equal(metrics_render(m, &out), 0);
	assert_string_equal(lost_line(&out, "pe"), "ebpfctl_events_lost_total{map=\"pe\"} 41");
	assert_string_equal(lost_line(&out, "other"), "ebpfctl_events_lost_total{map=\"other\"} 2");
	metrics_events_lost(m, &em, 2);		/* a write without the helper */
	sb_reset(&out);
	assert_int_equal(metrics_render(m, &out), 0);
	assert_string_equal(lost_line(&out, "pe"), "ebpfctl_events_lost_total{map=\"pe\"} 42");
	sb_free(&out);
	metrics_free(m);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_helpers),
		cmocka_unit_test(test_scan_plain),
		cmocka_unit_test(test_scan_by_hand),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_metrics_family),
	};
	int rc;

	libbpf_set_print(quiet);
	rlog_set_sink(sink, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sb_free(&warnings);
	return rc;
}
