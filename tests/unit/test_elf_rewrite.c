// SPDX-License-Identifier: MIT
/*
 * Tests for runner/elf_rewrite.c.
 *
 * Open-only tests rewrite the compiled fixtures (tests/bpf/rw_*.bpf.c, found
 * through EBPFCTL_TEST_BPF) and open the result with libbpf 1.1, checking
 * maps, BTF ids and program relocations. Malformed-input tests feed
 * truncated, corrupted and fuzzed copies (each in an exactly-sized heap
 * buffer so valgrind/ASan see any over-read). Load tests need root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "decl_order.h"
#include "elf_rewrite.h"

#define T_NAME "t.o"

struct blob {
	unsigned char *buf;
	size_t len;
};

static char libbpf_log[16384];

/* Keep libbpf quiet but remember what it said, for failure messages. */
static int libbpf_capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t used = strlen(libbpf_log);

	if (level == LIBBPF_DEBUG || used >= sizeof(libbpf_log) - 1)
		return 0;
	return vsnprintf(libbpf_log + used, sizeof(libbpf_log) - used, fmt, ap);
}

static const char *fixture_dir(void)
{
	const char *d = getenv("EBPFCTL_TEST_BPF");

	return d && *d ? d : "build/tests/bpf";
}

static struct blob read_file(const char *path)
{
	struct blob b = {};
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		fail_msg("cannot open %s: %s (build the fixtures with `make unit`)", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	b.len = n;
	b.buf = malloc(b.len);
	assert_non_null(b.buf);
	assert_int_equal(fread(b.buf, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

static struct blob read_fixture(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.bpf.o", fixture_dir(), name);
	return read_file(path);
}

static void fixture_path(const char *name, char *path, size_t sz)
{
	snprintf(path, sz, "%s/%s.bpf.o", fixture_dir(), name);
}

/* Exactly-sized heap copy of buf[0..n) so out-of-bounds reads are caught. */
static unsigned char *dup_prefix(const unsigned char *buf, size_t n)
{
	unsigned char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, buf, n);
	return p;
}

/* Minimal trusted ELF helpers for the (valid) fixtures. */
static Elf64_Shdr *shdr(unsigned char *buf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	return (Elf64_Shdr *)(buf + eh->e_shoff) + i;
}

static const char *shname(unsigned char *buf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	return (const char *)buf + shdr(buf, eh->e_shstrndx)->sh_offset + shdr(buf, i)->sh_name;
}

static int find_sec(unsigned char *buf, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	size_t i;

	for (i = 1; i < eh->e_shnum; i++)
		if (!strcmp(shname(buf, i), name))
			return i;
	return -1;
}

static int count_secs(unsigned char *buf, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	int i, n = 0;

	for (i = 1; i < eh->e_shnum; i++)
		if (!strcmp(shname(buf, i), name))
			n++;
	return n;
}

static const char *suffix_of(const struct elf_maps_info *info, const char *map)
{
	int i;

	for (i = 0; i < info->n; i++)
		if (!strcmp(info->maps[i].map, map))
			return info->maps[i].suffix;
	return NULL;
}

/* The id __type(key|value, T) names in the BTF-defined map `map`. */
static __u32 def_target(const struct btf *btf, const char *map, const char *member)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int id, i;

	id = btf__find_by_name_kind(btf, map, BTF_KIND_VAR);
	if (id <= 0)
		return 0;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	while (btf_is_typedef(t) || btf_is_mod(t))
		t = btf__type_by_id(btf, t->type);
	if (!btf_is_struct(t))
		return 0;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		const struct btf_type *pt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), member))
			continue;
		pt = btf__type_by_id(btf, m->type);
		return btf_is_ptr(pt) ? pt->type : 0;
	}
	return 0;
}

static bool is_maps_datasec_name(const char *name)
{
	return !strcmp(name, ".maps") || !strncmp(name, ".maps.", 6);
}

/* Every BTF id and string offset survives; only .maps* DATASEC slots change
 * (to the merged ".maps" DATASEC or a `void *` placeholder). */
static void check_btf_preserved(const struct btf *orig, const struct btf *now)
{
	int merged = 0;
	__u32 id, n = btf__type_cnt(orig);

	assert_int_equal(btf__type_cnt(now), n);
	for (id = 1; id < n; id++) {
		const struct btf_type *a = btf__type_by_id(orig, id);
		const struct btf_type *b = btf__type_by_id(now, id);
		const char *an = btf__name_by_offset(orig, a->name_off);

		if (btf_is_datasec(a) && is_maps_datasec_name(an)) {
			if (btf_is_datasec(b)) {
				assert_string_equal(btf__name_by_offset(now, b->name_off), ".maps");
				merged++;
			} else {
				assert_true(btf_is_ptr(b));
				assert_int_equal(b->type, 0);
			}
			continue;
		}
		assert_int_equal(btf_kind(a), btf_kind(b));
		assert_int_equal(a->name_off, b->name_off);
		assert_string_equal(an, btf__name_by_offset(now, b->name_off));
		assert_int_equal(btf_vlen(a), btf_vlen(b));
	}
	assert_int_equal(merged, 1);
}

/* The raw rewritten image, without libbpf's fixups: one ".maps" DATASEC
 * whose size is the merged section's, vars sorted by offset and listed in
 * the same order as info, and every map symbol in .maps at its VAR offset. */
