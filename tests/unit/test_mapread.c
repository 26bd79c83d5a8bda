// SPDX-License-Identifier: MIT
/*
 * Tests for runner/mapread.c against real kernel maps (created with
 * bpf_map_create, no program needed): batch reads, the -ENOSPC growth path
 * (forced with a batch of 1), the get_next_key fallback, per-CPU layout,
 * arrays and empty maps.  Creating maps needs CAP_BPF: without it every
 * test is skipped and says so.
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
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapread.h"

static int make_map(enum bpf_map_type type, uint32_t vsize, uint32_t max)
{
	int fd = bpf_map_create(type, "t_mapread", 4, vsize, max, NULL);

	if (fd == -EPERM || fd == -EACCES)
		skip();		/* not privileged: nothing to test against */
	assert_true(fd >= 0);
	return fd;
}

/* keys 0..n-1 (hash: key i*7+1), value i*3 on every CPU (+cpu for per-CPU) */
static void fill(int fd, bool hash, bool percpu, int ncpu, uint32_t n)
{
	uint64_t *v = calloc((size_t)ncpu, 8);

	assert_non_null(v);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = hash ? i * 7 + 1 : i;

		for (int c = 0; c < (percpu ? ncpu : 1); c++)
			v[c] = (uint64_t)i * 3 + (uint64_t)c;
		assert_int_equal(bpf_map_update_elem(fd, &k, v, BPF_ANY), 0);
	}
	free(v);
}

static void check(const struct mapread *r, bool hash, bool percpu, int ncpu, uint32_t n)
{
	unsigned char *seen = calloc(n, 1);

	assert_int_equal(r->n, n);
	for (uint32_t i = 0; i < r->n; i++) {
		uint32_t k;
		uint32_t idx;

		memcpy(&k, mapread_key(r, i), 4);
		idx = hash ? (k - 1) / 7 : k;
		assert_true(idx < n);
		assert_false(seen[idx]);
		seen[idx] = 1;
		for (int c = 0; c < (percpu ? ncpu : 1); c++) {
			uint64_t v;

			memcpy(&v, (const char *)mapread_val(r, i) + (size_t)c * r->cpu_stride, 8);
			assert_int_equal(v, (uint64_t)idx * 3 + (uint64_t)c);
		}
	}
	free(seen);
}

static void read_three_ways(enum bpf_map_type type, bool hash, bool percpu, uint32_t max, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = make_map(type, 8, max);
	struct mapread r;

	assert_true(ncpu > 0);
	fill(fd, hash, percpu, ncpu, n);
	assert_int_equal(mapread_init(&r, fd, type, 4, 8, max, percpu, ncpu), 0);
	assert_int_equal(r.vstride, percpu ? 8u * (uint32_t)ncpu : 8u);

	/* batched: a handful of syscalls */
	assert_int_equal(mapread_all(&r), 0);
	check(&r, hash, percpu, ncpu, hash ? n : max);
	assert_false(r.no_batch);
	assert_true(r.syscalls <= 4);
	/* again, with the buffers already grown */
	assert_int_equal(mapread_all(&r), 0);
	check(&r, hash, percpu, ncpu, hash ? n : max);

	/* one entry per call: a hash bucket with two entries answers -ENOSPC,
	 * the reader must grow and retry without losing or repeating entries */
	r.batch_max = 1;
	assert_int_equal(mapread_all(&r), 0);
	check(&r, hash, percpu, ncpu, hash ? n : max);
	r.batch_max = 0;

	/* the get_next_key + lookup fallback */
	mapread_set_no_batch(&r, true);
	assert_int_equal(mapread_all(&r), 0);
	check(&r, hash, percpu, ncpu, hash ? n : max);
	assert_true(r.syscalls >= 2 * (uint64_t)(hash ? n : max));

	mapread_free(&r);
	close(fd);
}

static void test_hash(void **state)
{
	read_three_ways(BPF_MAP_TYPE_HASH, true, false, 4096, 3000);
}

static void test_lru_hash(void **state)
{
	read_three_ways(BPF_MAP_TYPE_LRU_HASH, true, false, 4096, 1000);
}

static void test_percpu_hash(void **state)
{
	read_three_ways(BPF_MAP_TYPE_PERCPU_HASH, true, true, 1024, 1000);
}

static void test_lru_percpu_hash(void **state)
{
	read_three_ways(BPF_MAP_TYPE_LRU_PERCPU_HASH, true, true, 1024, 500);
}

static void test_array(void **state)
{
	read_three_ways(BPF_MAP_TYPE_ARRAY, false, false, 300, 300);
}

static void test_percpu_array(void **state)
{
	read_three_ways(BPF_MAP_TYPE_PERCPU_ARRAY, false, true, 100, 100);
}

static void test_empty_and_small(void **state)
{
	int fd = make_map(BPF_MAP_TYPE_HASH, 8, 16);
	struct mapread r;
	uint32_t k = 5;
	uint64_t v = 9;

	assert_int_equal(mapread_init(&r, fd, BPF_MAP_TYPE_HASH, 4, 8, 16, false, 1), 0);
	assert_int_equal(mapread_all(&r), 0);
	assert_int_equal(r.n, 0);
	/* -ENOENT with a partial last batch still delivers that batch */
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	assert_int_equal(mapread_all(&r), 0);
	assert_int_equal(r.n, 1);
	assert_memory_equal(mapread_key(&r, 0), &k, 4);
	assert_memory_equal(mapread_val(&r, 0), &v, 8);
	/* a vanished entry vanishes from the next read */
	assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
	assert_int_equal(mapread_all(&r), 0);
	assert_int_equal(r.n, 0);
	mapread_free(&r);
	close(fd);
}

static void test_bad_fd(void **state)
{
	struct mapread r;

	assert_int_equal(mapread_init(&r, 1000000, BPF_MAP_TYPE_HASH, 4, 8, 16, false, 1), 0);
	assert_true(mapread_all(&r) < 0);
	mapread_free(&r);
	assert_int_equal(mapread_init(&r, 3, BPF_MAP_TYPE_HASH, 0, 8, 16, false, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_lru_hash),
		cmocka_unit_test(test_percpu_hash),
		cmocka_unit_test(test_lru_percpu_hash),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_percpu_array),
		cmocka_unit_test(test_empty_and_small),
		cmocka_unit_test(test_bad_fd),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
