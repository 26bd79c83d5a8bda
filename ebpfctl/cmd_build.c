// SPDX-License-Identifier: MIT
/* ebpfctl build: compile a probe with clang, vmlinux.h and solo_types.h on the
 * include path.  The work is in runner/builder.c; this file is argv only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "builder.h"
#include "cli.h"

#ifndef EBPFCTL_INCDIR
#define EBPFCTL_INCDIR "/usr/local/include/ebpfctl"
#endif

static void build_usage(FILE *f)
{
	fprintf(f,
"Usage: ebpfctl build SOURCE.bpf.c [REF] [-o OBJECT] [--cflags FLAGS] [--clang PATH]\n"
"                     [--btf FILE] [--keep-debug] [--store DIR] [-v]\n"
"\n"
"Compile a probe written in C into a BPF object for 'ebpfctl run'. No other\n"
"setup is needed: vmlinux.h is generated from the running kernel's BTF and the\n"
"directory holding solo_types.h is put on the include path.\n"
"\n"
"With REF ([HOST[:PORT]/]PATH[:TAG]), the object is also stored in the local\n"
"store as that OCI artifact (as 'ebpfctl package OBJECT REF'), ready for\n"
"'ebpfctl push REF' and 'ebpfctl run REF'.\n"
"\n"
"Options:\n"
"  -o, --output OBJECT  write the object here (default: X.bpf.o beside X.bpf.c)\n"
"      --cflags FLAGS   extra clang arguments, split on spaces with shell-like\n"
"                       quoting; may be repeated (e.g. --cflags '-DDEBUG -Wall')\n"
"      --clang PATH     compiler to run (default: clang, else clang-NN, on PATH)\n"
"      --btf FILE       make vmlinux.h from this BTF (raw BTF or an ELF with\n"
"                       .BTF) instead of /sys/kernel/btf/vmlinux\n"
"      --keep-debug     keep DWARF debug info (default: llvm-strip -g; BTF stays)\n"
"      --store DIR      the local store for REF (default: $EBPFCTL_STORE, else\n"
"                       /var/lib/ebpfctl/store for root, else\n"
"                       $XDG_DATA_HOME/ebpfctl/store)\n"
"  -v, --verbose        show the clang command line and vmlinux.h generation\n"
"  -h, --help           show this help\n"
"\n"
"Compiler command:\n"
"  clang -g -O2 -target bpf -D__TARGET_ARCH_<host arch> -I <vmlinux.h dir>\n"
"        -I <include dir> -idirafter /usr/include/<triplet> FLAGS -c SOURCE\n"
"  then llvm-strip -g (from clang's directory or PATH) on the object.\n"
"  Compiler diagnostics are shown exactly as clang prints them.\n"
"\n"
"Include dir (solo_types.h), first match wins:\n"
"  $EBPFCTL_INCLUDE; <ebpfctl binary dir>/../include (a source tree);\n"
"  " EBPFCTL_INCDIR " (make install); <binary dir>/../include/ebpfctl.\n"
"  <bpf/bpf_helpers.h> and friends come from libbpf's headers (libbpf-dev).\n"
"\n"
"vmlinux.h cache (one per kernel release, regenerated if the BTF changes):\n"
"  $XDG_CACHE_HOME/ebpfctl/<release>/vmlinux.h, else ~/.cache/ebpfctl/...,\n"
"  else /var/tmp/ebpfctl-<uid>/...\n"
"\n"
"Exit status: 0 built; 1 compile error or missing tool/BTF; 64 bad command line.\n");
}

enum { OPT_CFLAGS = 256, OPT_CLANG, OPT_BTF, OPT_KEEP_DEBUG, OPT_STORE };

static const struct option build_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "cflags", required_argument, NULL, OPT_CFLAGS },
	{ "clang", required_argument, NULL, OPT_CLANG },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "keep-debug", no_argument, NULL, OPT_KEEP_DEBUG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static int bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error("build: option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		return cli_usage_error("build: unknown option '-%c'", optopt);
	return cli_usage_error("build: unknown option '%s'", arg);
}

int cmd_build(int argc, char **argv)
{
	struct build_opts opts = {};
	const char *store = NULL, *ref = NULL;
	char out[4096];
	struct rerr err = {};
	int c, ret, i, verbose = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:vh", build_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts.output = optarg;
			break;
		case OPT_CFLAGS:
			if (builder_split_flags(optarg, &opts.cflags, &opts.n_cflags, &err)) {
				ret = cli_report(&err);
				goto out;
			}
			break;
		case OPT_CLANG:
			opts.clang = optarg;
			break;
		case OPT_BTF:
			opts.btf_path = optarg;
			break;
		case OPT_KEEP_DEBUG:
			opts.keep_debug = true;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			build_usage(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			ret = bad_option(argv, c);
			goto out;
		}
	}
	if (optind >= argc) {
		ret = cli_usage_error("build: missing SOURCE (a probe .bpf.c file)");
		fprintf(stderr, "hint: ebpfctl build probe.bpf.c; 'ebpfctl init' writes one\n");
		goto out;
	}
	if (argc - optind > 2) {
		ret = cli_usage_error("build: unexpected argument '%s': one SOURCE (and REF) at a time",
				      argv[optind + 2]);
		goto out;
	}
	if (argc - optind == 2) {
		size_t n = strlen(argv[optind + 1]);
		struct oci_ref r;

		ref = argv[optind + 1];
		/* a second source file is not a reference */
		if (!access(ref, F_OK) || (n > 2 && (!strcmp(ref + n - 2, ".c") || !strcmp(ref + n - 2, ".o")))) {
			ret = cli_usage_error("build: unexpected argument '%s': one SOURCE at a time", ref);
			fprintf(stderr, "hint: a second argument is the REF to store the object as, e.g. "
					"localhost:5000/probes/NAME:v1\n");
			goto out;
		}
		if (oci_ref_parse(ref, &r, &err)) {
			ret = cli_report(&err);
			goto out;
		}
	}
	if (opts.output && !*opts.output) {
		ret = cli_usage_error("build: -o needs a non-empty path");
		goto out;
	}
	opts.source = argv[optind];
	opts.verbose = verbose;
	cli_log_init(verbose);
	ret = builder_build(&opts, &err) ? cli_report(&err) : EXIT_OK;
	if (!ret && ref) {
		if (opts.output)
			snprintf(out, sizeof(out), "%s", opts.output);
		else
			builder_default_output(opts.source, out, sizeof(out));
		ret = cli_package(store, out, ref, NULL, 0);
	}
out:
	for (i = 0; i < opts.n_cflags; i++)
		free(opts.cflags[i]);
	free(opts.cflags);
	return ret;
}
