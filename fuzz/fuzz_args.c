// SPDX-License-Identifier: MIT
/* The other option values the library parses:
 *  - `ebpfctl build --cflags FLAGS` (builder_split_flags, runner/builder.c):
 *    shell-like words with quotes and backslashes;
 *  - `--capabilities-keep LIST` (privs_check_keep, runner/privs.c);
 *  - `--attach PROG=TARGET` target shapes (tgt_prepare, runner/targets.c:
 *    PATH:FUNC[+OFF], PATH:PROVIDER:NAME, FUNC[+OFF], CATEGORY/NAME, ...),
 *    on fuzz/attach_progs.bpf.o (one program of each kind, embedded with
 *    .incbin and opened once with libbpf).
 *
 * Input: line 1 the --cflags text, line 2 the --capabilities-keep text, then
 * lines PROG=TARGET (up to 8; split at the first '=' as cmd_run.c does).
 * Oracles: the words of --cflags, each quoted again ('...' with '\'' for a
 * quote) and joined with spaces, split back into the same words; an error
 * is a usage error with a message; tgt_prepare marks exactly the --attach
 * entries naming a program of the object as used, and fails only with a
 * message. */
#include <errno.h>
#include <bpf/libbpf.h>
#include "builder.h"
#include "privs.h"
#include "strbuf.h"
#include "targets.h"
#include "fuzz.h"

#define MAX_ATTACH 8

#ifndef FUZZ_ATTACH_OBJ
#error "FUZZ_ATTACH_OBJ: the path of attach_progs.bpf.o (the Makefile passes it)"
#endif
__asm__(".section .rodata\n"
	".balign 8\n"
	"fuzz_attach_obj:\n"
	".incbin \"" FUZZ_ATTACH_OBJ "\"\n"
	"fuzz_attach_obj_end:\n"
	".previous\n");
extern const char fuzz_attach_obj[], fuzz_attach_obj_end[];

static struct bpf_object *obj;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "attach_progs");

	libbpf_set_print(NULL);
	obj = bpf_object__open_mem(fuzz_attach_obj, (size_t)(fuzz_attach_obj_end - fuzz_attach_obj), &opts);
	if (!obj) {
		fprintf(stderr, "fuzz_args: cannot open the embedded attach_progs.bpf.o: %s\n", strerror(errno));
		exit(1);
	}
	fz_silent();
	return 0;
}

static void free_words(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void check_cflags(const char *s)
{
	struct rerr err = {}, err2 = {};
	char **v = NULL, **v2 = NULL;
	int n = 0, n2 = 0, r;
	struct strbuf sb = {};

	r = builder_split_flags(s, &v, &n, &err);
	if (r) {
		FZ_CHECK(r == -EINVAL || r == -ENOMEM, "--cflags '%s': %d", s, r);
		FZ_CHECK(r != -EINVAL || (err.usage && err.msg[0]), "--cflags '%s': %d without a usage error", s, r);
		free_words(v, n);
		return;
	}
	FZ_CHECK(n == 0 || (v && !v[n]), "--cflags '%s': %d words, no NULL after them", s, n);
	for (int i = 0; i < n; i++) {
		if (i)
			sb_putc(&sb, ' ');
		sb_putc(&sb, '\'');
		for (const char *p = v[i]; *p; p++)
			if (*p == '\'')
				sb_puts(&sb, "'\\''");
			else
				sb_putc(&sb, *p);
		sb_putc(&sb, '\'');
	}
	r = builder_split_flags(sb_cstr(&sb), &v2, &n2, &err2);
	FZ_CHECK(r == 0 && n2 == n, "--cflags '%s' quoted again as '%s': %d, %d words instead of %d", s, sb_cstr(&sb),
		 r, n2, n);
	for (int i = 0; i < n; i++)
		FZ_CHECK(!strcmp(v[i], v2[i]), "--cflags '%s': word %d '%s' came back as '%s'", s, i, v[i], v2[i]);
	free_words(v, n);
	free_words(v2, n2);
	sb_free(&sb);
}

static void check_caps(const char *s)
{
	struct rerr err = {};
	int r = privs_check_keep(s, &err);

	FZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "--capabilities-keep '%s': %d", s, r);
	if (r == -EINVAL)
		FZ_CHECK(err.usage && err.msg[0], "--capabilities-keep '%s': no usage error", s);
}

static void check_attach(struct tgt_attach_arg *at, int n)
{
	struct tgt_opts o = { .attach = at, .n_attach = n };
	struct rerr err = {};
	int r = tgt_prepare(obj, &o, &err);

	FZ_CHECK(r <= 0, "tgt_prepare: %d", r);
	if (r)
		FZ_CHECK(err.msg[0], "tgt_prepare: %d without a message", r);
	if (!r)
		for (int i = 0; i < n; i++)
			FZ_CHECK(at[i].used == !!bpf_object__find_program_by_name(obj, at[i].prog),
				 "--attach %s=%s: used is %d", at[i].prog, at[i].target, at[i].used);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	char *cflags = fz_line(&f), *caps = fz_line(&f), *lines[MAX_ATTACH];
	struct tgt_attach_arg at[MAX_ATTACH];
	int n = 0;

	check_cflags(cflags);
	check_caps(caps);
	while (f.n && n < MAX_ATTACH) {
		char *line = fz_line(&f), *eq = strchr(line, '=');

		lines[n] = line;
		if (eq)
			*eq = '\0';
		at[n++] = (struct tgt_attach_arg){ .prog = line, .target = eq ? eq + 1 : "" };
	}
	check_attach(at, n);
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(cflags);
	free(caps);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
