// SPDX-License-Identifier: MIT
/* ebpfctl check: everything `run` does before streaming (rewrite, kinds,
 * value shapes, --set, verifier, attach unless --load-only), then a report
 * per object on stdout and nothing left loaded.  For a probe repository's CI. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

static const char check_help[] =
"Usage: ebpfctl check OBJECT|REF... [OPTIONS]\n"
"\n"
"Do everything 'ebpfctl run' does before it streams: rewrite and open each\n"
"object, check every exported map's kind and value shape, apply --set, load\n"
"(the verifier) and attach every program, then detach. For a probe\n"
"repository's CI.\n"
"\n"
"Prints, per object:\n"
"  ok: <file>: <N> programs (<types>), <M> maps exported (<map> <kind>, ...)\n"
"and then one line per metric family the object would serve:\n"
"  <family> <type>\n"
"With BPF stats on (--bpf-stats), also each program's run count and mean\n"
"cost. Errors, and the exit status, are run's.\n"
"\n"
"Options:\n"
"  --load-only               load (verify) but do not attach\n"
"  every 'ebpfctl run' option that shapes loading and attaching: --set,\n"
"  --iface, --xdp-mode, --cgroup, --pid, --attach, --sample-freq,\n"
"  --metrics-namespace, --hist-buckets, --max-series, --bpf-stats, -v;\n"
"  for a REF: --pull, --store, --plain-http, --insecure, --ca-file\n"
"  (the others are accepted and ignored)\n"
"  -h, --help                show this help\n"
"\n"
"Exit status: 0 every object passed, 1 failure, 64 command-line error.\n";

static void print_line(void *ctx, const char *line)
{
	printf("%s\n", line);
}

int cmd_check(int argc, char **argv)
{
	struct rerr err = {};
	struct run_args a;
	int ret, status;

	cli_log_format_from(argc, argv);
	if (run_args_parse(argc, argv, "check", check_help, &a, &status) || run_args_resolve(&a, &status)) {
		run_args_free(&a);
		return status;
	}
	cli_log_init(a.o.verbose);
	run_args_report(&a);
	a.o.on_check_line = print_line;
	ret = runner_run(&a.o, &err);
	fflush(stdout);
	run_args_free(&a);
	return ret ? cli_report(&err) : EXIT_OK;
}
