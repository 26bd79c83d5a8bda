// SPDX-License-Identifier: MIT
/* decl_order_read (runner/decl_order.c): the DWARF .debug_info/.debug_abbrev
 * walker (DWARF 2..5, 32- and 64-bit, strx forms) and the DECL_ORDER_SEC
 * note reader, on a whole object file.
 *
 * Input: an object file (seeds: fixtures with DWARF 5 and 4, 64-bit DWARF,
 * and the examples, whose DWARF `ebpfctl build` replaced with the note).
 * Oracles: the input is not written to (it is const), the result is sorted
 * by (file, line, seq), every name is non-empty and ranks where it is. */
#include <errno.h>
#include "decl_order.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct decl_order d;
	int r = decl_order_read(data, size, &d);

	if (r) {
		FZ_CHECK(r < 0, "returned %d", r);
		FZ_CHECK(!d.v && !d.n, "error left %zu entries", d.n);
		return 0;
	}
	for (size_t i = 0; i < d.n; i++) {
		int k;

		/* a note line starting with NUL gives "": harmless (no map has that name) */
		FZ_CHECK(d.v[i].name, "entry %zu has no name", i);
		if (i) {
			const struct decl *a = &d.v[i - 1], *b = &d.v[i];

			FZ_CHECK(a->file < b->file || (a->file == b->file && (a->line < b->line ||
				 (a->line == b->line && a->seq < b->seq))), "entries %zu and %zu out of order", i - 1, i);
		}
		k = decl_order_rank(&d, d.v[i].name);
		FZ_CHECK(k >= 0 && (size_t)k <= i && !strcmp(d.v[k].name, d.v[i].name), "rank of '%s' is %d", d.v[i].name,
			 k);
	}
	decl_order_free(&d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
