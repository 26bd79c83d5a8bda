// SPDX-License-Identifier: MIT
/* parse_duration (runner/duration.c): --interval, --duration and their
 * EBPFCTL_ variables; and fmt_duration (runner/btf_fmt.c), its inverse for
 * `duration` values.
 *
 * Input: the text to parse (seeds: the forms the docs show and near
 * misses); its first 8 bytes are also a nanosecond count to format.
 * Oracles: a parsed duration is >= 1 ns; fmt_duration's text of a positive
 * count parses back to the same count (within double rounding: the parser
 * adds float64 terms as Go's does not, so 1 ns in 2^50 of the value). */
#include <errno.h>
#include "btf_fmt.h"
#include "runner.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	return 0;
}

static void round_trip(int64_t ns)
{
	struct strbuf sb = {};
	uint64_t back = 0, diff;
	int r;

	fmt_duration(&sb, ns);
	FZ_CHECK(!sb.err, "fmt_duration: out of memory");
	r = parse_duration(sb_cstr(&sb), &back);
	if (ns <= 0) {
		/* "0s" and negative durations are not accepted (-ERANGE) */
		FZ_CHECK(r == -ERANGE, "'%s' (%lld ns) parsed: %d", sb_cstr(&sb), (long long)ns, r);
	} else {
		FZ_CHECK(r == 0, "'%s' (%lld ns) does not parse: %d", sb_cstr(&sb), (long long)ns, r);
		diff = back > (uint64_t)ns ? back - (uint64_t)ns : (uint64_t)ns - back;
		FZ_CHECK(diff <= 1 + ((uint64_t)ns >> 50), "'%s' is %lld ns, parsed as %llu", sb_cstr(&sb),
			 (long long)ns, (unsigned long long)back);
	}
	sb_free(&sb);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	char *s = fz_strndup(data, size);
	uint64_t ns = 0;
	int64_t raw = 0;
	int r = parse_duration(s, &ns);

	FZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "'%s': returned %d", s, r);
	if (!r) {
		FZ_CHECK(ns >= 1, "'%s' parsed as %llu ns", s, (unsigned long long)ns);
		if (ns <= INT64_MAX)
			round_trip((int64_t)ns);
	}
	free(s);
	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	round_trip(raw);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
