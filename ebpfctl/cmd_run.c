// SPDX-License-Identifier: MIT
/* ebpfctl run: parse the command line, hand everything to the runner. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "cli.h"
#include "runner.h"

static const char run_help[] =
"Usage: ebpfctl run OBJECT... [OPTIONS]\n"
"\n"
"Load each BPF object, attach every program, and export their maps:\n"
"maps in SEC(\".maps.print\") become JSON lines on stdout, SEC(\".maps.counter\"),\n"
"\".maps.gauge\" and \".maps.hist\" become Prometheus metrics on /metrics.\n"
"Maps named print_*, counter_*, gauge_*, hist_* in SEC(\".maps\") work too.\n"
"With several objects: one process, one /metrics, and every JSON line\n"
"carries \"object\":\"<file name without .bpf.o>\" right after \"time\".\n"
"\n"
"Options:\n"
"  --metrics-addr HOST:PORT  serve /metrics here (default 0.0.0.0:9091;\n"
"                            IPv6 as [::1]:9091)\n"
"  --no-metrics              do not serve /metrics\n"
"  --set [OBJ:]VAR=VALUE     set a global (const volatile, .data or .bss)\n"
"                            before load; parsed by its BTF type: integers\n"
"                            (decimal or 0x hex), true/false, enum names,\n"
"                            strings for char arrays. Applies to every object\n"
"                            declaring VAR, or to object OBJ. Repeatable.\n"
"  --interval DURATION       how often hash/array print maps and iter/\n"
"                            programs are read (default 1s)\n"
"  --duration DURATION       exit cleanly (status 0) after this long\n"
"  --metrics-namespace NS    metric name prefix (default ebpf_solo_io)\n"
"  --hist-buckets MAP=B1,B2,...\n"
"                            explicit bucket bounds for a ring-buffer hist map\n"
"                            (default: log2 buckets). Repeatable.\n"
"  --max-series N            label sets kept per map: ring buffer/perf maps\n"
"                            (default 10000); hash/array maps only when given\n"
"\n"
"Attach targets:\n"
"  --iface NAME              attach xdp and tc programs to this network\n"
"                            interface. Repeatable.\n"
"  --xdp-mode MODE           auto (native, else generic), native or generic\n"
"  --cgroup PATH             cgroup v2 directory for cgroup programs\n"
"                            (default: the cgroup v2 root)\n"
"  --sample-freq HZ          perf_event programs sample every CPU at HZ\n"
"                            (default 49)\n"
"  --attach PROG=TARGET      give program PROG its target: PATH:FUNC[+OFF]\n"
"                            (uprobe), PATH:PROVIDER:NAME (usdt), an interface\n"
"                            (xdp, tc), a cgroup path, a kernel function\n"
"                            (kprobe, fentry, fexit), CATEGORY/NAME\n"
"                            (tracepoint). Repeatable.\n"
"  --pid PID                 uprobes and usdt (and perf_event sampling) only\n"
"                            in this process\n"
"  --bpf-stats               turn on the kernel's BPF run-time stats for the\n"
"                            run: ebpfctl_program_runs_total and\n"
"                            ebpfctl_program_run_seconds_total; with\n"
"                            --duration, each program's cost at exit\n"
"  --folded FILE             write counter maps keyed by stack ids as folded\n"
"                            stacks (flame graph input), every --interval\n"
"                            and at exit\n"
"\n"
"  -v, --verbose             show libbpf's messages (twice: debug)\n"
"  -h, --help                show this help\n"
"\n"
"DURATION is Go syntax (500ms, 2s, 1m30s, 1h); a bare number means seconds.\n"
"Output: one JSON object per line on stdout, e.g.\n"
"  {\"time\":\"2026-11-22T10:00:00.123456789Z\",\"map\":\"events\",\"event\":{...}}\n"
"SIGINT/SIGTERM flush, detach and exit 0; a closed stdout (| head) exits 0.\n"
"Exit status: 0 success, 1 failure, 64 command-line error.\n";

enum {
	OPT_METRICS_ADDR = 256,
	OPT_NO_METRICS,
	OPT_SET,
	OPT_INTERVAL,
	OPT_DURATION,
	OPT_NAMESPACE,
	OPT_HIST_BUCKETS,
	OPT_MAX_SERIES,
	OPT_IFACE,
	OPT_XDP_MODE,
	OPT_CGROUP,
	OPT_PID,
	OPT_ATTACH,
	OPT_SAMPLE_FREQ,
	OPT_BPF_STATS,
	OPT_FOLDED,
	OPT_LOAD_ONLY,
};

static const struct option long_opts[] = {
	{ "metrics-addr", required_argument, NULL, OPT_METRICS_ADDR },
	{ "no-metrics", no_argument, NULL, OPT_NO_METRICS },
	{ "set", required_argument, NULL, OPT_SET },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "metrics-namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "hist-buckets", required_argument, NULL, OPT_HIST_BUCKETS },
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "sample-freq", required_argument, NULL, OPT_SAMPLE_FREQ },
	{ "bpf-stats", no_argument, NULL, OPT_BPF_STATS },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "load-only", no_argument, NULL, OPT_LOAD_ONLY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static void on_signal(int sig)
{
	runner_stop();
}

/* --duration: the loop ends by itself when it is due, but a write blocked on
 * a reader that stopped reading only returns for a signal. */
