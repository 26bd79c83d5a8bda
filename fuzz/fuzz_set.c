// SPDX-License-Identifier: MIT
/* --set VAR=VALUE (runner/globals.c): globals_apply on a real object, opened
 * once with libbpf from fuzz/set_globals.bpf.o (embedded in the binary with
 * .incbin), which declares a global of every type the parser knows (ints of
 * each width and sign, bool, char, enums signed and 64-bit, float, double,
 * char arrays of 1 and 16 bytes, typedefs) and some it refuses (__int128,
 * int arrays, a struct, a pointer, a loss counter).
 *
 * Input: [u8 flags] then lines NAME=VALUE (up to 8), as --set gives them
 * (a line without '=' is all name).  flags bit 0: several-object mode
 * (a `used` array: unknown names are skipped).
 * Oracles: the result is 0 or a negative errno with a message; a usage error
 * for an unknown name only without `used`; in `used` mode, names the object
 * does not declare are never marked; the map images keep their sizes. */
#include <errno.h>
#include <bpf/libbpf.h>
#include "globals.h"
#include "fuzz.h"

#define MAX_SETS 8

#ifndef FUZZ_SET_OBJ
#error "FUZZ_SET_OBJ: the path of set_globals.bpf.o (the Makefile passes it)"
#endif
__asm__(".section .rodata\n"
	".balign 8\n"
	"fuzz_set_obj:\n"
	".incbin \"" FUZZ_SET_OBJ "\"\n"
	"fuzz_set_obj_end:\n"
	".previous\n");
extern const char fuzz_set_obj[], fuzz_set_obj_end[];

static struct bpf_object *obj;
static size_t image_size[16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "set_globals");
	struct bpf_map *m;
	int i = 0;

	libbpf_set_print(NULL);
	obj = bpf_object__open_mem(fuzz_set_obj, (size_t)(fuzz_set_obj_end - fuzz_set_obj), &opts);
	if (!obj) {
		fprintf(stderr, "fuzz_set: cannot open the embedded set_globals.bpf.o: %s\n", strerror(errno));
		exit(1);
	}
	bpf_object__for_each_map(m, obj) {
		if (i < 16)
			bpf_map__initial_value(m, &image_size[i]);
		i++;
	}
	fz_silent();
	return 0;
}

static bool declared(const char *name)
{
	static const char *const known[] = {
		"g_u8", "g_s8", "g_u16", "g_s16", "g_u32", "g_s32", "g_u64", "g_s64", "g_bool", "g_char", "g_mode",
		"g_sign", "g_wide", "g_float", "g_double", "g_name", "g_one", "g_bytes", "g_pid", "g_dur", "g_u128",
		"g_arr", "g_pair", "g_ptr", "g_data", "g_bss", "g_buf", "LICENSE",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct runner_set sets[MAX_SETS];
	char *lines[MAX_SETS];
	bool used[MAX_SETS] = {};
	uint8_t flags = fz_u8(&f);
	struct rerr err = {};
	struct bpf_map *m;
	int n = 0, r, i = 0;

	while (f.n && n < MAX_SETS) {
		char *line = fz_line(&f), *eq = strchr(line, '=');

		lines[n] = line;
		if (eq)
			*eq = '\0';
		sets[n++] = (struct runner_set){ .object = NULL, .name = line, .value = eq ? eq + 1 : "" };
	}
	r = globals_apply(obj, sets, n, flags & 1 ? used : NULL, &err);
	FZ_CHECK(r <= 0, "returned %d", r);
	if (r)
		FZ_CHECK(err.msg[0] || r == -ENOMEM, "error %d without a message", r);
	if (r == -ENOENT && !(flags & 1))
		FZ_CHECK(err.usage, "unknown global is not a usage error: %s", err.msg);
	for (int k = 0; k < n; k++) {
		if (flags & 1 && used[k])
			FZ_CHECK(declared(sets[k].name), "'%s' marked as set", sets[k].name);
	}
	bpf_object__for_each_map(m, obj) {
		size_t sz;

		if (i < 16) {
			bpf_map__initial_value(m, &sz);
			FZ_CHECK(sz == image_size[i], "map '%s' image changed size", bpf_map__name(m));
		}
		i++;
	}
	for (int k = 0; k < n; k++)
		free(lines[k]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
