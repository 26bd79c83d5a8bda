/* SPDX-License-Identifier: MIT */
/* Series table: records keyed by a byte string (label text, canonical key
 * bytes, raw map keys), each with a fixed-size zero-initialised payload.
 * Open addressing over record indices; memory is kept across stab_reset()
 * so a scrape of the same map allocates nothing once warm. */
#ifndef EBPFCTL_STAB_H
#define EBPFCTL_STAB_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct stab_rec {
	uint64_t hash;
	uint32_t key_off;	/* into stab.keys */
	uint32_t key_len;
	/* payload follows, 16-byte aligned (it may hold __int128) */
};

struct stab {
	size_t payload;
	size_t rec_size;
	char *recs;
	uint32_t n;
	uint32_t cap;
	uint32_t *slots;	/* record index + 1; 0 = empty */
	uint32_t mask;
	struct strbuf keys;
};

void stab_init(struct stab *t, size_t payload);
void stab_reset(struct stab *t);
void stab_free(struct stab *t);
/* Record index of key, or -1. */
int64_t stab_find(const struct stab *t, const void *key, size_t len, uint64_t hash);
/* Append a record for key (the caller knows it is absent): its index, or
 * -ENOMEM / -E2BIG.  Record pointers are invalidated by the next add. */
int64_t stab_add(struct stab *t, const void *key, size_t len, uint64_t hash);

static inline struct stab_rec *stab_rec(const struct stab *t, uint32_t i)
{
	return (struct stab_rec *)(t->recs + (size_t)i * t->rec_size);
}

static inline void *stab_payload(const struct stab *t, uint32_t i)
{
	return (char *)stab_rec(t, i) + sizeof(struct stab_rec);
}

static inline const char *stab_key(const struct stab *t, uint32_t i)
{
	return t->keys.buf + stab_rec(t, i)->key_off;
}

#endif
