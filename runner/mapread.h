/* SPDX-License-Identifier: MIT */
/* Whole-map reads for /metrics and print polling: BPF_MAP_LOOKUP_BATCH in
 * large chunks (about 8x fewer syscalls than get_next_key + lookup, see
 * notes/performance-facts.md section 3), falling back to the per-key loop
 * where the kernel or map type has no batch support.  Buffers are kept and
 * reused, so a steady-state read allocates nothing. */
#ifndef EBPFCTL_MAPREAD_H
#define EBPFCTL_MAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mapread {
	int fd;
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;	/* one CPU's value, as declared */
	uint32_t vstride;	/* bytes per entry in vals: value_size, or round_up(value_size, 8) * ncpu */
	uint32_t cpu_stride;	/* round_up(value_size, 8) for per-CPU maps, else value_size */
	int ncpu;		/* 1 unless per-CPU */
	uint32_t max_entries;
	bool no_batch;		/* batch lookups unsupported: per-key loop */
	uint32_t batch_max;	/* entries per batch call; 0: 16384 (tests set 1 to force -ENOSPC) */
	void *keys;		/* n * key_size bytes */
	void *vals;		/* n * vstride bytes */
	uint32_t cap;		/* entries the buffers hold */
	uint32_t n;		/* entries read by the last mapread_all() */
	void *cursor[2];	/* opaque batch cursors */
	uint64_t syscalls;	/* bpf() calls made by the last read (for tests and bench) */
};

/* ncpu is only used when percpu is true. */
int mapread_init(struct mapread *r, int fd, uint32_t map_type, uint32_t key_size, uint32_t value_size,
		 uint32_t max_entries, bool percpu, int ncpu);
/* Read every entry now: r->n, keys and vals.  0 or -errno. */
int mapread_all(struct mapread *r);
/* Force the get_next_key + lookup loop (tests, benchmarks). */
void mapread_set_no_batch(struct mapread *r, bool no_batch);
void mapread_free(struct mapread *r);

static inline const void *mapread_key(const struct mapread *r, uint32_t i)
{
	return (const char *)r->keys + (size_t)i * r->key_size;
}

static inline const void *mapread_val(const struct mapread *r, uint32_t i)
{
	return (const char *)r->vals + (size_t)i * r->vstride;
}

#endif
