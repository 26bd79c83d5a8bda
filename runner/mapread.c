// SPDX-License-Identifier: MIT
/* Whole-map reads: BPF_MAP_LOOKUP_BATCH with a per-key fallback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapread.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524		/* kernel-internal "not supported", leaks out of bpf() */
#endif

/* Per call: big enough to amortise the syscall, small enough that the
 * kernel's temporary copy stays modest (it allocates count * entry bytes). */
#define BATCH_MAX 16384u

int mapread_init(struct mapread *r, int fd, uint32_t map_type, uint32_t key_size, uint32_t value_size,
		 uint32_t max_entries, bool percpu, int ncpu)
{
	size_t csz = key_size > 8 ? key_size : 8;

	memset(r, 0, sizeof(*r));
	if (!key_size || (percpu && ncpu <= 0))
		return -EINVAL;
	r->fd = fd;
	r->map_type = map_type;
	r->key_size = key_size;
	r->value_size = value_size;
	r->max_entries = max_entries;
	r->ncpu = percpu ? ncpu : 1;
	/* the kernel lays per-CPU values out 8-byte aligned, one per possible CPU */
	r->cpu_stride = percpu ? (value_size + 7) & ~7u : value_size;
	r->vstride = r->cpu_stride * (uint32_t)r->ncpu;
	r->cursor[0] = calloc(1, csz);
	r->cursor[1] = calloc(1, csz);
	if (!r->cursor[0] || !r->cursor[1]) {
		mapread_free(r);
		return -ENOMEM;
	}
	return 0;
}

void mapread_free(struct mapread *r)
{
	free(r->keys);
	free(r->vals);
	free(r->cursor[0]);
	free(r->cursor[1]);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

void mapread_set_no_batch(struct mapread *r, bool no_batch)
{
	r->no_batch = no_batch;
}

static int grow(struct mapread *r, uint64_t want)
{
	void *k, *v;

	if (want <= r->cap)
		return 0;
	if (want > UINT32_MAX / 2)
		return -E2BIG;
	k = realloc(r->keys, (size_t)want * r->key_size);
	if (!k)
		return -ENOMEM;
	r->keys = k;
	/* a zero-sized value still needs a non-NULL buffer for the syscall */
	v = realloc(r->vals, (size_t)want * r->vstride + 8);
	if (!v)
		return -ENOMEM;
	r->vals = v;
	r->cap = (uint32_t)want;
	return 0;
}

static uint32_t initial_cap(const struct mapread *r)
{
	uint32_t c = r->max_entries < 4096 ? r->max_entries : 4096;

	return c < 64 ? 64 : c;
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP || err == -ENOSYS;
}

static int read_batch(struct mapread *r)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t maxb = r->batch_max ? r->batch_max : BATCH_MAX;
	void *in = NULL;
	int flip = 0;
	uint32_t want = 0;	/* >0 after -ENOSPC: a bucket needs at least this much room */

	for (;;) {
		uint32_t count, asked;
		int err;

		if (r->cap - r->n < (want ? want : 1)) {
			uint64_t c = (uint64_t)r->cap * 2;

			if (c < (uint64_t)r->n + want)
				c = (uint64_t)r->n + want;
			if (c < initial_cap(r))
				c = initial_cap(r);
			err = grow(r, c);
			if (err)
				return err;
		}
		count = r->cap - r->n;
		if (count > maxb && count > want)
			count = want > maxb ? want : maxb;
		asked = count;
		err = bpf_map_lookup_batch(r->fd, in, r->cursor[flip], (char *)r->keys + (size_t)r->n * r->key_size,
					   (char *)r->vals + (size_t)r->n * r->vstride, &count, &opts);
		r->syscalls++;
		if (err == -ENOSPC) {
			/* one hash bucket holds more entries than we offered */
			want = asked * 2;
			continue;
		}
		if (err && err != -ENOENT) {
			if (!r->n && !in && batch_unsupported(err))
				return 1;
			return err;
		}
		want = 0;
		/* -ENOENT is the end of the map, but count entries still arrived */
		r->n += count;
		if (err == -ENOENT)
			return 0;
		in = r->cursor[flip];
		flip ^= 1;
	}
}

static int read_loop(struct mapread *r)
{
	/* a key deleted under us makes get_next_key restart from the first
	 * key: bound the walk so heavy churn cannot loop forever */
	uint64_t guard = (uint64_t)r->max_entries * 2 + 64;
	void *prev = NULL;

	while (guard--) {
		void *k, *v;
		int err;

		if (r->n == r->cap) {
			err = grow(r, r->cap ? (uint64_t)r->cap * 2 : initial_cap(r));
			if (err)
				return err;
		}
		k = (char *)r->keys + (size_t)r->n * r->key_size;
		v = (char *)r->vals + (size_t)r->n * r->vstride;
		err = bpf_map_get_next_key(r->fd, prev, k);
		r->syscalls++;
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		memcpy(r->cursor[0], k, r->key_size);
		prev = r->cursor[0];
		err = bpf_map_lookup_elem(r->fd, k, v);
		r->syscalls++;
		if (err == -ENOENT)
			continue;	/* deleted between the two calls */
		if (err)
			return err;
		r->n++;
	}
	return 0;
}

int mapread_all(struct mapread *r)
{
	int err;

	r->n = 0;
	r->syscalls = 0;
	if (!r->no_batch) {
		err = read_batch(r);
		if (err <= 0)
			return err;
		/* the kernel or this map type has no batch lookup: remember */
		r->no_batch = true;
		r->n = 0;
	}
	return read_loop(r);
}