static void check_rewritten_elf(unsigned char *out, const struct elf_maps_info *info)
{
	int ms = find_sec(out, ".maps"), bs = find_sec(out, ".BTF"), ss = find_sec(out, ".symtab");
	Elf64_Shdr *sym_sh = shdr(out, ss);
	const Elf64_Sym *syms = (const Elf64_Sym *)(out + sym_sh->sh_offset);
	const char *strs = (const char *)out + shdr(out, sym_sh->sh_link)->sh_offset;
	size_t nsyms = sym_sh->sh_size / sizeof(Elf64_Sym), k;
	const struct btf_var_secinfo *vsi;
	const struct btf_type *t;
	struct btf *btf;
	int ds, i;

	assert_true(ms > 0 && bs > 0 && ss > 0);
	btf = btf__new(out + shdr(out, bs)->sh_offset, shdr(out, bs)->sh_size);
	assert_non_null(btf);
	ds = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	assert_true(ds > 0);
	t = btf__type_by_id(btf, ds);
	assert_int_equal(t->size, shdr(out, ms)->sh_size);
	assert_int_equal(btf_vlen(t), info->n);
	for (i = 0, vsi = btf_var_secinfos(t); i < btf_vlen(t); i++, vsi++) {
		const char *name = btf__name_by_offset(btf, btf__type_by_id(btf, vsi->type)->name_off);
		bool found = false;

		if (i)
			assert_true(vsi->offset >= vsi[-1].offset + vsi[-1].size);
		assert_true(vsi->offset + vsi->size <= t->size);
		assert_string_equal(name, info->maps[i].map);
		for (k = 1; k < nsyms; k++) {
			if (strcmp(strs + syms[k].st_name, name))
				continue;
			assert_int_equal(syms[k].st_shndx, ms);
			assert_int_equal(syms[k].st_value, vsi->offset);
			found = true;
		}
		assert_true(found);
	}
	btf__free(btf);
}

struct want_map {
	const char *name;
	enum bpf_map_type type;
	const char *suffix;
};

static const struct want_map multi_maps[] = {
	{ "scratch", BPF_MAP_TYPE_HASH, "" },
	{ "events", BPF_MAP_TYPE_RINGBUF, "print" },
	{ "events2", BPF_MAP_TYPE_RINGBUF, "print" },
	{ "hits", BPF_MAP_TYPE_HASH, "counter" },
	{ "level", BPF_MAP_TYPE_ARRAY, "gauge" },
	{ "lat", BPF_MAP_TYPE_PERCPU_ARRAY, "hist" },
};

static struct bpf_object *open_image(const void *img, size_t len, const char *obj_name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = obj_name);
	struct bpf_object *obj;

	libbpf_log[0] = '\0';
	obj = bpf_object__open_mem(img, len, &opts);
	if (!obj)
		fail_msg("bpf_object__open_mem(%s): %s\nlibbpf said:\n%s", obj_name, strerror(errno), libbpf_log);
	/* the rewrite must not make libbpf chatty: nothing above debug level */
	if (libbpf_log[0])
		fail_msg("libbpf printed while opening %s:\n%s", obj_name, libbpf_log);
	return obj;
}

static void check_maps(struct bpf_object *obj, const struct btf *orig, const struct elf_maps_info *info,
		       const struct want_map *want, size_t n_want)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m;
	size_t i;
	int k = 0;

	assert_int_equal(info->n, n_want);
	for (i = 0; i < n_want; i++) {
		m = bpf_object__find_map_by_name(obj, want[i].name);
		if (!m)
			fail_msg("map '%s' not found after open", want[i].name);
		assert_int_equal(bpf_map__type(m), want[i].type);
		assert_int_equal(bpf_map__btf_key_type_id(m), def_target(orig, want[i].name, "key"));
		assert_int_equal(bpf_map__btf_value_type_id(m), def_target(orig, want[i].name, "value"));
		assert_non_null(suffix_of(info, want[i].name));
		assert_string_equal(suffix_of(info, want[i].name), want[i].suffix);
	}
	/* info lists the maps in libbpf's order (user maps come first) */
	bpf_object__for_each_map(m, obj) {
		if (k >= info->n)
			break;
		assert_string_equal(bpf_map__name(m), info->maps[k].map);
		k++;
	}
	assert_int_equal(k, info->n);
	check_btf_preserved(orig, btf);
}

static void check_ringbuf_value(struct bpf_object *obj, const char *map, const char *type_name)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, map);
	const struct btf_type *t;

	assert_non_null(m);
	assert_int_equal(bpf_map__type(m), BPF_MAP_TYPE_RINGBUF);
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(m));
	assert_non_null(t);
	assert_true(btf_is_struct(t));
	assert_string_equal(btf__name_by_offset(btf, t->name_off), type_name);
}

/* A rewritten image is a fixed point: only plain .maps is left, so a second
 * pass must accept it without rewriting, listing every map with suffix "". */
static void check_fixed_point(const void *img, size_t len, int n_maps)
{
	struct elf_maps_info info2;
	struct rerr err = {};
	void *out2;
	size_t len2;
	int i;

	assert_int_equal(elf_rewrite_maps(T_NAME, img, len, &out2, &len2, &info2, &err), 0);
	assert_null(out2);
	assert_int_equal(info2.n, n_maps);
	assert_int_equal(info2.n_sections, 1);
	for (i = 0; i < info2.n; i++)
		assert_string_equal(info2.maps[i].suffix, "");
	elf_maps_info_free(&info2);
}

