// SPDX-License-Identifier: MIT
/* Tracepoint format files and the probes made from them (runner/tpgen.c):
 * `init --tracepoint` and `trace` read tracefs, whose format grammar is
 * the kernel's; a kernel with an unexpected declaration must get an error
 * or a probe, never a crash.
 *
 * Input: a line of --fields (may be empty), then the format text.
 * Oracles: parse returns 0 or an error with a message; every field has a
 * name and a non-zero size and no common_ field is kept; source is 0 (then
 * it has the tracepoint's section and the events map) or a usage error
 * naming the field. */
#include <errno.h>
#include "tpgen.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t flen = nl ? (size_t)(nl - data) : 0;
	char *fields = fz_strndup(data, flen), *text = fz_strndup(data + flen, size - flen);
	struct tp_format f = {};
	struct strbuf sb = {};
	struct rerr err = {};
	int e;

	e = tpgen_parse(text, &f, &err);
	FZ_CHECK(e == 0 || (e < 0 && err.msg[0]), "parse: %d", e);
	if (!e) {
		snprintf(f.category, sizeof(f.category), "%s", (data[0] & 1) ? "syscalls" : "sched");
		snprintf(f.name, sizeof(f.name), "fz");
		for (int i = 0; i < f.n_fields; i++) {
			FZ_CHECK(f.fields[i].name[0] && f.fields[i].size, "field %d", i);
			FZ_CHECK(strncmp(f.fields[i].name, "common_", 7), "kept %s", f.fields[i].name);
		}
		memset(&err, 0, sizeof(err));
		e = tpgen_source(&f, fields, "fuzz", &sb, &err);
		FZ_CHECK(e == 0 || (e == -ENOENT && err.usage && strstr(err.msg, "no field")), "source: %d %s", e,
			 err.msg);
		if (!e)
			FZ_CHECK(strstr(sb_cstr(&sb), "SEC(\"tracepoint/") && strstr(sb_cstr(&sb), "} events SEC(\".maps.print\");"),
				 "source without its section or map");
		sb_free(&sb);
		tpgen_free(&f);
	}
	free(fields);
	free(text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size)
		fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
