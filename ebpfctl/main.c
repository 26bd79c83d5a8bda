// SPDX-License-Identifier: MIT
/* ebpfctl: command table and the error grammar shared by every command. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include "cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "run", cmd_run, "load probe objects, attach them, export their maps" },
	{ "trace", cmd_trace, "trace a tracepoint's fields with no probe to write" },
	{ "check", cmd_check, "load and attach probe objects, report, detach (for CI)" },
	{ "init", cmd_init, "scaffold a new probe source file" },
	{ "build", cmd_build, "compile a probe source file into a BPF object" },
	{ "doctor", cmd_doctor, "check what this machine lets ebpfctl do" },
	{ "package", cmd_package, "store a compiled probe as an OCI artifact" },
	{ "push", cmd_push, "upload a stored artifact to a registry" },
	{ "pull", cmd_pull, "download an artifact from a registry" },
	{ "list", cmd_list, "list the artifacts in the local store" },
	{ "inspect", cmd_inspect, "show a stored artifact's manifest and config" },
	{ "tag", cmd_tag, "give a stored artifact another name" },
	{ "rm", cmd_rm, "remove artifacts from the local store" },
	{ "login", cmd_login, "save credentials for a registry" },
	{ "logout", cmd_logout, "remove saved credentials for a registry" },
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

/* --log-format json: every stderr line is {"time":...,"level":...,"msg":...} */
static bool log_json;

void cli_log_format_from(int argc, char **argv)
{
	const char *v = getenv("EBPFCTL_LOG_FORMAT");

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--log-format") && i + 1 < argc)
			v = argv[i + 1];
		else if (!strncmp(argv[i], "--log-format=", 13))
			v = argv[i] + 13;
	}
	log_json = v && !strcmp(v, "json");
}

/* One stderr line: text as given, or a JSON object. */
static void emit(const char *level, const char *prefix, const char *msg, const char *hint)
{
	size_t n = strlen(msg);

	if (!log_json) {
		fprintf(stderr, "%s%s%s", prefix, msg, n && msg[n - 1] == '\n' ? "" : "\n");
		return;
	}
	{
		char when[64], *text;
		struct timespec ts;
		struct tm tm;
		cJSON *o = cJSON_CreateObject();

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
		if (!o)
			return;
		cJSON_AddStringToObject(o, "time", when);
		cJSON_AddStringToObject(o, "level", level);
		/* without the trailing newline */
		text = strndup(msg, n && msg[n - 1] == '\n' ? n - 1 : n);
		cJSON_AddStringToObject(o, "msg", text ? text : msg);
		free(text);
		if (hint)
			cJSON_AddStringToObject(o, "hint", hint);
		text = cJSON_PrintUnformatted(o);
		if (text)
			fprintf(stderr, "%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	}
}

int cli_report(const struct rerr *err)
{
	const char *msg = err->msg[0] ? err->msg : "unknown error";

	if (log_json) {
		emit("error", "", msg, err->hint[0] ? err->hint : NULL);
	} else {
		fprintf(stderr, "error: %s\n", msg);
		if (err->hint[0])
			fprintf(stderr, "hint: %s\n", err->hint);
	}
	return err->usage ? EXIT_USAGE : EXIT_FAIL;
}

static void vemit(const char *level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(level, prefix, msg, NULL);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit("error", "error: ", fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

void cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit("hint", "hint: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit("warning", "warning: ", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit("info", "", fmt, ap);
	va_end(ap);
}

static void log_sink(void *ctx, enum rlog_level level, const char *msg)
{
	int verbose = *(int *)ctx;

	if (level == RLOG_DETAIL || level == RLOG_NOTE)
		emit("info", "", msg, NULL);
	else if (level == RLOG_WARN)
		emit("warning", "warning: ", msg, NULL);
	else if (verbose)
		emit(level == RLOG_DEBUG ? "debug" : "info", "", msg, NULL);
}

void cli_log_init(int verbose)
{
	static int v;

	v = verbose;
	rlog_set_sink(log_sink, &v);
}

int cmd_version(int argc, char **argv)
{
	struct utsname u;
	const char *btf = "/sys/kernel/btf/vmlinux";

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: ebpfctl version\n\nPrint ebpfctl's version, the libbpf it uses, the kernel release and\n"
		       "whether the kernel has BTF (what CO-RE probes need).\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("version: unexpected argument '%s'", argv[1]);
	printf("ebpfctl %s\n", EBPFCTL_VERSION);
	printf("libbpf %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	if (!uname(&u))
		printf("kernel %s %s\n", u.release, u.machine);
	printf("btf %s\n", access(btf, R_OK) ? "no (no /sys/kernel/btf/vmlinux: build with --btf or a BTFHub file)"
					      : "yes (/sys/kernel/btf/vmlinux)");
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
	cli_hint("run 'ebpfctl --help' for the list of commands");
	return EXIT_USAGE;
}
