// SPDX-License-Identifier: MIT
/* ebpfctl init: pick a program, map and output type (flags, or prompts on a
 * terminal) and write a commented probe.  The probe text comes from
 * runner/scaffold.c; this file is argv, prompts and the file write. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "scaffold.h"
#include "strbuf.h"

#define DEFAULT_FILE "probe.bpf.c"

static void list_choices(FILE *f, const struct scaffold_choice *t, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(f, "                         %-8s %s\n", t[i].name, t[i].summary);
}

static void init_usage(FILE *f)
{
	fprintf(f,
"Usage: ebpfctl init [--program-type TYPE] [--map-type TYPE] [--output-type TYPE]\n"
"                    [--file PATH] [--force]\n"
"       ebpfctl init --tracepoint CATEGORY:NAME [--fields F1,F2,...] [--file PATH]\n"
"                    [--force]\n"
"\n"
"Write a commented probe source file that 'ebpfctl build' compiles and\n"
"'ebpfctl run' loads as it is.  On a terminal, init asks for every choice not\n"
"given as a flag (Enter takes the default in brackets); otherwise the defaults\n"
"are used: process, ringbuf, print, " DEFAULT_FILE ".\n"
"\n"
"Options:\n"
"  -p, --program-type TYPE  what the probe watches:\n");
	list_choices(f, scaffold_progs, SCAFFOLD_NPROG);
	fprintf(f, "  -m, --map-type TYPE      how the probe hands data to ebpfctl:\n");
	list_choices(f, scaffold_maps, SCAFFOLD_NMAP);
	fprintf(f, "  -o, --output-type TYPE   what ebpfctl makes of the map:\n");
	list_choices(f, scaffold_outputs, SCAFFOLD_NOUT);
	fprintf(f,
"  -t, --tracepoint CATEGORY:NAME\n"
"                           instead: a probe capturing a classic tracepoint's\n"
"                           fields (from its tracefs format) as JSON lines,\n"
"                           e.g. syscalls:sys_enter_openat\n"
"      --fields F1,F2,...   with --tracepoint: only these fields (default all)\n"
"  -f, --file PATH          where to write (default " DEFAULT_FILE "; - for stdout)\n"
"      --force              overwrite PATH if it exists\n"
"  -h, --help               show this help\n"
"\n"
"Combinations that cannot be generated (usage error):\n"
"  ringbuf + gauge          a gauge is a level kept in a map: use hash\n"
"  file + gauge             nothing to keep a level of: use counter or hist\n"
"  syscall + ringbuf        one record per system call floods the buffer: use hash\n"
"Every other combination (24 of them) compiles, loads and produces output.\n"
"Counter scaffolds keep pid-like fields behind __ so they are never labels.\n"
"\n"
"Exit status: 0 written; 1 file exists (without --force) or cannot be written;\n"
"64 bad command line or impossible combination.\n");
}

enum { OPT_FORCE = 256, OPT_FIELDS };

static const struct option init_options[] = {
	{ "program-type", required_argument, NULL, 'p' },
	{ "map-type", required_argument, NULL, 'm' },
	{ "output-type", required_argument, NULL, 'o' },
	{ "file", required_argument, NULL, 'f' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "tracepoint", required_argument, NULL, 't' },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static void join_names(char *buf, size_t sz, const struct scaffold_choice *t, int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < sz; i++)
		off += snprintf(buf + off, sz - off, "%s%s", i ? ", " : "", t[i].name);
}

static int parse_choice(const char *what, const char *value, const struct scaffold_choice *t, int n,
			int *out)
{
	char names[256];

	*out = scaffold_lookup(t, n, value);
	if (*out >= 0)
		return 0;
	join_names(names, sizeof(names), t, n);
	return cli_usage_error("init: unknown %s '%s': valid types are %s", what, value, names);
}

/* Whether choice i for slot `which` can still lead to a valid combination. */
static bool choice_possible(int which, const int sel[3], int i)
{
	int c[3];

	memcpy(c, sel, sizeof(c));
	c[which] = i;
	for (int p = 0; p < SCAFFOLD_NPROG; p++)
		for (int m = 0; m < SCAFFOLD_NMAP; m++)
			for (int o = 0; o < SCAFFOLD_NOUT; o++)
				if ((c[0] < 0 || c[0] == p) && (c[1] < 0 || c[1] == m) &&
				    (c[2] < 0 || c[2] == o) && scaffold_supported(p, m, o, NULL))
					return true;
	return false;
}

