/* SPDX-License-Identifier: MIT */
/* Growable byte buffer used on the hot path: it grows rarely (doubling) and is
 * reused, so formatting an event allocates nothing once warmed up. */
#ifndef EBPFCTL_STRBUF_H
#define EBPFCTL_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int err;		/* sticky -ENOMEM: checked once at the end */
};

int sb_grow_slow(struct strbuf *sb, size_t extra);
void sb_free(struct strbuf *sb);
int sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append decimal text of an unsigned / signed 64-bit integer. */
void sb_u64(struct strbuf *sb, uint64_t v);
void sb_s64(struct strbuf *sb, int64_t v);
/* Grow the array *v of *cap elements of elem bytes (doubling, from 16) so it
 * holds at least need: 0 or -ENOMEM (the array is kept). */
int array_grow(void **v, size_t need, size_t *cap, size_t elem);
/* NUL-terminate without counting the NUL in len; returns sb->buf ("" on error). */
const char *sb_cstr(struct strbuf *sb);

static inline int sb_reserve(struct strbuf *sb, size_t extra)
{
	/* a successful reserve leaves sb->buf non-NULL, even for 0 bytes:
	 * callers write at sb->buf + sb->len */
	if (sb->cap - sb->len >= extra && sb->buf)
		return 0;
	return sb_grow_slow(sb, extra);
}

static inline void sb_add(struct strbuf *sb, const void *p, size_t n)
{
	if (sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
}

static inline void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static inline void sb_putc(struct strbuf *sb, char c)
{
	if (sb_reserve(sb, 1))
		return;
	sb->buf[sb->len++] = c;
}

static inline void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
}

#endif
