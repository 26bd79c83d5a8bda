// SPDX-License-Identifier: MIT
/* ebpfctl: command table and the error grammar shared by every command. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "run", cmd_run, "load probe objects, attach them, export their maps" },
	{ "check", cmd_check, "load and attach probe objects, report, detach (for CI)" },
	{ "init", cmd_init, "scaffold a new probe source file" },
	{ "build", cmd_build, "compile a probe source file into a BPF object" },
	{ "doctor", cmd_doctor, "check what this machine lets ebpfctl do" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: ebpfctl COMMAND [OPTIONS]\n\n"
		   "Run eBPF probes without writing user-space code.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'ebpfctl COMMAND --help' for a command's options.\n");
}

int cli_report(const struct rerr *err)
{
	fprintf(stderr, "error: %s\n", err->msg[0] ? err->msg : "unknown error");
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
	return err->usage ? EXIT_USAGE : EXIT_FAIL;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static void log_sink(void *ctx, enum rlog_level level, const char *msg)
{
	int verbose = *(int *)ctx;
	size_t n = strlen(msg);

	if (level == RLOG_DETAIL || level == RLOG_NOTE)
		fprintf(stderr, "%s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
	else if (level == RLOG_WARN)
		fprintf(stderr, "warning: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
	else if (verbose)
		fprintf(stderr, "%s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
}

void cli_log_init(int verbose)
{
	static int v;

	v = verbose;
	rlog_set_sink(log_sink, &v);
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: ebpfctl version\n\nPrint ebpfctl's version.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("version: unexpected argument '%s'", argv[1]);
	printf("ebpfctl %s\n", EBPFCTL_VERSION);
	return EXIT_OK;
}

/* Started with stdin, stdout or stderr closed (`>&-`): the first files we
 * open (the object, BPF maps) would take those numbers and JSON lines or
 * errors would be written into them.  Hold each closed one with /dev/null. */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			break;
}

int main(int argc, char **argv)
{
	hold_std_fds();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	cli_usage_error("unknown command '%s'", argv[1]);
	fprintf(stderr, "hint: run 'ebpfctl --help' for the list of commands\n");
	return EXIT_USAGE;
}