/* The default for one choice given the others: the documented default when
 * it fits, else the first one that does. */
static int pick_default(int which, const int sel[3], int preferred)
{
	int n = which == 0 ? SCAFFOLD_NPROG : which == 1 ? SCAFFOLD_NMAP : SCAFFOLD_NOUT;

	if (choice_possible(which, sel, preferred))
		return preferred;
	for (int i = 0; i < n; i++)
		if (choice_possible(which, sel, i))
			return i;
	return preferred;
}

/* Read one answer line from stdin; NULL on end of input. */
static char *read_answer(char **line, size_t *cap)
{
	ssize_t n = getline(line, cap, stdin);

	if (n < 0)
		return NULL;
	while (n && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r' || (*line)[n - 1] == ' ' ||
		     (*line)[n - 1] == '\t'))
		(*line)[--n] = '\0';
	char *p = *line;

	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Ask for one choice among those still possible; 0 with *out set, or the
 * exit status of a usage error (end of input). */
static int prompt_choice(const char *title, const char *question, int which, const int sel[3],
			 const struct scaffold_choice *t, int n, int def, int *out)
{
	int idx[8], cnt = 0, d = 0;
	char *line = NULL, *ans;
	size_t cap = 0;

	for (int i = 0; i < n; i++)
		if (choice_possible(which, sel, i))
			idx[cnt++] = i;
	fprintf(stderr, "%s\n", title);
	for (int k = 0; k < cnt; k++) {
		fprintf(stderr, "  %d) %-8s %s\n", k + 1, t[idx[k]].name, t[idx[k]].summary);
		if (idx[k] == def)
			d = k;
	}
	for (;;) {
		fprintf(stderr, "%s [%s]: ", question, t[idx[d]].name);
		fflush(stderr);
		ans = read_answer(&line, &cap);
		if (!ans) {
			fputc('\n', stderr);
			free(line);
			return cli_usage_error("init: no answer for '%s' (end of input)", question);
		}
		if (!*ans) {
			*out = idx[d];
			break;
		}
		char *end;
		long num = strtol(ans, &end, 10);

		if (!*end && num >= 1 && num <= cnt) {
			*out = idx[num - 1];
			break;
		}
		int k;

		for (k = 0; k < cnt; k++)
			if (!strcasecmp(ans, t[idx[k]].name))
				break;
		if (k < cnt) {
			*out = idx[k];
			break;
		}
		fprintf(stderr, "  '%s' is not one of the choices: answer 1-%d or a name\n", ans, cnt);
	}
	free(line);
	fputc('\n', stderr);
	return 0;
}

static int prompt_file(char **path)
{
	char *line = NULL, *ans;
	size_t cap = 0;

	fprintf(stderr, "File to write [%s]: ", DEFAULT_FILE);
	fflush(stderr);
	ans = read_answer(&line, &cap);
	if (!ans) {
		fputc('\n', stderr);
		free(line);
		return cli_usage_error("init: no answer for 'File to write' (end of input)");
	}
	*path = strdup(*ans ? ans : DEFAULT_FILE);
	free(line);
	if (!*path)
		return cli_usage_error("init: out of memory");
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int file_error(const char *path, int e)
{
	struct rerr err = {};

	rerr_set(&err, -e, "%s: %s", path, strerror(e));
	return cli_report(&err);
}

static int exists_error(const char *path)
{
	struct rerr err = {};

	rerr_set(&err, -EEXIST, "%s: file exists", path);
	rerr_hint(&err, "pass --force to overwrite it, or --file to write another file");
	return cli_report(&err);
}

/* Write text to path: refuse an existing file unless force, in which case it
 * is replaced atomically (temp file + rename). */
static int write_probe(const char *path, const char *text, size_t len, bool force)
{
	char tmp[4096];
	int fd, ret;

	if (!force) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			return exists_error(path);
		if (fd < 0)
			return file_error(path, errno);
		ret = write_all(fd, text, len);
		if (close(fd) && !ret)
			ret = -errno;
		if (ret) {
			unlink(path);
			return file_error(path, -ret);
		}
		return EXIT_OK;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
		return file_error(path, ENAMETOOLONG);
	fd = mkstemp(tmp);
	if (fd < 0)
		return file_error(path, errno);
	fchmod(fd, 0644);
	ret = write_all(fd, text, len);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return file_error(path, -ret);
	}
	return EXIT_OK;
}

