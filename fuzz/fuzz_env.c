// SPDX-License-Identifier: MIT
/* The EBPFCTL_* environment and the run/check command line
 * (ebpfctl/cmd_run.c run_args_parse, with cli_log_format_from and
 * run_args_report): the CLI objects are linked in, main.c's main() renamed
 * (-Dmain=ebpfctl_main) so its cli_* helpers can be used.  Their stderr
 * lines and --help go to /dev/null (fz_quiet).
 *
 * Input: [u8 flags] then lines.  A line starting with '-' is a command-line
 * argument; any other line NAME=VALUE sets the variable EBPFCTL_NAME (so
 * INTERVAL=5s sets EBPFCTL_INTERVAL); flags bit 0 picks `check` instead of
 * `run`, bit 1 adds the object argument probe.bpf.o (else EBPFCTL_OBJECT
 * may give it).  The environment of a run is exactly those variables: the
 * target points `environ` at its own array for the call (setenv() would
 * keep every string it was ever given: glibc never frees them, and the
 * fuzzer's memory would grow by each input's values).
 * Oracles: 0 or -1; on 0 the options are consistent (objects named, the
 * arrays hold what the counts say, the metrics endpoint as the flags say);
 * on -1 the status is 0 (help), 1 or 64. */
#include <errno.h>
#include <getopt.h>
#include "cli.h"
#include "fuzz.h"

#define MAX_ARGS 16
#define MAX_VARS 16

static const char help[] = "Usage: fuzz\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	/* nothing from the fuzzer's own environment */
	for (char **e = environ; e && *e;) {
		if (!strncmp(*e, "EBPFCTL_", 8) || !strncmp(*e, "LISTEN_", 7)) {
			char *name = strndup(*e, strcspn(*e, "="));

			unsetenv(name);
			free(name);
			continue;
		}
		e++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	const char *cmd = flags & 1 ? "check" : "run";
	char *args[MAX_ARGS + 3], *vars[MAX_VARS + 1], *lines[MAX_ARGS + MAX_VARS];
	int argc = 0, nvars = 0, nlines = 0, status = -1, r;
	char **saved = environ;
	struct run_args a;

	args[argc++] = (char *)cmd;
	while (f.n && nlines < MAX_ARGS + MAX_VARS) {
		char *line = fz_line(&f), *eq;

		lines[nlines++] = line;
		if (line[0] == '-') {
			if (argc < MAX_ARGS + 1)
				args[argc++] = line;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq || eq == line || nvars >= MAX_VARS)
			continue;
		if (asprintf(&vars[nvars++], "EBPFCTL_%s", line) < 0)
			abort();
	}
	vars[nvars] = NULL;
	if (flags & 2)
		args[argc++] = "probe.bpf.o";
	args[argc] = NULL;

	environ = vars;
	cli_log_format_from(argc, args);
	r = run_args_parse(argc, args, cmd, help, &a, &status);
	FZ_CHECK(r == 0 || r == -1, "returned %d", r);
	if (r) {
		FZ_CHECK(status == EXIT_OK || status == EXIT_FAIL || status == EXIT_USAGE, "status %d", status);
	} else {
		const struct runner_opts *o = &a.o;

		FZ_CHECK(o->n_objects > 0 && o->objects, "no objects");
		for (int i = 0; i < o->n_objects; i++)
			FZ_CHECK(o->objects[i] && o->objects[i][0], "object %d is empty", i);
		FZ_CHECK(o->n_sets <= a.cap && o->n_hist_buckets <= a.cap && o->n_ifaces <= a.cap && o->n_attach <= a.cap,
			 "counts above capacity %d", a.cap);
		for (int i = 0; i < o->n_sets; i++)
			FZ_CHECK(o->sets[i].name && o->sets[i].name[0] && o->sets[i].value, "set %d", i);
		for (int i = 0; i < o->n_hist_buckets; i++) {
			const struct runner_hist_buckets *hb = &o->hist_buckets[i];

			FZ_CHECK(hb->map && hb->map[0] && hb->n > 0, "hist buckets %d", i);
			for (int k = 1; k < hb->n; k++)
				FZ_CHECK(hb->bounds[k] > hb->bounds[k - 1], "hist buckets %d not increasing", i);
		}
		for (int i = 0; i < o->n_ifaces; i++)
			FZ_CHECK(o->ifaces[i][0] && strlen(o->ifaces[i]) < 16, "iface %d", i);
		for (int i = 0; i < o->n_attach; i++)
			FZ_CHECK(o->attach[i].prog[0] && o->attach[i].target[0], "attach %d", i);
		if (!strcmp(cmd, "check"))
			FZ_CHECK(!o->metrics_addr && (o->mode == RUNNER_CHECK || o->mode == RUNNER_CHECK_LOAD_ONLY),
				 "check mode");
		else
			FZ_CHECK(o->mode == RUNNER_RUN && (a.no_metrics ? !o->metrics_addr : !!o->metrics_addr), "run mode");
		run_args_report(&a);
	}
	environ = saved;
	run_args_free(&a);
	/* run_args_parse restarts getopt with optind = 1, which glibc takes as
	 * "go on": after an error inside a cluster ("-zv") its next-character
	 * pointer still points into this input's (freed) argv.  The CLI parses
	 * once per process; here, reset getopt fully (optind = 0) each time. */
	optind = 0;
	getopt(1, (char *[]){ "fuzz", NULL }, "");
	for (int i = 0; i < nvars; i++)
		free(vars[i]);
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	return 0;
}
