// SPDX-License-Identifier: MIT
/* elf_rewrite_maps (runner/elf_rewrite.c): the first thing every object file
 * given to `ebpfctl run` goes through, before libbpf sees it.
 *
 * Input: a whole object file (seeds: every fixture and example object).
 * Oracles besides the sanitizers: an error has a message naming the file;
 * a success lists maps with names and suffixes; a rewritten image is itself
 * accepted by the rewrite, needs no second rewrite, and lists the same maps
 * in the same order (all now in plain .maps). */
#include <errno.h>
#include <bpf/libbpf.h>
#include "elf_rewrite.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(NULL);
	fz_silent();
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct elf_maps_info info = {}, info2 = {};
	struct rerr err = {}, err2 = {};
	void *out = NULL, *out2 = NULL;
	size_t out_len = 0, out2_len = 0;
	int r, r2;

	r = elf_rewrite_maps("fuzz.o", data, size, &out, &out_len, &info, &err);
	if (r) {
		FZ_CHECK(r < 0, "returned %d", r);
		FZ_CHECK(!strncmp(err.msg, "fuzz.o", 6), "message '%s'", err.msg);
		FZ_CHECK(!out && !out_len && !info.n && !info.maps, "error left output behind");
		return 0;
	}
	for (int i = 0; i < info.n; i++)
		FZ_CHECK(info.maps[i].map && info.maps[i].suffix, "map %d without a name", i);
	FZ_CHECK(info.n == 0 || info.n_sections > 0, "%d maps in no section", info.n);
	if (out) {
		FZ_CHECK(out_len > 0, "empty rewrite");
		r2 = elf_rewrite_maps("again.o", out, out_len, &out2, &out2_len, &info2, &err2);
		FZ_CHECK(r2 == 0, "the rewritten image is refused: %s", err2.msg);
		FZ_CHECK(!out2, "the rewritten image needs another rewrite");
		FZ_CHECK(info2.n == info.n, "%d maps, %d after the rewrite", info.n, info2.n);
		for (int i = 0; i < info.n; i++) {
			FZ_CHECK(!strcmp(info.maps[i].map, info2.maps[i].map), "map %d: '%s' became '%s'", i,
				 info.maps[i].map, info2.maps[i].map);
			FZ_CHECK(!strcmp(info2.maps[i].suffix, ""), "map %d still in .maps.%s", i,
				 info2.maps[i].suffix);
		}
		free(out2);
		elf_maps_info_free(&info2);
	}
	free(out);
	elf_maps_info_free(&info);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