static void arm_duration(void *ctx)
{
	uint64_t ns = *(const uint64_t *)ctx;
	struct itimerval it = {
		.it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_usec = (suseconds_t)(ns % 1000000000ULL / 1000) },
	};

	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

static bool valid_namespace(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* HOST:PORT with an IPv6 host in brackets; the HTTP server resolves it. */
static bool valid_addr(const char *a)
{
	const char *colon;
	char *end;
	long port;

	if (a[0] == '[') {
		const char *rb = strchr(a, ']');

		if (!rb || rb == a + 1 || rb[1] != ':')
			return false;
		colon = rb + 1;
	} else {
		colon = strrchr(a, ':');
		if (!colon || memchr(a, ':', (size_t)(colon - a)))
			return false;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] && !*end && !errno && port > 0 && port <= 65535;
}

static int parse_buckets(const char *arg, struct runner_hist_buckets *hb)
{
	const char *eq = strchr(arg, '=');
	char *list, *tok, *save = NULL;

	if (!eq || eq == arg || !eq[1])
		return -EINVAL;
	hb->map = strndup(arg, (size_t)(eq - arg));
	list = strdup(eq + 1);
	hb->bounds = calloc(strlen(eq + 1) / 2 + 2, sizeof(double));
	hb->n = 0;
	if (!hb->map || !list || !hb->bounds)
		return -ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		double v = strtod(tok, &end);

		if (end == tok || *end || v != v || (hb->n && v <= hb->bounds[hb->n - 1])) {
			free(list);
			return -EINVAL;
		}
		hb->bounds[hb->n++] = v;
	}
	free(list);
	return hb->n ? 0 : -EINVAL;
}

/* A positive decimal integer up to max. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v && *v <= max;
}

void run_args_free(struct run_args *a)
{
	for (int i = 0; i < a->o.n_hist_buckets; i++) {
		free((char *)a->hb[i].map);
		free(a->hb[i].bounds);
	}
	free(a->hb);
	free(a->sets);
	free(a->ifaces);
	free(a->attach);
}

/* Parse `run`'s (and `check`'s) command line into a->o.  0, or the exit
 * status to return (help printed, usage error reported). */