static void check_multi(const char *fixture)
{
	struct blob b = read_fixture(fixture);
	struct elf_maps_info info;
	struct rerr err = {};
	struct bpf_object *obj;
	struct btf *orig;
	char path[4096];
	size_t len;
	void *out;

	fixture_path(fixture, path, sizeof(path));
	orig = btf__parse_elf(path, NULL);
	assert_non_null(orig);

	assert_int_equal(elf_rewrite_maps(T_NAME, b.buf, b.len, &out, &len, &info, &err), 0);
	assert_string_equal(err.msg, "");
	assert_non_null(out);
	assert_true(len > b.len);
	assert_int_equal(info.n_sections, 5);
	/* the merged section is the one and only .maps, and
	 * no .maps.<kind> section or DATASEC is left for libbpf to trip on */
	assert_int_equal(count_secs(out, ".maps"), 1);
	assert_int_equal(find_sec(out, ".maps.print"), -1);
	assert_int_equal(find_sec(out, ".maps.counter"), -1);

	check_rewritten_elf(out, &info);

	obj = open_image(out, len, fixture);
	check_maps(obj, orig, &info, multi_maps, sizeof(multi_maps) / sizeof(multi_maps[0]));
	check_ringbuf_value(obj, "events", "event_t");
	check_ringbuf_value(obj, "events2", "key_t");
	/* program relocations against every merged section resolved */
	assert_non_null(bpf_object__find_program_by_name(obj, "on_getpid"));
	assert_non_null(bpf_object__find_program_by_name(obj, "on_sys_enter"));
	assert_int_equal(btf__find_by_name_kind(bpf_object__btf(obj), ".maps.print", BTF_KIND_DATASEC),
			 -ENOENT);
	bpf_object__close(obj);

	check_fixed_point(out, len, info.n);

	free(out);
	elf_maps_info_free(&info);
	btf__free(orig);
	free(b.buf);
}

static void test_multi(void **state)
{
	check_multi("rw_multi");
}

static void test_linked(void **state)
{
	check_multi("rw_linked");
}

static void test_mapinmap(void **state)
{
	static const struct want_map want[] = {
		{ "pad_gauge", BPF_MAP_TYPE_HASH, "gauge" },
		{ "inner_a", BPF_MAP_TYPE_ARRAY, "gauge" },
		{ "inner_b", BPF_MAP_TYPE_ARRAY, "gauge" },
		{ "outer", BPF_MAP_TYPE_ARRAY_OF_MAPS, "counter" },
		{ "jumps", BPF_MAP_TYPE_PROG_ARRAY, "print" },
		{ "outer_plain", BPF_MAP_TYPE_HASH_OF_MAPS, "" },
	};
	struct blob b = read_fixture("rw_mapinmap");
	struct elf_maps_info info;
	struct rerr err = {};
	struct bpf_object *obj;
	struct bpf_map *outer;
	struct btf *orig;
	char path[4096];
	size_t len;
	void *out;

	fixture_path("rw_mapinmap", path, sizeof(path));
	orig = btf__parse_elf(path, NULL);
	assert_non_null(orig);
	/* the fixture must really carry .rel.maps.* for this to mean much */
	assert_true(find_sec(b.buf, ".rel.maps.counter") > 0);
	assert_true(find_sec(b.buf, ".rel.maps.print") > 0);

	assert_int_equal(elf_rewrite_maps(T_NAME, b.buf, b.len, &out, &len, &info, &err), 0);
	assert_non_null(out);
	assert_int_equal(info.n_sections, 4);
	assert_int_equal(count_secs(out, ".rel.maps"), 2);
	assert_int_equal(find_sec(out, ".rel.maps.counter"), -1);
	assert_int_equal(shdr(out, find_sec(out, ".rel.maps"))->sh_info, find_sec(out, ".maps"));

	check_rewritten_elf(out, &info);
	obj = open_image(out, len, "rw_mapinmap");
	check_maps(obj, orig, &info, want, sizeof(want) / sizeof(want[0]));
	outer = bpf_object__find_map_by_name(obj, "outer");
	assert_non_null(bpf_map__inner_map(outer));
	assert_non_null(bpf_map__inner_map(bpf_object__find_map_by_name(obj, "outer_plain")));
	bpf_object__close(obj);
	check_fixed_point(out, len, info.n);

	free(out);
	elf_maps_info_free(&info);
	btf__free(orig);
	free(b.buf);
}

static void test_prefix(void **state)
{
	static const struct want_map want[] = {
		{ "print_events", BPF_MAP_TYPE_RINGBUF, "" },
		{ "counter_hits", BPF_MAP_TYPE_HASH, "" },
		{ "counter_level", BPF_MAP_TYPE_ARRAY, "gauge" },
	};
	struct blob b = read_fixture("rw_prefix");
	struct elf_maps_info info;
	struct rerr err = {};
	struct bpf_object *obj;
	struct btf *orig;
	char path[4096];
	size_t len;
	void *out;

	fixture_path("rw_prefix", path, sizeof(path));
	orig = btf__parse_elf(path, NULL);
	assert_non_null(orig);
	assert_int_equal(elf_rewrite_maps(T_NAME, b.buf, b.len, &out, &len, &info, &err), 0);
	assert_non_null(out);
	assert_int_equal(info.n_sections, 2);
	check_rewritten_elf(out, &info);
	obj = open_image(out, len, "rw_prefix");
	check_maps(obj, orig, &info, want, sizeof(want) / sizeof(want[0]));
	check_ringbuf_value(obj, "print_events", "event_t");
	bpf_object__close(obj);
	free(out);
	elf_maps_info_free(&info);
	btf__free(orig);
	free(b.buf);
}

