/* SPDX-License-Identifier: MIT */
/* Shared helpers of the libFuzzer targets (fuzz/README.md): an input reader,
 * exactly-sized copies (so ASan sees any over-read), quiet stdio, and the
 * oracles the targets check besides "no crash, no leak, no UB". */
#ifndef EBPFCTL_FUZZ_H
#define EBPFCTL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A failed oracle: print what and abort, so libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(fz_stderr(), "fuzz oracle failed: %s: ", #cond); \
			fprintf(fz_stderr(), __VA_ARGS__);                     \
			fputc('\n', fz_stderr());                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* The real stderr, kept before fz_quiet() points stdio at /dev/null. */
static FILE *fz_real_stderr;

static inline FILE *fz_stderr(void)
{
	return fz_real_stderr ? fz_real_stderr : stderr;
}

/* The CLI's cli_* and --help print: send the C stdio streams (not fds 1
 * and 2, which ASan and libFuzzer write to) to /dev/null.  libFuzzer keeps
 * the FILE it had at start for its own output. */
static inline void fz_quiet(void)
{
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		abort();
	fz_real_stderr = fdopen(dup(2), "w");
	if (fz_real_stderr)
		setvbuf(fz_real_stderr, NULL, _IONBF, 0);
	stdout = null;
	stderr = null;
}

/* The library never prints (runner/runner.h): its targets point stdout and
 * stderr at a temporary file instead and fz_check_silent() fails the run
 * if anything was written to either. */
static inline void fz_silent(void)
{
	FILE *out = tmpfile();

	if (!out)
		abort();
	fz_real_stderr = fdopen(dup(2), "w");
	if (fz_real_stderr)
		setvbuf(fz_real_stderr, NULL, _IONBF, 0);
	stdout = out;
	stderr = out;
}

static inline void fz_check_silent(void)
{
	char text[256];
	long n;

	fflush(stdout);
	n = ftell(stdout);
	if (n <= 0)
		return;
	rewind(stdout);
	n = (long)fread(text, 1, sizeof(text) - 1, stdout);
	text[n > 0 ? n : 0] = '\0';
	FZ_CHECK(0, "the library printed: %s", text);
}

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)(fz_u8(f) | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_u16(f) | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
	return (uint64_t)fz_u32(f) | (uint64_t)fz_u32(f) << 32;
}

/* The next n bytes (fewer at the end), as an exactly-sized heap copy. */
static inline void *fz_bytes(struct fz *f, size_t n, size_t *got)
{
	void *p;

	if (n > f->n)
		n = f->n;
	p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, f->p, n);
	f->p += n;
	f->n -= n;
	*got = n;
	return p;
}

/* A NUL-terminated exactly-sized copy of n bytes: a C string as a user
 * would give it (stops at an embedded NUL, as argv and getenv would). */
static inline char *fz_strndup(const void *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The rest of the input up to the next '\n' (consumed), as a C string. */
static inline char *fz_line(struct fz *f)
{
	const uint8_t *nl = memchr(f->p, '\n', f->n);
	size_t n = nl ? (size_t)(nl - f->p) : f->n;
	char *s = fz_strndup(f->p, n);

	f->p += n + (nl ? 1 : 0);
	f->n -= n + (nl ? 1 : 0);
	return s;
}

/* Every byte is part of a valid UTF-8 sequence. */
static inline bool fz_valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		int k = prom_utf8_len(p + i, n - i);

		if (!k)
			return false;
		i += (size_t)k;
	}
	return true;
}

/* ---- a strict RFC 8259 syntax check that allocates nothing (cJSON makes
 * a node per value: megabytes of output took seconds under ASan) ---- */

struct fz_json {
	const char *p, *end;
	int depth;
};

static inline void fz_json_ws(struct fz_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static inline bool fz_json_lit(struct fz_json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static inline bool fz_json_digits(struct fz_json *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static inline bool fz_json_value(struct fz_json *j);

static inline bool fz_json_string(struct fz_json *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
						return false;
			} else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
				return false;
			}
		}
	}
	return false;
}

static inline bool fz_json_number(struct fz_json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!fz_json_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!fz_json_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!fz_json_digits(j))
			return false;
	}
	return true;
}

static inline bool fz_json_value(struct fz_json *j)
{
	bool ok = false;

	fz_json_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';
		bool obj = close == '}';

		j->p++;
		fz_json_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			ok = true;
			break;
		}
		for (;;) {
			if (obj) {
				fz_json_ws(j);
				if (!fz_json_string(j))
					return false;
				fz_json_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return false;
			}
			if (!fz_json_value(j))
				return false;
			fz_json_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				ok = true;
			}
			break;
		}
		break;
	}
	case '"':
		ok = fz_json_string(j);
		break;
	case 't':
		ok = fz_json_lit(j, "true");
		break;
	case 'f':
		ok = fz_json_lit(j, "false");
		break;
	case 'n':
		ok = fz_json_lit(j, "null");
		break;
	default:
		ok = fz_json_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* s[0..n) is exactly one JSON value (with optional white space around). */
static inline bool fz_valid_json(const char *s, size_t n)
{
	struct fz_json j = { s, s + n, 0 };

	if (!fz_json_value(&j))
		return false;
	fz_json_ws(&j);
	return j.p == j.end;
}

#endif