int run_args_parse(int argc, char **argv, const char *cmd, const char *help, struct run_args *a, int *status)
{
	struct runner_opts *o = &a->o;
	const char *addr = NULL;
	bool no_metrics = false, check = !strcmp(cmd, "check");
	int c, ret;

	memset(a, 0, sizeof(*a));
	a->sets = calloc((size_t)argc, sizeof(*a->sets));
	a->hb = calloc((size_t)argc, sizeof(*a->hb));
	a->ifaces = calloc((size_t)argc, sizeof(*a->ifaces));
	a->attach = calloc((size_t)argc, sizeof(*a->attach));
	*status = EXIT_FAIL;
	if (!a->sets || !a->hb || !a->ifaces || !a->attach)
		return -1;
	runner_opts_init(o);
	opterr = 0;
	optind = 1;
#define USAGE(...) do { *status = cli_usage_error(__VA_ARGS__); return -1; } while (0)
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_METRICS_ADDR:
			if (!valid_addr(optarg))
				USAGE("%s: --metrics-addr '%s': expected HOST:PORT, e.g. 0.0.0.0:9091 or [::1]:9091", cmd,
				      optarg);
			addr = optarg;
			break;
		case OPT_NO_METRICS:
			no_metrics = true;
			break;
		case OPT_SET: {
			char *eq = strchr(optarg, '='), *colon;
			struct runner_set *st = &a->sets[o->n_sets];

			if (!eq || eq == optarg)
				USAGE("%s: --set '%s': expected VAR=VALUE", cmd, optarg);
			*eq = '\0';
			colon = strchr(optarg, ':');
			if (colon) {
				if (colon == optarg || !colon[1]) {
					*eq = '=';
					USAGE("%s: --set '%s': expected OBJECT:VAR=VALUE", cmd, optarg);
				}
				*colon = '\0';
				st->object = optarg;
				st->name = colon + 1;
			} else {
				st->name = optarg;
			}
			st->value = eq + 1;
			o->n_sets++;
			break;
		}
		case OPT_INTERVAL:
			if (parse_duration(optarg, &o->interval_ns))
				USAGE("%s: --interval '%s': expected a positive duration like 500ms, 2s or 1m30s", cmd,
				      optarg);
			break;
		case OPT_DURATION:
			if (parse_duration(optarg, &o->duration_ns))
				USAGE("%s: --duration '%s': expected a positive duration like 500ms, 2s or 1m30s", cmd,
				      optarg);
			break;
		case OPT_NAMESPACE:
			if (!valid_namespace(optarg))
				USAGE("%s: --metrics-namespace '%s': must match [a-zA-Z_][a-zA-Z0-9_]*", cmd, optarg);
			o->metrics_ns = optarg;
			break;
		case OPT_HIST_BUCKETS:
			if (parse_buckets(optarg, &a->hb[o->n_hist_buckets]))
				USAGE("%s: --hist-buckets '%s': expected MAP=B1,B2,... with increasing numbers", cmd,
				      optarg);
			o->n_hist_buckets++;
			break;
		case OPT_MAX_SERIES: {
			unsigned long v;

			if (!parse_uint(optarg, 100000000, &v))
				USAGE("%s: --max-series '%s': expected a positive integer", cmd, optarg);
			o->max_series = (unsigned int)v;
			o->table_max_series = (unsigned int)v;
			break;
		}
		case OPT_IFACE:
			if (!*optarg || strlen(optarg) >= 16 || strchr(optarg, '/') || strchr(optarg, ' '))
				USAGE("%s: --iface '%s': expected a network interface name", cmd, optarg);
			a->ifaces[o->n_ifaces++] = optarg;
			break;
		case OPT_XDP_MODE:
			if (!strcmp(optarg, "auto"))
				o->xdp_mode = RUNNER_XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				o->xdp_mode = RUNNER_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				o->xdp_mode = RUNNER_XDP_GENERIC;
			else
				USAGE("%s: --xdp-mode '%s': expected auto, native or generic", cmd, optarg);
			break;
		case OPT_CGROUP:
			if (!*optarg)
				USAGE("%s: --cgroup '': expected a cgroup v2 directory", cmd);
			o->cgroup = optarg;
			break;
		case OPT_PID: {
			unsigned long v;

			if (!parse_uint(optarg, 0x7fffffff, &v))
				USAGE("%s: --pid '%s': expected a process id", cmd, optarg);
			o->pid = (int)v;
			break;
		}
		case OPT_ATTACH: {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || !eq[1])
				USAGE("%s: --attach '%s': expected PROG=TARGET", cmd, optarg);
			*eq = '\0';
			a->attach[o->n_attach].prog = optarg;
			a->attach[o->n_attach++].target = eq + 1;
			break;
		}
		case OPT_SAMPLE_FREQ: {
			unsigned long v;

			if (!parse_uint(optarg, 100000, &v))
				USAGE("%s: --sample-freq '%s': expected a positive integer (Hz)", cmd, optarg);
			o->sample_freq = (unsigned int)v;
			break;
		}
		case OPT_BPF_STATS:
			o->bpf_stats = true;
			break;
		case OPT_FOLDED:
			if (!*optarg)
				USAGE("%s: --folded '': expected a file name", cmd);
			o->folded_path = optarg;
			break;
		case OPT_LOAD_ONLY:
			if (!check) {
				*status = cli_usage_error("%s: unknown option '--load-only'", cmd);
				fprintf(stderr, "hint: --load-only is an option of 'ebpfctl check'\n");
				return -1;
			}
			o->mode = RUNNER_CHECK_LOAD_ONLY;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(help, stdout);
			*status = EXIT_OK;
			return -1;
		case ':':
			USAGE("%s: option '%s' needs a value", cmd, argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				ret = cli_usage_error("%s: unknown option '-%c'", cmd, optopt);
			else
				ret = cli_usage_error("%s: unknown option '%s'", cmd, argv[optind - 1]);
			fprintf(stderr, "hint: run 'ebpfctl %s --help' for the options\n", cmd);
			*status = ret;
			return -1;
		}
	}
	if (optind >= argc)
		USAGE("%s: missing OBJECT (a compiled probe, e.g. probe.bpf.o)", cmd);
	if (addr && no_metrics)
		USAGE("%s: --metrics-addr and --no-metrics cannot be used together", cmd);
#undef USAGE
	if (check && o->mode != RUNNER_CHECK_LOAD_ONLY)
		o->mode = RUNNER_CHECK;
	o->objects = (const char *const *)&argv[optind];
	o->n_objects = argc - optind;
	o->metrics_addr = no_metrics || check ? NULL : addr ? addr : "0.0.0.0:9091";
	o->sets = a->sets;
	o->hist_buckets = a->hb;
	o->ifaces = a->ifaces;
	o->attach = a->attach;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rerr err = {};
	struct run_args a;
	int ret, status;

	if (run_args_parse(argc, argv, "run", run_help, &a, &status)) {
		run_args_free(&a);
		return status;
	}
	cli_log_init(a.o.verbose);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (a.o.duration_ns) {
		sigaction(SIGALRM, &sa, NULL);
		a.o.on_running = arm_duration;
		a.o.on_running_ctx = &a.o.duration_ns;
	}

	ret = runner_run(&a.o, &err);
	run_args_free(&a);
	return ret ? cli_report(&err) : EXIT_OK;
}