/* Only plain .maps: validated, listed, but handed back untouched. */
static void test_plain_no_rewrite(void **state)
{
	struct blob b = read_fixture("rw_plain");
	struct elf_maps_info info;
	struct rerr err = {};
	struct bpf_object *obj;
	size_t len = 123;
	void *out = (void *)1;

	assert_int_equal(elf_rewrite_maps(T_NAME, b.buf, b.len, &out, &len, &info, &err), 0);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_int_equal(info.n_sections, 1);
	assert_int_equal(info.n, 2);
	assert_string_equal(suffix_of(&info, "counter_calls"), "");
	assert_string_equal(suffix_of(&info, "other"), "");
	obj = open_image(b.buf, b.len, "rw_plain");
	bpf_object__close(obj);
	elf_maps_info_free(&info);
	free(b.buf);
}

/* Run the rewriter on buf[0..n) and expect failure with exactly `msg`
 * (or, with prefix=true, a message starting with msg). */
static void expect_error(const void *buf, size_t n, bool prefix, const char *msg)
{
	struct elf_maps_info info;
	struct rerr err = {};
	unsigned char *copy = dup_prefix(buf, n);
	void *out = NULL;
	size_t len = 0;
	int ret;

	ret = elf_rewrite_maps(T_NAME, copy, n, &out, &len, &info, &err);
	if (ret >= 0)
		fail_msg("length %zu: expected '%s', got success", n, msg);
	assert_int_equal(ret, err.code);
	assert_null(out);
	assert_int_equal(info.n, 0);
	assert_null(info.maps);
	if (prefix ? strncmp(err.msg, msg, strlen(msg)) : strcmp(err.msg, msg))
		fail_msg("length %zu: expected '%s', got '%s'", n, msg, err.msg);
	free(copy);
}

static void test_not_elf(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not an object\n";
	struct elf_maps_info info;
	struct rerr err = {};
	void *out;
	size_t len;

	expect_error(text, sizeof(text), false, T_NAME ": not an ELF file");
	expect_error(text, 0, false, T_NAME ": not an ELF file");
	expect_error("\177EL", 3, false, T_NAME ": not an ELF file");
	assert_int_equal(elf_rewrite_maps(T_NAME, NULL, 0, &out, &len, &info, &err), -ENOEXEC);
	assert_string_equal(err.msg, T_NAME ": not an ELF file");
}

static void check_truncations(const char *fixture)
{
	struct blob b = read_fixture(fixture);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b.buf;
	size_t n, i;

	for (n = 0; n < b.len; n += (n < 80 ? 1 : 64)) {
		if (n < SELFMAG)
			expect_error(b.buf, n, false, T_NAME ": not an ELF file");
		else if (n < sizeof(Elf64_Ehdr))
			expect_error(b.buf, n, false, T_NAME ": truncated ELF (ELF header)");
		else
			expect_error(b.buf, n, false, T_NAME ": truncated ELF (section header table)");
	}
	expect_error(b.buf, b.len - 1, false, T_NAME ": truncated ELF (section header table)");
	for (i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = shdr(b.buf, i);

		if (sh->sh_offset > sizeof(Elf64_Ehdr) && sh->sh_offset < b.len)
			expect_error(b.buf, sh->sh_offset, true, T_NAME ": truncated ELF (");
		if (sh->sh_offset + sh->sh_size > sizeof(Elf64_Ehdr) && sh->sh_offset + sh->sh_size < b.len)
			expect_error(b.buf, sh->sh_offset + sh->sh_size, true, T_NAME ": truncated ELF (");
		if (eh->e_shoff + i * sizeof(Elf64_Shdr) < b.len)
			expect_error(b.buf, eh->e_shoff + i * sizeof(Elf64_Shdr) + 1, false,
				     T_NAME ": truncated ELF (section header table)");
	}
	free(b.buf);
}

static void test_truncated(void **state)
{
	check_truncations("rw_multi");
	check_truncations("rw_mapinmap");
	check_truncations("rw_linked");
	check_truncations("rw_plain");
}

/* Section headers intact, but one section's data points past the end. */
static void test_section_out_of_bounds(void **state)
{
	struct blob b = read_fixture("rw_multi");
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b.buf;
	char msg[256];
	size_t i;

	for (i = 1; i < eh->e_shnum; i++) {
		unsigned char *c = dup_prefix(b.buf, b.len);
		Elf64_Shdr *sh = shdr(c, i);
		Elf64_Shdr save = *sh;

		if (sh->sh_type == SHT_NOBITS) {
			free(c);
			continue;
		}
		snprintf(msg, sizeof(msg), T_NAME ": truncated ELF (section %zu out of bounds)", i);
		sh->sh_offset = b.len - sh->sh_size + 1;
		expect_error(c, b.len, false, msg);
		*sh = save;
		sh->sh_size = UINT64_MAX - 4;
		expect_error(c, b.len, false, msg);
		*sh = save;
		sh->sh_offset = UINT64_MAX;
		expect_error(c, b.len, false, msg);
		*sh = save;
		/* a name outside the section name table */
		snprintf(msg, sizeof(msg), T_NAME ": truncated ELF (name of section %zu out of bounds)", i);
		sh->sh_name = 0xfffffff0;
		expect_error(c, b.len, false, msg);
		free(c);
	}
	free(b.buf);
}