static int bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error("init: option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		return cli_usage_error("init: unknown option '-%c'", optopt);
	return cli_usage_error("init: unknown option '%s'", arg);
}

/* init --tracepoint: the probe from the tracepoint's format (cmd_trace.c). */
static int init_tracepoint(const char *tp, const char *fields, const char *path, bool force)
{
	struct strbuf sb = {}, how = {};
	int ret;

	if (strcmp(path, "-") && !force && !access(path, F_OK))
		return exists_error(path);
	sb_printf(&how, "ebpfctl init --tracepoint %s%s%s", tp, fields ? " --fields " : "", fields ? fields : "");
	ret = cli_tracepoint_source(tp, fields, sb_cstr(&how), &sb);
	if (!ret && !strcmp(path, "-"))
		ret = write_all(STDOUT_FILENO, sb.buf, sb.len) ? file_error("stdout", errno) : EXIT_OK;
	else if (!ret) {
		size_t n = strlen(path);

		ret = write_probe(path, sb.buf, sb.len, force);
		if (ret == EXIT_OK)
			printf("wrote %s (tracepoint %s)\n\nnext:\n  ebpfctl build %s\n  sudo ebpfctl run %.*s.o\n", path, tp,
			       path, (int)(n > 2 && !strcmp(path + n - 2, ".c") ? n - 2 : n), path);
	}
	sb_free(&sb);
	sb_free(&how);
	return ret;
}

