// SPDX-License-Identifier: MIT
/* Hash/array `print` maps: every --interval, read the whole map and diff it
 * against the previous read by raw key bytes.  New or changed entries get
 * {"time","map","key","value"} lines, vanished ones {"time","map","key",
 * "removed":true} (spec/json-lines.md).  An ARRAY element counts as present
 * once non-zero; arrays cannot delete, so an element that drops back to
 * zero is reported as a change to zero, not as removed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "metrics_int.h"
#include "output.h"

#define RELAXED_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

int mm_print_init(struct mm_map *mm, struct rerr *err)
{
	const struct export_map *em = mm->em;
	int e;

	e = mm_require_kv_types(mm, err);
	if (e)
		return e;
	e = fmt_plan_new(mm->btf, em->key_type_id, &mm->kplan);
	if (!e)
		e = fmt_plan_new(mm->btf, em->value_type_id, &mm->vplan);
	if (e)
		return rerr_set(err, e, "map '%s': cannot print its %s type: %s", mm->name,
				mm->kplan ? "value" : "key", strerror(-e));
	mm->v_numeric = fmt_plan_all_numeric(mm->vplan);
	e = mapread_init(&mm->rd, mm->fd, mm->type, mm->key_size, mm->value_size, mm->max_entries, mm->percpu,
			 mm->ncpu);
	if (e)
		return rerr_set(err, e, "map '%s': %s", mm->name, strerror(-e));
	stab_init(&mm->snap[0], mm->rd.vstride);
	stab_init(&mm->snap[1], mm->rd.vstride);
	return 0;
}

void mm_print_free(struct mm_map *mm)
{
	fmt_plan_free(mm->kplan);
	fmt_plan_free(mm->vplan);
	stab_free(&mm->snap[0]);
	stab_free(&mm->snap[1]);
}

static void line_head(struct mm_map *mm, const char *time, const void *key, struct strbuf *out)
{
	sb_add(out, "{\"time\":\"", 9);
	sb_puts(out, time);
	if (mm->em->object) {
		sb_add(out, "\",\"object\":\"", 12);
		fmt_json_str(out, mm->em->object, strlen(mm->em->object));
	}
	sb_add(out, "\",\"map\":\"", 9);
	sb_puts(out, mm->json_name);
	sb_add(out, "\",\"key\":", 8);
	fmt_json(mm->kplan, key, mm->key_size, out);
}

static void put_value(struct mm_map *mm, const unsigned char *val, struct strbuf *out)
{
	uint32_t stride = mm->rd.cpu_stride;

	if (!mm->percpu) {
		sb_add(out, ",\"value\":", 9);
		fmt_json(mm->vplan, val, mm->value_size, out);
		return;
	}
	if (mm->v_numeric) {
		sb_add(out, ",\"value\":", 9);
		if (!fmt_json_percpu(mm->vplan, val, stride, mm->ncpu, out))
			return;
		out->len -= 9;
	}
	/* bpftool's shape when the leaves cannot be summed */
	sb_add(out, ",\"values\":[", 11);
	for (int c = 0; c < mm->ncpu; c++) {
		if (c)
			sb_putc(out, ',');
		sb_add(out, "{\"cpu\":", 7);
		sb_u64(out, (uint64_t)c);
		sb_add(out, ",\"value\":", 9);
		fmt_json(mm->vplan, val + (size_t)c * stride, mm->value_size, out);
		sb_putc(out, '}');
	}
	sb_putc(out, ']');
}

void mm_print_entries(struct mm_map *mm, const void *keys, const void *vals, uint32_t n, const char *time,
		      struct strbuf *out)
{
	struct stab *old = &mm->snap[mm->cur], *cur = &mm->snap[mm->cur ^ 1];
	uint32_t vs = mm->rd.vstride;

	stab_reset(cur);
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *k = (const unsigned char *)keys + (size_t)i * mm->key_size;
		const unsigned char *v = (const unsigned char *)vals + (size_t)i * vs;
		uint64_t h = prom_hash(k, mm->key_size);
		int64_t oi = stab_find(old, k, mm->key_size, h);
		int64_t ni;

		if (mm->is_array && mm_all_zero(v, vs)) {
			if (oi < 0)
				continue;	/* still zero: nothing to say */
		} else {
			/* the per-key fallback read can see a key twice under churn */
			if (stab_find(cur, k, mm->key_size, h) >= 0)
				continue;
			ni = stab_add(cur, k, mm->key_size, h);
			if (ni < 0)
				continue;
			memcpy(stab_payload(cur, (uint32_t)ni), v, vs);
			if (oi >= 0 && !memcmp(stab_payload(old, (uint32_t)oi), v, vs))
				continue;	/* unchanged */
		}
		line_head(mm, time, k, out);
		put_value(mm, v, out);
		sb_add(out, "}\n", 2);
	}
	if (!mm->is_array) {
		for (uint32_t i = 0; i < old->n; i++) {
			const struct stab_rec *r = stab_rec(old, i);
			const char *k = stab_key(old, i);

			if (stab_find(cur, k, r->key_len, r->hash) >= 0)
				continue;
			line_head(mm, time, k, out);
			sb_add(out, ",\"removed\":true}\n", 17);
		}
	}
	mm->cur ^= 1;
}

int metrics_print_poll(struct metrics *m, struct strbuf *out)
{
	struct timespec ts;
	struct strbuf t = {};
	int first_err = 0;

	if (!m)
		return 0;
	for (int i = 0; i < m->nmaps; i++) {
		struct mm_map *mm = m->maps[i];
		int e;

		if (mm->kind != OUT_PRINT || mm->is_event)
			continue;
		e = mapread_all(&mm->rd);
		if (e) {
			__atomic_fetch_add(&mm->read_errors, 1, __ATOMIC_RELAXED);
			if (!mm->warned_read) {
				mm->warned_read = true;
				rwarn("map '%s': cannot read: %s (reported once)", mm->name, strerror(-e));
			}
			if (!first_err)
				first_err = e;
			continue;
		}
		RELAXED_STORE(&mm->entries, mm->rd.n);
		RELAXED_STORE(&mm->entries_known, true);
		/* one timestamp per map read: all its lines describe that moment */
		clock_gettime(CLOCK_REALTIME, &ts);
		sb_reset(&t);
		fmt_rfc3339(&t, (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		mm_print_entries(mm, mm->rd.keys, mm->rd.vals, mm->rd.n, sb_cstr(&t), out);
	}
	sb_free(&t);
	return first_err ? first_err : out->err;
}
