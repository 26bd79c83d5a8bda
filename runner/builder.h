/* SPDX-License-Identifier: MIT */
/* Compiling probes: find clang, generate vmlinux.h from kernel BTF (cached per
 * kernel release), locate the include dir holding solo_types.h, run clang and
 * strip DWARF (BTF stays).  No printing: clang's own diagnostics go straight
 * to the inherited stderr, everything else comes back in struct rerr. */
#ifndef EBPFCTL_BUILDER_H
#define EBPFCTL_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include "rerr.h"

#define BUILDER_DEFAULT_BTF "/sys/kernel/btf/vmlinux"

struct build_opts {
	const char *source;		/* X.bpf.c */
	const char *output;		/* NULL: X.bpf.o (X.o for other names) beside it */
	const char *clang;		/* NULL: clang, then clang-NN, on PATH */
	char **cflags;			/* extra clang arguments, already split */
	int n_cflags;
	const char *btf_path;		/* NULL: BUILDER_DEFAULT_BTF */
	const char *include_dir;	/* NULL: builder_include_dir() */
	bool keep_debug;		/* do not strip DWARF */
	bool verbose;			/* log the clang command line (rinfo) */
};

/* Compile opts->source.  0 or -errno with err set (clang's diagnostics have
 * already been written to stderr by clang itself). */
int builder_build(const struct build_opts *opts, struct rerr *err);

/* Make sure a vmlinux.h for btf_path (NULL: running kernel) exists in the
 * cache; writes the directory holding it into dir.  0 or -errno. */
int builder_vmlinux_dir(const char *btf_path, char *dir, size_t dir_sz, struct rerr *err);

/* Write vmlinux.h text for the BTF at btf_path to path (atomically). */
int builder_write_vmlinux_h(const char *btf_path, const char *path, struct rerr *err);

/* The directory with solo_types.h: $EBPFCTL_INCLUDE, else <exe>/../include
 * (a source tree), else the compiled-in install dir, else <exe>/../include/ebpfctl
 * (a relocated install).  0 or -ENOENT (buf then holds nothing useful). */
int builder_include_dir(char *buf, size_t sz);

/* The cache root: $XDG_CACHE_HOME/ebpfctl, ~/.cache/ebpfctl, /var/tmp/ebpfctl-<uid>. */
int builder_cache_dir(char *buf, size_t sz, struct rerr *err);

/* Resolve the clang binary (want may be a name or a path). */
int builder_find_clang(const char *want, char *buf, size_t sz, struct rerr *err);
/* llvm-strip as build finds it: beside clang (clang may be ""), else on
 * PATH (llvm-strip, then the newest llvm-strip-N).  0 or -ENOENT. */
int builder_find_strip(const char *clang, char *buf, size_t sz);

/* Split a --cflags string into words (whitespace, '...' and "..." quoting,
 * backslash escapes).  Appends to *argv (realloc'd); 0 or -errno. */
int builder_split_flags(const char *s, char ***argv, int *argc, struct rerr *err);

/* __TARGET_ARCH_<x> value for the host ("x86", "arm64", ...), NULL if unknown. */
const char *builder_target_arch(void);

/* Default object path for a source: X.bpf.c -> X.bpf.o, X.c -> X.o, X -> X.o. */
int builder_default_output(const char *source, char *buf, size_t sz);

#endif