static void test_header_fields(void **state)
{
	struct blob b = read_fixture("rw_multi");
	struct blob self = read_file("/proc/self/exe");
	unsigned char *c = dup_prefix(b.buf, b.len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)c;
	struct elf_maps_info info;
	struct rerr err = {};
	int symtab;
	void *out;
	size_t len;
	char msg[256];

	c[EI_CLASS] = ELFCLASS32;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (not a 64-bit ELF file)");
	c[EI_CLASS] = ELFCLASS64;
	c[EI_DATA] = ELFDATA2MSB;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (not little-endian)");
	c[EI_DATA] = ELFDATA2LSB;

	eh->e_machine = EM_X86_64;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (machine 62 is not BPF)");
	eh->e_machine = EM_NONE;	/* old LLVM wrote 0: accepted */
	assert_int_equal(elf_rewrite_maps(T_NAME, c, b.len, &out, &len, &info, &err), 0);
	free(out);
	elf_maps_info_free(&info);
	eh->e_machine = EM_BPF;

	eh->e_type = ET_EXEC;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (not a relocatable object file, ELF type 2)");
	eh->e_type = ET_REL;

	eh->e_shnum = 0;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (extended section numbering is not supported)");
	eh->e_shoff = 0;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (no section headers)");
	memcpy(c, b.buf, sizeof(*eh));

	eh->e_shstrndx = SHN_XINDEX;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (extended section numbering is not supported)");
	eh->e_shstrndx = eh->e_shnum;
	snprintf(msg, sizeof(msg), T_NAME ": truncated ELF (section name table %u out of bounds)", eh->e_shnum);
	expect_error(c, b.len, false, msg);
	memcpy(c, b.buf, sizeof(*eh));

	eh->e_shentsize = 40;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (section header size 40)");
	memcpy(c, b.buf, sizeof(*eh));

	eh->e_shoff = UINT64_MAX - 8;
	expect_error(c, b.len, false, T_NAME ": truncated ELF (section header table)");
	eh->e_shoff = b.len;
	expect_error(c, b.len, false, T_NAME ": truncated ELF (section header table)");
	memcpy(c, b.buf, sizeof(*eh));

	symtab = find_sec(c, ".symtab");
	assert_true(symtab > 0);
	shdr(c, symtab)->sh_link = 0xffff;
	expect_error(c, b.len, false, T_NAME ": truncated ELF (symbol string table 65535 out of bounds)");
	shdr(c, symtab)->sh_link = shdr(b.buf, symtab)->sh_link;
	shdr(c, symtab)->sh_entsize = 16;
	expect_error(c, b.len, false, T_NAME ": not a BPF object (symbol size 16)");
	shdr(c, symtab)->sh_entsize = sizeof(Elf64_Sym);

	/* the test binary itself: an x86-64 executable */
	expect_error(self.buf, self.len, true, T_NAME ": not a BPF object (");
	free(self.buf);
	free(c);
	free(b.buf);
}

/* A map symbol whose name lies outside the string table. */
static void test_symbol_name(void **state)
{
	struct blob b = read_fixture("rw_multi");
	unsigned char *c = dup_prefix(b.buf, b.len);
	int symtab = find_sec(c, ".symtab");
	Elf64_Shdr *sh = shdr(c, symtab);
	Elf64_Sym *syms = (Elf64_Sym *)(c + sh->sh_offset);
	size_t i, n = sh->sh_size / sizeof(Elf64_Sym), hit = 0;
	char msg[256];

	for (i = 1; i < n; i++) {
		const char *name = (const char *)c + shdr(c, sh->sh_link)->sh_offset + syms[i].st_name;

		if (!strcmp(name, "events"))
			hit = i;
	}
	assert_true(hit > 0);
	syms[hit].st_name = shdr(c, sh->sh_link)->sh_size;
	snprintf(msg, sizeof(msg), T_NAME ": truncated ELF (name of symbol %zu out of bounds)", hit);
	expect_error(c, b.len, false, msg);

	/* the same map symbol moved out of .maps.print: its BTF VAR then has
	 * no symbol to take an offset from (clang DATASECs have size 0) */
	syms[hit].st_name = 0;
	memcpy(c, b.buf, b.len);
	syms[hit].st_shndx = find_sec(c, "license");
	expect_error(c, b.len, false, T_NAME ": bad BTF: map 'events' in DATASEC '.maps.print' has no ELF symbol");
	free(c);
	free(b.buf);
}

