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
"Usage: ebpfctl run OBJECT [OPTIONS]\n"
"\n"
"Load the BPF object OBJECT, attach every program, and export its maps:\n"
"maps in SEC(\".maps.print\") become JSON lines on stdout, SEC(\".maps.counter\"),\n"
"\".maps.gauge\" and \".maps.hist\" become Prometheus metrics on /metrics.\n"
"Maps named print_*, counter_*, gauge_*, hist_* in SEC(\".maps\") work too.\n"
"\n"
"Options:\n"
"  --metrics-addr HOST:PORT  serve /metrics here (default 0.0.0.0:9091;\n"
"                            IPv6 as [::1]:9091)\n"
"  --no-metrics              do not serve /metrics\n"
"  --set VAR=VALUE           set a global (const volatile, .data or .bss)\n"
"                            before load; parsed by its BTF type: integers\n"
"                            (decimal or 0x hex), true/false, enum names,\n"
"                            strings for char arrays. Repeatable.\n"
"  --interval DURATION       how often hash/array print maps and iter/\n"
"                            programs are read (default 1s)\n"
"  --duration DURATION       exit cleanly (status 0) after this long\n"
"  --metrics-namespace NS    metric name prefix (default ebpf_solo_io)\n"
"  --hist-buckets MAP=B1,B2,...\n"
"                            explicit bucket bounds for a ring-buffer hist map\n"
"                            (default: log2 buckets). Repeatable.\n"
"  --max-series N            label sets kept per map: ring buffer/perf maps\n"
"                            (default 10000); hash/array maps only when given\n"
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

static int duration_opt(const char *opt, const char *v, uint64_t *ns)
{
	if (parse_duration(v, ns))
		return cli_usage_error("run: %s '%s': expected a positive duration like 500ms, 2s or 1m30s", opt,
				       v);
	return 0;
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

int cmd_run(int argc, char **argv)
{
	struct runner_opts o;
	struct runner_set *sets = calloc((size_t)argc, sizeof(*sets));
	struct runner_hist_buckets *hb = calloc((size_t)argc, sizeof(*hb));
	const char *addr = NULL;
	bool no_metrics = false;
	struct sigaction sa = { .sa_handler = on_signal };
	struct rerr err = {};
	int c, ret;

	if (!sets || !hb)
		return EXIT_FAIL;
	runner_opts_init(&o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_METRICS_ADDR:
			if (!valid_addr(optarg))
				return cli_usage_error("run: --metrics-addr '%s': expected HOST:PORT, e.g. "
						       "0.0.0.0:9091 or [::1]:9091",
						       optarg);
			addr = optarg;
			break;
		case OPT_NO_METRICS:
			no_metrics = true;
			break;
		case OPT_SET: {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg)
				return cli_usage_error("run: --set '%s': expected VAR=VALUE", optarg);
			*eq = '\0';
			sets[o.n_sets].name = optarg;
			sets[o.n_sets++].value = eq + 1;
			break;
		}
		case OPT_INTERVAL:
			if (duration_opt("--interval", optarg, &o.interval_ns))
				return EXIT_USAGE;
			break;
		case OPT_DURATION:
			if (duration_opt("--duration", optarg, &o.duration_ns))
				return EXIT_USAGE;
			break;
		case OPT_NAMESPACE:
			if (!valid_namespace(optarg))
				return cli_usage_error("run: --metrics-namespace '%s': must match [a-zA-Z_][a-zA-Z0-9_]*",
						       optarg);
			o.metrics_ns = optarg;
			break;
		case OPT_HIST_BUCKETS:
			if (parse_buckets(optarg, &hb[o.n_hist_buckets]))
				return cli_usage_error("run: --hist-buckets '%s': expected MAP=B1,B2,... with "
						       "increasing numbers",
						       optarg);
			o.n_hist_buckets++;
			break;
		case OPT_MAX_SERIES: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || !v || v > 100000000 || optarg[0] == '-')
				return cli_usage_error("run: --max-series '%s': expected a positive integer", optarg);
			o.max_series = (unsigned int)v;
			o.table_max_series = (unsigned int)v;
			break;
		}
		case 'v':
			o.verbose++;
			break;
		case 'h':
			fputs(run_help, stdout);
			return EXIT_OK;
		case ':':
			return cli_usage_error("run: option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				ret = cli_usage_error("run: unknown option '-%c'", optopt);
			else
				ret = cli_usage_error("run: unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "hint: run 'ebpfctl run --help' for the options\n");
			return ret;
		}
	}
	if (optind >= argc)
		return cli_usage_error("run: missing OBJECT (a compiled probe, e.g. probe.bpf.o)");
	if (optind + 1 < argc)
		return cli_usage_error("run: unexpected argument '%s'", argv[optind + 1]);
	if (addr && no_metrics)
		return cli_usage_error("run: --metrics-addr and --no-metrics cannot be used together");
	o.object_path = argv[optind];
	o.metrics_addr = no_metrics ? NULL : addr ? addr : "0.0.0.0:9091";
	o.sets = sets;
	o.hist_buckets = hb;

	cli_log_init(o.verbose);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.duration_ns) {
		sigaction(SIGALRM, &sa, NULL);
		o.on_running = arm_duration;
		o.on_running_ctx = &o.duration_ns;
	}

	ret = runner_run(&o, &err);
	for (int i = 0; i < o.n_hist_buckets; i++) {
		free((char *)hb[i].map);
		free(hb[i].bounds);
	}
	free(hb);
	free(sets);
	return ret ? cli_report(&err) : EXIT_OK;
}
