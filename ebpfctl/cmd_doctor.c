// SPDX-License-Identifier: MIT
/* ebpfctl doctor: print what runner/doctor.c found, as text lines or one JSON
 * array.  This file is argv and formatting only. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "cli.h"
#include "doctor.h"

static void doctor_usage(FILE *f)
{
	fprintf(f,
"Usage: ebpfctl doctor [--json]\n"
"\n"
"Check what this machine lets ebpfctl do: kernel release, BTF, bpf() permission\n"
"and capabilities (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN),\n"
"unprivileged_bpf_disabled, tracefs, bpffs, cgroup v2, kprobes, fentry/fexit,\n"
"BPF LSM, ring buffers, BPF stats, the memlock limit, and clang, llvm-strip and\n"
"bpftool for 'ebpfctl build'.  Where only trying tells (bpf(), fentry/fexit,\n"
"lsm, ring buffers) a tiny program or map is loaded and closed at once: nothing\n"
"stays loaded or mounted.\n"
"\n"
"Options:\n"
"      --json     print one JSON array of {\"check\", \"status\", \"detail\",\n"
"                 \"hint\" (only when there is one)} objects instead of text\n"
"  -h, --help     show this help\n"
"\n"
"Output: one line per check, '<status>  <check>: <detail>', where status is\n"
"  ok    the feature is there\n"
"  warn  it is missing, but ebpfctl runs (e.g. no kprobes: tracepoints work;\n"
"        no clang: only 'ebpfctl build' needs it)\n"
"  fail  ebpfctl cannot run probes here (no bpf() permission, no kernel BTF)\n"
"followed by an indented 'hint: <what to do>' line when a fix is known.\n"
"\n"
"Exit status: 0 no check failed (warnings allowed); 1 some check failed;\n"
"64 bad command line.\n");
}

enum { OPT_JSON = 256 };

static const struct option doctor_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static int bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error("doctor: option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		return cli_usage_error("doctor: unknown option '-%c'", optopt);
	/* getopt_long gives '?' with optopt set for "--json=VALUE" */
	if (optopt && strchr(arg, '='))
		return cli_usage_error("doctor: option '%.*s' takes no value",
				       (int)(strchr(arg, '=') - arg), arg);
	return cli_usage_error("doctor: unknown option '%s'", arg);
}

static void print_text(const struct doctor_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct doctor_check *c = &rep->checks[i];

		printf("%-4s  %s: %s\n", doctor_status_name(c->status), c->name, c->detail);
		if (c->hint[0])
			printf("      hint: %s\n", c->hint);
	}
}

static int print_json(const struct doctor_report *rep)
{
	cJSON *arr, *obj;
	char *text;
	bool ok = true;

	arr = cJSON_CreateArray();
	if (!arr)
		return -1;
	for (size_t i = 0; i < rep->n && ok; i++) {
		const struct doctor_check *c = &rep->checks[i];

		obj = cJSON_CreateObject();
		ok = obj && cJSON_AddItemToArray(arr, obj) &&
		     cJSON_AddStringToObject(obj, "check", c->name) &&
		     cJSON_AddStringToObject(obj, "status", doctor_status_name(c->status)) &&
		     cJSON_AddStringToObject(obj, "detail", c->detail) &&
		     (!c->hint[0] || cJSON_AddStringToObject(obj, "hint", c->hint));
	}
	text = ok ? cJSON_PrintUnformatted(arr) : NULL;
	cJSON_Delete(arr);
	if (!text)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_report *rep;
	bool json = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", doctor_options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			doctor_usage(stdout);
			return EXIT_OK;
		default:
			return bad_option(argv, c);
		}
	}
	if (optind < argc)
		return cli_usage_error("doctor: unexpected argument '%s'", argv[optind]);

	/* ~20 KiB of fixed-size strings: not for the stack */
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		fprintf(stderr, "error: doctor: Cannot allocate memory\n");
		return EXIT_FAIL;
	}
	ret = doctor_run(rep);
	if (ret) {
		fprintf(stderr, "error: doctor: %s\n", strerror(-ret));
		free(rep);
		return EXIT_FAIL;
	}
	if (json) {
		if (print_json(rep)) {
			fprintf(stderr, "error: doctor: cannot build the JSON output: Cannot "
				"allocate memory\n");
			free(rep);
			return EXIT_FAIL;
		}
	} else {
		print_text(rep);
	}
	ret = doctor_worst(rep) == DOCTOR_FAIL ? EXIT_FAIL : EXIT_OK;
	free(rep);
	if (fflush(stdout) == EOF)
		return EXIT_FAIL;
	return ret;
}