static void test_no_btf(void **state)
{
	struct blob b = read_fixture("rw_multi");
	unsigned char *c = dup_prefix(b.buf, b.len);
	int btf = find_sec(c, ".BTF");
	struct elf_maps_info info;
	struct rerr err = {};
	char *name;
	void *out;
	size_t len;

	assert_true(btf > 0);
	/* rename in place: ".BTF" -> ".XTF" (may rename .rel.BTF too) */
	name = (char *)shname(c, btf);
	name[1] = 'X';
	assert_int_equal(elf_rewrite_maps(T_NAME, c, b.len, &out, &len, &info, &err), -ENOENT);
	assert_null(out);
	assert_string_equal(err.msg, T_NAME ": no BTF (.BTF section missing)");
	assert_string_equal(err.hint, "compile with clang -g");

	/* plain-only objects need BTF just the same */
	free(c);
	free(b.buf);
	b = read_fixture("rw_plain");
	c = dup_prefix(b.buf, b.len);
	name = (char *)shname(c, find_sec(c, ".BTF"));
	name[1] = 'X';
	expect_error(c, b.len, false, T_NAME ": no BTF (.BTF section missing)");
	free(c);
	free(b.buf);
}

struct btf_corruption {
	const char *what;
	size_t field;		/* byte offset inside the .BTF section */
	int width;		/* 2 or 4 */
	uint32_t value;
	const char *msg;
};

static void poke(unsigned char *p, int width, uint32_t v)
{
	if (width == 2) {
		uint16_t s = v;

		memcpy(p, &s, 2);
	} else {
		memcpy(p, &v, 4);
	}
}

static void test_bad_btf(void **state)
{
	struct blob b = read_fixture("rw_multi");
	int bi = find_sec(b.buf, ".BTF");
	Elf64_Shdr *bsh = shdr(b.buf, bi);
	struct btf_header h;
	const struct btf_corruption table[] = {
		{ "magic", offsetof(struct btf_header, magic), 2, 0, "bad magic 0x0000" },
		{ "magic be", offsetof(struct btf_header, magic), 2, 0x9feb, "bad magic 0x9feb (big-endian BTF)" },
		{ "version", offsetof(struct btf_header, version), 1, 2, "unsupported version 2" },
		{ "hdr_len small", offsetof(struct btf_header, hdr_len), 4, 8, "header length out of bounds" },
		{ "hdr_len big", offsetof(struct btf_header, hdr_len), 4, 0x7fffffff, "header length out of bounds" },
		{ "type_len", offsetof(struct btf_header, type_len), 4, 0xfffffffc, "type section out of bounds" },
		{ "type_off", offsetof(struct btf_header, type_off), 4, 0xfffffff0, "type section out of bounds" },
		{ "type_off odd", offsetof(struct btf_header, type_off), 4, 2, "type section not 4-byte aligned" },
		{ "str_len", offsetof(struct btf_header, str_len), 4, 0xffffffff, "string section out of bounds" },
		{ "str_off", offsetof(struct btf_header, str_off), 4, 0xfffffff0, "string section out of bounds" },
		{ "str_len 0", offsetof(struct btf_header, str_len), 4, 0, "string section not NUL-terminated" },
		{ "type_len 4", offsetof(struct btf_header, type_len), 4, 4, "type 1 truncated" },
		{ "kind 31", sizeof(struct btf_header) + 4, 4, 31u << 24, "type 1 has unknown kind 31" },
		{ "kind 0", sizeof(struct btf_header) + 4, 4, 0, "type 1 has unknown kind 0" },
		{ "huge vlen", sizeof(struct btf_header) + 4, 4, (BTF_KIND_STRUCT << 24) | 0xffff,
		  "type 1 truncated" },
	};
	char msg[256];
	size_t i;

	memcpy(&h, b.buf + bsh->sh_offset, sizeof(h));
	assert_int_equal(h.hdr_len, sizeof(h));
	assert_int_equal(h.type_off, 0);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		unsigned char *c = dup_prefix(b.buf, b.len);

		if (table[i].width == 1)
			c[bsh->sh_offset + table[i].field] = table[i].value;
		else
			poke(c + bsh->sh_offset + table[i].field, table[i].width, table[i].value);
		snprintf(msg, sizeof(msg), T_NAME ": bad BTF: %s", table[i].msg);
		expect_error(c, b.len, false, msg);
		free(c);
	}

	/* string table whose last byte is not NUL */
	{
		unsigned char *c = dup_prefix(b.buf, b.len);

		poke(c + bsh->sh_offset + offsetof(struct btf_header, str_len), 4, h.str_len - 1);
		expect_error(c, b.len, false, T_NAME ": bad BTF: string section not NUL-terminated");
		/* section too small for a header */
		memcpy(c, b.buf, b.len);
		shdr(c, bi)->sh_size = 10;
		expect_error(c, b.len, false, T_NAME ": bad BTF: header truncated");
		shdr(c, bi)->sh_type = SHT_NOBITS;
		expect_error(c, b.len, false, T_NAME ": bad BTF: section has no data");
		free(c);
	}

	/* a .maps.print DATASEC member that is not a VAR */
	{
		struct btf *btf = btf__new(b.buf + bsh->sh_offset, bsh->sh_size);
		int ds = btf__find_by_name_kind(btf, ".maps.print", BTF_KIND_DATASEC);
		const struct btf_type *t1, *td;
		size_t off;
		unsigned char *c;

		assert_non_null(btf);
		assert_true(ds > 0);
		t1 = btf__type_by_id(btf, 1);
		td = btf__type_by_id(btf, ds);
		assert_false(btf_is_var(t1));
		/* libbpf keeps the type section contiguous: raw offset */
		off = bsh->sh_offset + h.hdr_len + h.type_off + ((const char *)td - (const char *)t1) +
		      sizeof(struct btf_type);
		c = dup_prefix(b.buf, b.len);
		poke(c + off, 4, 1);
		expect_error(c, b.len, false, T_NAME ": bad BTF: DATASEC '.maps.print' member 0 is not a VAR");
		poke(c + off, 4, 0x00ffffff);
		expect_error(c, b.len, false, T_NAME ": bad BTF: DATASEC '.maps.print' member 0 is not a VAR");
		poke(c + off, 4, 0);
		expect_error(c, b.len, false, T_NAME ": bad BTF: DATASEC '.maps.print' member 0 is not a VAR");
		/* DATASEC name outside the string table */
		memcpy(c, b.buf, b.len);
		poke(c + off - sizeof(struct btf_type), 4, h.str_len + 5);
		snprintf(msg, sizeof(msg), T_NAME ": bad BTF: type %d name out of bounds", ds);
		expect_error(c, b.len, false, msg);
		free(c);
		btf__free(btf);
	}
	free(b.buf);
}