int cmd_init(int argc, char **argv)
{
	static const int preferred[3] = { SCAFFOLD_PROCESS, SCAFFOLD_RINGBUF, SCAFFOLD_PRINT };
	int sel[3] = { -1, -1, -1 };
	struct strbuf sb = {};
	struct rerr err = {};
	char *path = NULL, *base_copy = NULL;
	const char *why, *tracepoint = NULL, *fields = NULL;
	bool force = false, interactive;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:m:o:f:t:h", init_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_choice("program type", optarg, scaffold_progs, SCAFFOLD_NPROG, &sel[0]))
				return EXIT_USAGE;
			break;
		case 'm':
			if (parse_choice("map type", optarg, scaffold_maps, SCAFFOLD_NMAP, &sel[1]))
				return EXIT_USAGE;
			break;
		case 'o':
			if (parse_choice("output type", optarg, scaffold_outputs, SCAFFOLD_NOUT, &sel[2]))
				return EXIT_USAGE;
			break;
		case 'f':
			free(path);
			path = strdup(optarg);
			if (!path)
				return cli_usage_error("init: out of memory");
			if (!*path) {
				free(path);
				return cli_usage_error("init: --file needs a non-empty path");
			}
			break;
		case OPT_FORCE:
			force = true;
			break;
		case 't':
			tracepoint = optarg;
			break;
		case OPT_FIELDS:
			fields = optarg;
			break;
		case 'h':
			free(path);
			init_usage(stdout);
			return EXIT_OK;
		default:
			free(path);
			return bad_option(argv, c);
		}
	}
	if (optind < argc) {
		free(path);
		cli_usage_error("init: unexpected argument '%s'", argv[optind]);
		fprintf(stderr, "hint: the file name goes after --file\n");
		return EXIT_USAGE;
	}
	if (fields && !tracepoint) {
		free(path);
		return cli_usage_error("init: --fields needs --tracepoint");
	}
	if (tracepoint) {
		if (sel[0] >= 0 || sel[1] >= 0 || sel[2] >= 0) {
			free(path);
			return cli_usage_error("init: --tracepoint writes its own probe: no --program-type, --map-type "
					       "or --output-type with it");
		}
		ret = init_tracepoint(tracepoint, fields, path ? path : DEFAULT_FILE, force);
		free(path);
		return ret;
	}
	/* Flags that already rule each other out are an error before any prompt. */
	for (int w = 0; w < 3; w++) {
		if (sel[w] >= 0 && !choice_possible(w, sel, sel[w])) {
			int p = sel[0] < 0 ? preferred[0] : sel[0];
			int m = sel[1] < 0 ? pick_default(1, (int[3]){ p, -1, sel[2] }, preferred[1]) : sel[1];
			int o = sel[2] < 0 ? pick_default(2, (int[3]){ p, m, -1 }, preferred[2]) : sel[2];

			scaffold_supported(p, m, o, &why);
			free(path);
			return cli_usage_error("init: cannot generate %s %s with %s output: %s",
					       scaffold_progs[p].name, scaffold_maps[m].name,
					       scaffold_outputs[o].name, why ? why : "not supported");
		}
	}

	/* say so before asking anything (written with O_EXCL all the same) */
	if (path && !force && strcmp(path, "-") && !access(path, F_OK)) {
		ret = exists_error(path);
		goto out;
	}
	interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	if (interactive && (sel[0] < 0 || sel[1] < 0 || sel[2] < 0 || !path))
		fprintf(stderr, "ebpfctl init: scaffold a probe (Enter takes the default in brackets)\n\n");
	if (sel[0] < 0) {
		int d = pick_default(0, sel, preferred[0]);

		if (!interactive)
			sel[0] = d;
		else if ((ret = prompt_choice("What should the probe watch?", "Program type", 0, sel,
					      scaffold_progs, SCAFFOLD_NPROG, d, &sel[0])))
			goto out;
	}
	if (sel[1] < 0) {
		int d = pick_default(1, sel, preferred[1]);

		if (!interactive)
			sel[1] = d;
		else if ((ret = prompt_choice("How should the probe hand data to ebpfctl?", "Map type", 1,
					      sel, scaffold_maps, SCAFFOLD_NMAP, d, &sel[1])))
			goto out;
	}
	if (sel[2] < 0) {
		int d = pick_default(2, sel, preferred[2]);

		if (!interactive)
			sel[2] = d;
		else if ((ret = prompt_choice("What should ebpfctl make of it?", "Output type", 2, sel,
					      scaffold_outputs, SCAFFOLD_NOUT, d, &sel[2])))
			goto out;
	}
	if (!path) {
		if (interactive) {
			if ((ret = prompt_file(&path)))
				goto out;
		} else if (!(path = strdup(DEFAULT_FILE))) {
			ret = cli_usage_error("init: out of memory");
			goto out;
		}
	}
	if (!scaffold_supported(sel[0], sel[1], sel[2], &why)) {
		ret = cli_usage_error("init: cannot generate %s %s with %s output: %s",
				      scaffold_progs[sel[0]].name, scaffold_maps[sel[1]].name,
				      scaffold_outputs[sel[2]].name, why);
		goto out;
	}

	base_copy = strdup(path);
	if (!base_copy) {
		ret = cli_usage_error("init: out of memory");
		goto out;
	}
	if (scaffold_generate(sel[0], sel[1], sel[2],
			      strcmp(path, "-") ? basename(base_copy) : DEFAULT_FILE, &sb, &err)) {
		ret = cli_report(&err);
		goto out;
	}
	if (!strcmp(path, "-")) {
		ret = write_all(STDOUT_FILENO, sb.buf, sb.len) ? file_error("stdout", errno) : EXIT_OK;
		goto out;
	}
	ret = write_probe(path, sb.buf, sb.len, force);
	if (ret == EXIT_OK) {
		size_t n = strlen(path);

		printf("wrote %s (%s, %s, %s)\n\nnext:\n  ebpfctl build %s\n  sudo ebpfctl run %.*s.o\n",
		       path, scaffold_progs[sel[0]].name, scaffold_maps[sel[1]].name,
		       scaffold_outputs[sel[2]].name, path,
		       (int)(n > 2 && !strcmp(path + n - 2, ".c") ? n - 2 : n), path);
	}
out:
	sb_free(&sb);
	free(base_copy);
	free(path);
	return ret;
}
