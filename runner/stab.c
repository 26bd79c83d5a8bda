// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stab.h"

void stab_init(struct stab *t, size_t payload)
{
	memset(t, 0, sizeof(*t));
	t->payload = (payload + 15) & ~(size_t)15;
	t->rec_size = sizeof(struct stab_rec) + t->payload;
}

void stab_reset(struct stab *t)
{
	t->n = 0;
	t->keys.len = 0;
	if (t->slots)
		memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof(*t->slots));
}

void stab_free(struct stab *t)
{
	free(t->recs);
	free(t->slots);
	sb_free(&t->keys);
	stab_init(t, t->payload);
}

int64_t stab_find(const struct stab *t, const void *key, size_t len, uint64_t hash)
{
	if (!t->slots)
		return -1;
	for (uint32_t i = (uint32_t)hash & t->mask;; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];
		const struct stab_rec *r;

		if (!s)
			return -1;
		r = stab_rec(t, s - 1);
		if (r->hash == hash && r->key_len == len && !memcmp(t->keys.buf + r->key_off, key, len))
			return s - 1;
	}
}

static void place(struct stab *t, uint32_t idx)
{
	uint32_t i = (uint32_t)stab_rec(t, idx)->hash & t->mask;

	while (t->slots[i])
		i = (i + 1) & t->mask;
	t->slots[i] = idx + 1;
}

/* keep the load factor at or below one half */
static int rehash(struct stab *t, size_t want)
{
	size_t nslots = 64;
	uint32_t *s;

	while (nslots < want * 2)
		nslots *= 2;
	if (nslots > (1u << 31))
		return -E2BIG;
	s = calloc(nslots, sizeof(*s));
	if (!s)
		return -ENOMEM;
	free(t->slots);
	t->slots = s;
	t->mask = (uint32_t)(nslots - 1);
	for (uint32_t i = 0; i < t->n; i++)
		place(t, i);
	return 0;
}

int64_t stab_add(struct stab *t, const void *key, size_t len, uint64_t hash)
{
	struct stab_rec *r;
	size_t off = t->keys.len;
	int err;

	if (t->n >= UINT32_MAX - 1 || off + len > UINT32_MAX)
		return -E2BIG;
	if (!t->slots || ((size_t)t->n + 1) * 2 > (size_t)t->mask + 1) {
		err = rehash(t, (size_t)t->n + 1);
		if (err)
			return err;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		char *p = realloc(t->recs, (size_t)cap * t->rec_size);

		if (!p)
			return -ENOMEM;
		t->recs = p;
		t->cap = cap;
	}
	/* reserve even for an empty key so keys.buf is never NULL */
	if (sb_reserve(&t->keys, len + 1))
		return -ENOMEM;
	if (len)
		sb_add(&t->keys, key, len);
	r = stab_rec(t, t->n);
	r->hash = hash;
	r->key_off = (uint32_t)off;
	r->key_len = (uint32_t)len;
	memset(stab_payload(t, t->n), 0, t->payload);
	place(t, t->n);
	return t->n++;
}