/* Random corruption of the fixtures: the rewriter may accept or reject,
 * but never crash or over-read, and whatever it produces must be accepted
 * by a second pass (a rewritten image is a fixed point). */
static void fuzz_one(const struct blob *b, unsigned int seed, int rounds)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->buf;
	int bi = find_sec(b->buf, ".BTF"), si = find_sec(b->buf, ".symtab");
	/* hot spots: ELF header, section headers, BTF, symbols */
	const size_t spot_off[] = { 0, eh->e_shoff, shdr(b->buf, bi)->sh_offset, shdr(b->buf, si)->sh_offset, 0 };
	const size_t spot_len[] = { sizeof(*eh), (size_t)eh->e_shnum * sizeof(Elf64_Shdr),
				    shdr(b->buf, bi)->sh_size, shdr(b->buf, si)->sh_size, b->len };
	unsigned char *c = malloc(b->len);
	int r, accepted = 0;

	assert_non_null(c);
	srand(seed);
	for (r = 0; r < rounds; r++) {
		struct elf_maps_info info;
		struct rerr err = {};
		int flips = 1 + rand() % 4, k, ret;
		void *out;
		size_t len;

		memcpy(c, b->buf, b->len);
		for (k = 0; k < flips; k++) {
			int s = rand() % 5;
			size_t at = spot_off[s] + (size_t)rand() % spot_len[s];

			if (rand() % 2)
				c[at] ^= 1u << (rand() % 8);
			else
				c[at] = rand();
		}
		ret = elf_rewrite_maps(T_NAME, c, b->len, &out, &len, &info, &err);
		if (ret) {
			assert_int_equal(ret, err.code);
			assert_true(ret < 0);
			assert_int_equal(strncmp(err.msg, T_NAME ": ", strlen(T_NAME ": ")), 0);
			continue;
		}
		accepted++;
		if (out) {
			unsigned char *o = dup_prefix(out, len);

			free(out);
			elf_maps_info_free(&info);
			ret = elf_rewrite_maps(T_NAME, o, len, &out, &len, &info, &err);
			if (ret)
				fail_msg("seed %u round %d: second pass failed: %s", seed, r, err.msg);
			assert_null(out);
			free(o);
		}
		elf_maps_info_free(&info);
	}
	/* the corpus is not all rejections: mutations of unused bytes pass */
	assert_true(accepted > 0);
	free(c);
}

static void test_fuzz(void **state)
{
	static const char *const names[] = { "rw_multi", "rw_mapinmap", "rw_linked", "rw_prefix" };
	const char *env = getenv("EBPFCTL_FUZZ_ROUNDS");
	int rounds = env ? atoi(env) : 3000;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct blob b = read_fixture(names[i]);

		fuzz_one(&b, 0x5eed + i, rounds);
		free(b.buf);
	}
}

/* ---- load tests (root) ------------------------------------------------ */

static bool can_load(void)
{
	if (geteuid() != 0) {
		print_message("skipped: loading BPF programs needs root (or CAP_BPF + CAP_PERFMON)\n");
		return false;
	}
	return true;
}

/* libbpf-facts 2.5: a ringbuf with a value type cannot be created by
 * libbpf 1.1; record the type, then hand libbpf a ringbuf we created. */
static void precreate_ringbufs(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		int fd;

		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			continue;
		assert_true(bpf_map__btf_value_type_id(m) != 0);
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, bpf_map__name(m), 0, 0, bpf_map__max_entries(m), NULL);
		assert_true(fd >= 0);
		assert_int_equal(bpf_map__reuse_fd(m, fd), 0);
		close(fd);
	}
}

static struct bpf_object *rewrite_open(const char *fixture, struct elf_maps_info *info)
{
	struct blob b = read_fixture(fixture);
	struct rerr err = {};
	struct bpf_object *obj;
	size_t len;
	void *out;

	assert_int_equal(elf_rewrite_maps(T_NAME, b.buf, b.len, &out, &len, info, &err), 0);
	assert_non_null(out);
	obj = open_image(out, len, fixture);
	/* libbpf copied what it needs: the image can go now */
	free(out);
	free(b.buf);
	return obj;
}

static void load_or_fail(struct bpf_object *obj, const char *what)
{
	int ret;

	libbpf_log[0] = '\0';
	ret = bpf_object__load(obj);
	if (ret)
		fail_msg("bpf_object__load(%s): %s\nlibbpf said:\n%s", what, strerror(-ret), libbpf_log);
	/* with pre-created ringbufs libbpf has nothing to warn about */
	if (libbpf_log[0])
		fail_msg("libbpf printed while loading %s:\n%s", what, libbpf_log);
}

static void test_load_multi(void **state)
{
	struct elf_maps_info info;
	struct bpf_object *obj;
	const char *fx[] = { "rw_multi", "rw_linked" };
	size_t i;

	if (!can_load())
		return;
	for (i = 0; i < 2; i++) {
		__u32 zero = 0;
		__s64 v = 0;
		__u32 ev_type;

		obj = rewrite_open(fx[i], &info);
		ev_type = bpf_map__btf_value_type_id(bpf_object__find_map_by_name(obj, "events"));
		precreate_ringbufs(obj);
		load_or_fail(obj, fx[i]);
		/* the recorded type survives in the object's BTF */
		assert_string_equal(btf__name_by_offset(bpf_object__btf(obj),
							btf__type_by_id(bpf_object__btf(obj), ev_type)->name_off),
				    "event_t");
		assert_int_equal(bpf_map__type(bpf_object__find_map_by_name(obj, "events")), BPF_MAP_TYPE_RINGBUF);
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "level")),
						     &zero, &v), 0);
		bpf_object__close(obj);
		elf_maps_info_free(&info);
	}
}

static __u32 fd_id(int fd)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &pi, &len), 0);
	return pi.id;
}

static __u32 map_id(struct bpf_map *m)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);

	assert_int_equal(bpf_obj_get_info_by_fd(bpf_map__fd(m), &mi, &len), 0);
	return mi.id;
}

/* The .values initialisers went through the retargeted .rel.maps: the
 * kernel's outer map and prog array hold exactly the right objects. */
static void test_load_mapinmap(void **state)
{
	struct elf_maps_info info;
	struct bpf_object *obj;
	int outer, jumps;
	__u32 k, id;

	if (!can_load())
		return;
	obj = rewrite_open("rw_mapinmap", &info);
	load_or_fail(obj, "rw_mapinmap");
	outer = bpf_map__fd(bpf_object__find_map_by_name(obj, "outer"));
	jumps = bpf_map__fd(bpf_object__find_map_by_name(obj, "jumps"));

	k = 0;
	assert_int_equal(bpf_map_lookup_elem(outer, &k, &id), 0);
	assert_int_equal(id, map_id(bpf_object__find_map_by_name(obj, "inner_a")));
	k = 1;
	assert_int_equal(bpf_map_lookup_elem(outer, &k, &id), 0);
	assert_int_equal(id, map_id(bpf_object__find_map_by_name(obj, "inner_b")));

	k = 1;
	assert_int_equal(bpf_map_lookup_elem(jumps, &k, &id), 0);
	assert_int_equal(id, fd_id(bpf_program__fd(bpf_object__find_program_by_name(obj, "tail_a"))));
	k = 3;
	assert_int_equal(bpf_map_lookup_elem(jumps, &k, &id), 0);
	assert_int_equal(id, fd_id(bpf_program__fd(bpf_object__find_program_by_name(obj, "tail_b"))));
	k = 0;
	assert_int_not_equal(bpf_map_lookup_elem(jumps, &k, &id), 0);

	bpf_object__close(obj);
	elf_maps_info_free(&info);
}

/* Declaration order from DWARF (the fixtures keep it): m_order declares
 * first_calls, second_level, third_calls and uses them in reverse; cut or
 * corrupted objects never crash the reader. */
static void test_decl_order(void **state)
{
	struct blob b = read_fixture("m_order");
	struct decl_order d;
	uint32_t seed = 12345;

	assert_int_equal(decl_order_read(b.buf, b.len, &d), 0);
	assert_true(decl_order_rank(&d, "first_calls") >= 0);
	assert_true(decl_order_rank(&d, "first_calls") < decl_order_rank(&d, "second_level"));
	assert_true(decl_order_rank(&d, "second_level") < decl_order_rank(&d, "third_calls"));
	assert_int_equal(decl_order_rank(&d, "nosuch"), -1);
	decl_order_free(&d);
	for (size_t n = 0; n < b.len; n += 1 + n / 16) {
		unsigned char *p = dup_prefix(b.buf, n);

		if (!decl_order_read(p, n, &d))
			decl_order_free(&d);
		free(p);
	}
	for (int i = 0; i < 300; i++) {
		unsigned char *p = dup_prefix(b.buf, b.len);

		for (int k = 0; k < 8; k++) {
			seed = seed * 1103515245u + 12345u;
			p[(seed >> 8) % b.len] ^= (unsigned char)(seed >> 24 | 1);
		}
		if (!decl_order_read(p, b.len, &d))
			decl_order_free(&d);
		free(p);
	}
	free(b.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_linked),
		cmocka_unit_test(test_mapinmap),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_plain_no_rewrite),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_section_out_of_bounds),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_symbol_name),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_bad_btf),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_load_multi),
		cmocka_unit_test(test_load_mapinmap),
		cmocka_unit_test(test_decl_order),
	};

	libbpf_set_print(libbpf_capture);
	return cmocka_run_group_tests_name("elf_rewrite", tests, NULL, NULL);
}
