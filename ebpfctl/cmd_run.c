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
#include <unistd.h>
#include "builder.h"
#include "cli.h"
#include "runner.h"
#include "strbuf.h"
#include "tpgen.h"

static const char run_help[] =
"Usage: ebpfctl run OBJECT|REF... [OPTIONS]\n"
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
"  --web-config FILE         TLS, client certificates, basic auth (bcrypt) and\n"
"                            response headers for every endpoint, in the\n"
"                            Prometheus exporter-toolkit format\n"
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
"  --enrich                  container context: events and label sets with a\n"
"                            cgroup_id member gain container_id,\n"
"                            container_name, pod and namespace (from the\n"
"                            cgroup path and the runtime's files under\n"
"                            --host-root; no API server)\n"
"  --folded FILE             write counter maps keyed by stack ids as folded\n"
"                            stacks (flame graph input), every --interval\n"
"                            and at exit\n"
"\n"
"OCI artifacts (an OBJECT that is not a file is a reference\n"
"[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], see 'ebpfctl pull --help'):\n"
"  --pull POLICY             missing (default: pull what the store lacks),\n"
"                            always, or never\n"
"  --store DIR               the local store (default /var/lib/ebpfctl/store\n"
"                            for root, else $XDG_DATA_HOME/ebpfctl/store)\n"
"  --plain-http              talk HTTP to the registry, not HTTPS\n"
"  --insecure                HTTPS without verifying the certificate\n"
"  --ca-file FILE            verify the registry's certificate with this CA\n"
"\n"
"Security and environment:\n"
"  --capabilities-keep LIST  after attach keep only these capabilities\n"
"                            (cap_bpf,cap_perfmon,...), none, or auto\n"
"                            (default: what the rest of the run needs, e.g.\n"
"                            cap_net_admin to remove tc filters at exit)\n"
"  --btf FILE                the kernel's BTF for CO-RE relocations, for\n"
"                            kernels without /sys/kernel/btf/vmlinux (e.g. a\n"
"                            BTFHub file)\n"
"  --host-root DIR           where the host's / is mounted (in a container):\n"
"                            kernel BTF, kallsyms, /proc and cgroup paths are\n"
"                            read under it\n"
"  --log-format FORMAT       text (default) or json: stderr as JSON lines\n"
"                            {\"time\":...,\"level\":\"warning\",\"msg\":...}\n"
"  -v, --verbose             show libbpf's messages and where each setting\n"
"                            came from (twice: debug)\n"
"  -h, --help                show this help\n"
"\n"
"Environment: every option --foo-bar can be given as EBPFCTL_FOO_BAR\n"
"(switches: 1, true, 0, false; repeatable options: space-separated items);\n"
"the command line wins over the environment. EBPFCTL_OBJECT names the\n"
"objects when the command line does not. Under systemd, READY=1 is sent once\n"
"everything is attached (NOTIFY_SOCKET) and a socket passed with LISTEN_FDS\n"
"serves /metrics. /-/healthy and /-/ready answer 200 while running.\n"
"\n"
"DURATION is Go syntax (500ms, 2s, 1m30s, 1h); a bare number means seconds.\n"
"Output: one JSON object per line on stdout, e.g.\n"
"  {\"time\":\"2026-11-22T10:00:00.123456789Z\",\"map\":\"events\",\"event\":{...}}\n"
"SIGINT, SIGTERM and SIGHUP flush, detach and exit 0 (there is no\n"
"configuration to reload); a closed stdout (| head) exits 0.\n"
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
	OPT_ENRICH,
	OPT_FOLDED,
	OPT_LOAD_ONLY,
	OPT_HOST_ROOT,
	OPT_BTF,
	OPT_LOG_FORMAT,
	OPT_WEB_CONFIG,
	OPT_CAPS_KEEP,
	OPT_PULL,
	OPT_STORE,
	OPT_PLAIN_HTTP,
	OPT_INSECURE,
	OPT_CA_FILE,
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
	{ "enrich", no_argument, NULL, OPT_ENRICH },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "load-only", no_argument, NULL, OPT_LOAD_ONLY },
	{ "host-root", required_argument, NULL, OPT_HOST_ROOT },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ "capabilities-keep", required_argument, NULL, OPT_CAPS_KEEP },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "plain-http", no_argument, NULL, OPT_PLAIN_HTTP },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static void on_signal(int sig)
{
	runner_stop();
}

/* Everything is attached: tell systemd (Type=notify), and arm --duration:
 * the loop ends by itself when it is due, but a write blocked on a reader
 * that stopped reading only returns for a signal. */
/* trace's temporary probe: removed once it is loaded (nothing needs the
 * files after that, and a SIGKILLed trace leaves nothing behind) */
static char trace_files[3][64];

static void remove_trace_files(void)
{
	for (int i = 0; i < 3; i++)
		if (trace_files[i][0] && (i < 2 ? unlink(trace_files[i]) : rmdir(trace_files[i])) == 0)
			trace_files[i][0] = '\0';
}

static void on_running(void *ctx)
{
	uint64_t ns = *(const uint64_t *)ctx;
	struct itimerval it = {
		.it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_usec = (suseconds_t)(ns % 1000000000ULL / 1000) },
	};

	remove_trace_files();
	cli_notify("READY=1\nSTATUS=probes attached, exporting");
	if (!ns)
		return;
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_stopping(void *ctx)
{
	cli_notify("STOPPING=1");
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
	free(a->env_objects);
	for (int i = 0; i < a->n_paths; i++) {
		free(a->paths[i]);
		free(a->labels[i]);
	}
	free(a->paths);
	free(a->labels);
	free(a->shown);
	oci_store_close(a->store);
	for (int i = 0; i < a->n_strs; i++)
		free(a->strs[i]);
	free(a->strs);
	for (int i = 0; i < a->n_origin; i++)
		free(a->origin[i]);
	free(a->origin);
}

/* Strings the options point into (environment items): freed with a. */
static char *keep(struct run_args *a, char *s)
{
	char **n;

	if (!s)
		return NULL;
	n = realloc(a->strs, (size_t)(a->n_strs + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return NULL;
	}
	a->strs = n;
	a->strs[a->n_strs++] = s;
	return s;
}

/* -v: where each setting came from */
static void note_origin(struct run_args *a, const char *name, const char *val, const char *src)
{
	char **n = realloc(a->origin, (size_t)(a->n_origin + 1) * sizeof(*n)), *line;

	if (!n)
		return;
	a->origin = n;
	if (asprintf(&line, "--%s%s%s (%s)", name, val ? "=" : "", val ? val : "", src) >= 0)
		a->origin[a->n_origin++] = line;
}

/* Grow the per-option arrays (they hold one entry per occurrence). */
static int room(struct run_args *a)
{
	int n = a->cap ? a->cap * 2 : 16;

	if (a->o.n_sets < a->cap && a->o.n_hist_buckets < a->cap && a->o.n_ifaces < a->cap &&
	    a->o.n_attach < a->cap)
		return 0;
#define GROW(p) do { void *q = realloc(p, (size_t)n * sizeof(*(p))); if (!q) return -1; (p) = q; } while (0)
	GROW(a->sets);
	GROW(a->hb);
	GROW(a->ifaces);
	GROW(a->attach);
#undef GROW
	memset(a->hb + a->cap, 0, (size_t)(n - a->cap) * sizeof(*a->hb));
	a->cap = n;
	return 0;
}

/* One option occurrence, from the command line (src "--name") or the
 * environment (src "EBPFCTL_NAME"): 0, or -1 with *status set. */
/* "--x 'v'" on the command line, "EBPFCTL_X='v'" from the environment */
#define SEP(src) (strncmp(src, "EBPFCTL_", 8) ? " " : "=")

static int apply_opt(struct run_args *a, int c, char *val, const char *src, const char *cmd, int *status)
{
	struct runner_opts *o = &a->o;

#define USAGE(...) do { *status = cli_usage_error(__VA_ARGS__); return -1; } while (0)
	if (room(a))
		return -1;
	switch (c) {
	case OPT_METRICS_ADDR:
		if (!valid_addr(val))
			USAGE("%s: %s%s'%s': expected HOST:PORT, e.g. 0.0.0.0:9091 or [::1]:9091", cmd, src, SEP(src), val);
		a->addr = val;
		break;
	case OPT_NO_METRICS:
		a->no_metrics = true;
		break;
	case OPT_SET: {
		char *eq = strchr(val, '='), *colon;
		struct runner_set *st = &a->sets[o->n_sets];

		if (!eq || eq == val)
			USAGE("%s: %s%s'%s': expected VAR=VALUE", cmd, src, SEP(src), val);
		*eq = '\0';
		colon = strchr(val, ':');
		if (colon) {
			if (colon == val || !colon[1]) {
				*eq = '=';
				USAGE("%s: %s%s'%s': expected OBJECT:VAR=VALUE", cmd, src, SEP(src), val);
			}
			*colon = '\0';
			st->object = val;
			st->name = colon + 1;
		} else {
			st->object = NULL;
			st->name = val;
		}
		st->value = eq + 1;
		o->n_sets++;
		break;
	}
	case OPT_INTERVAL:
		if (parse_duration(val, &o->interval_ns))
			USAGE("%s: %s%s'%s': expected a positive duration like 500ms, 2s or 1m30s", cmd, src, SEP(src), val);
		break;
	case OPT_DURATION:
		if (parse_duration(val, &o->duration_ns))
			USAGE("%s: %s%s'%s': expected a positive duration like 500ms, 2s or 1m30s", cmd, src, SEP(src), val);
		break;
	case OPT_NAMESPACE:
		if (!valid_namespace(val))
			USAGE("%s: %s%s'%s': must match [a-zA-Z_][a-zA-Z0-9_]*", cmd, src, SEP(src), val);
		o->metrics_ns = val;
		break;
	case OPT_HIST_BUCKETS:
		if (parse_buckets(val, &a->hb[o->n_hist_buckets])) {
			free((char *)a->hb[o->n_hist_buckets].map);
			free(a->hb[o->n_hist_buckets].bounds);
			a->hb[o->n_hist_buckets] = (struct runner_hist_buckets){};
			USAGE("%s: %s%s'%s': expected MAP=B1,B2,... with increasing numbers", cmd, src, SEP(src), val);
		}
		o->n_hist_buckets++;
		break;
	case OPT_MAX_SERIES: {
		unsigned long v;

		if (!parse_uint(val, 100000000, &v))
			USAGE("%s: %s%s'%s': expected a positive integer", cmd, src, SEP(src), val);
		o->max_series = (unsigned int)v;
		o->table_max_series = (unsigned int)v;
		break;
	}
	case OPT_IFACE:
		if (!*val || strlen(val) >= 16 || strchr(val, '/') || strchr(val, ' '))
			USAGE("%s: %s%s'%s': expected a network interface name", cmd, src, SEP(src), val);
		a->ifaces[o->n_ifaces++] = val;
		break;
	case OPT_XDP_MODE:
		if (!strcmp(val, "auto"))
			o->xdp_mode = RUNNER_XDP_AUTO;
		else if (!strcmp(val, "native"))
			o->xdp_mode = RUNNER_XDP_NATIVE;
		else if (!strcmp(val, "generic"))
			o->xdp_mode = RUNNER_XDP_GENERIC;
		else
			USAGE("%s: %s%s'%s': expected auto, native or generic", cmd, src, SEP(src), val);
		break;
	case OPT_CGROUP:
		if (!*val)
			USAGE("%s: %s%s'': expected a cgroup v2 directory", cmd, src, SEP(src));
		o->cgroup = val;
		break;
	case OPT_PID: {
		unsigned long v;

		if (!parse_uint(val, 0x7fffffff, &v))
			USAGE("%s: %s%s'%s': expected a process id", cmd, src, SEP(src), val);
		o->pid = (int)v;
		break;
	}
	case OPT_ATTACH: {
		char *eq = strchr(val, '=');

		if (!eq || eq == val || !eq[1])
			USAGE("%s: %s%s'%s': expected PROG=TARGET", cmd, src, SEP(src), val);
		*eq = '\0';
		a->attach[o->n_attach].prog = val;
		a->attach[o->n_attach++].target = eq + 1;
		break;
	}
	case OPT_SAMPLE_FREQ: {
		unsigned long v;

		if (!parse_uint(val, 100000, &v))
			USAGE("%s: %s%s'%s': expected a positive integer up to 100000 (Hz)", cmd, src, SEP(src), val);
		o->sample_freq = (unsigned int)v;
		break;
	}
	case OPT_BPF_STATS:
		o->bpf_stats = true;
		break;
	case OPT_ENRICH:
		o->enrich = true;
		break;
	case OPT_FOLDED:
		if (!*val)
			USAGE("%s: %s%s'': expected a file name", cmd, src, SEP(src));
		o->folded_path = val;
		break;
	case OPT_HOST_ROOT:
		if (!*val)
			USAGE("%s: %s%s'': expected a directory", cmd, src, SEP(src));
		o->host_root = val;
		break;
	case OPT_BTF:
		if (!*val)
			USAGE("%s: %s%s'': expected a file name", cmd, src, SEP(src));
		o->btf_path = val;
		break;
	case OPT_CAPS_KEEP:
		if (!*val)
			USAGE("%s: %s%s'': expected auto, none or a list like cap_bpf,cap_perfmon", cmd, src, SEP(src));
		o->caps_keep = val;
		break;
	case OPT_WEB_CONFIG:
		if (!*val)
			USAGE("%s: %s%s'': expected a file name", cmd, src, SEP(src));
		o->web_config = val;
		break;
	case OPT_LOG_FORMAT:
		/* applied before parsing (cli_log_format_from): only checked here */
		if (strcmp(val, "text") && strcmp(val, "json"))
			USAGE("%s: %s%s'%s': expected text or json", cmd, src, SEP(src), val);
		break;
	case OPT_LOAD_ONLY:
		o->mode = RUNNER_CHECK_LOAD_ONLY;
		break;
	case OPT_PULL:
		if (!strcmp(val, "missing"))
			a->pull.policy = CLI_PULL_MISSING;
		else if (!strcmp(val, "always"))
			a->pull.policy = CLI_PULL_ALWAYS;
		else if (!strcmp(val, "never"))
			a->pull.policy = CLI_PULL_NEVER;
		else
			USAGE("%s: %s%s'%s': expected missing, always or never", cmd, src, SEP(src), val);
		break;
	case OPT_STORE:
		if (!*val)
			USAGE("%s: %s%s'': expected a directory", cmd, src, SEP(src));
		a->pull.store = val;
		break;
	case OPT_PLAIN_HTTP:
		a->pull.reg.plain_http = true;
		break;
	case OPT_INSECURE:
		a->pull.reg.insecure = true;
		break;
	case OPT_CA_FILE:
		if (!*val)
			USAGE("%s: %s%s'': expected a file name", cmd, src, SEP(src));
		a->pull.reg.ca_file = val;
		break;
	case 'v':
		o->verbose++;
		break;
	}
#undef USAGE
	return 0;
}

static bool is_repeatable(int c)
{
	return c == OPT_SET || c == OPT_HIST_BUCKETS || c == OPT_IFACE || c == OPT_ATTACH;
}

/* EBPFCTL_FOO_BAR for --foo-bar */
static void env_name(const char *opt, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "EBPFCTL_%s", opt);

	for (size_t i = 8; i < n && i < size; i++)
		out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

/* Every option not on the command line, from its EBPFCTL_ variable: the
 * command line wins over the environment, the environment over defaults. */
static int apply_env(struct run_args *a, const bool *seen, const char *cmd, bool check, int *status)
{
	for (const struct option *lo = long_opts; lo->name; lo++) {
		char var[64], *v, *copy, *tok, *save = NULL;
		int c = lo->val;

		if (c == 'h' || (c == OPT_LOAD_ONLY && !check) || seen[c & 511])
			continue;
		/* the command line's endpoint choice wins as a whole */
		if ((c == OPT_NO_METRICS && seen[OPT_METRICS_ADDR]) || (c == OPT_METRICS_ADDR && seen[OPT_NO_METRICS]))
			continue;
		env_name(lo->name, var, sizeof(var));
		v = getenv(var);
		if (!v)
			continue;
		if (lo->has_arg == no_argument) {
			int times = 0;

			if (!strcmp(v, "1") || !strcmp(v, "true"))
				times = 1;
			else if (c == 'v' && (!strcmp(v, "2") || !strcmp(v, "3")))
				times = v[0] - '0';
			else if (strcmp(v, "0") && strcmp(v, "false")) {
				*status = cli_usage_error("%s: %s='%s': expected 1, true, 0 or false", cmd, var, v);
				return -1;
			}
			for (int i = 0; i < times; i++)
				if (apply_opt(a, c, NULL, var, cmd, status))
					return -1;
			if (times)
				note_origin(a, lo->name, NULL, var);
			continue;
		}
		if (!is_repeatable(c)) {
			copy = keep(a, strdup(v));
			if (!copy || apply_opt(a, c, copy, var, cmd, status))
				return -1;
			note_origin(a, lo->name, v, var);
			continue;
		}
		/* repeatable: space-separated items */
		copy = strdup(v);
		if (!copy)
			return -1;
		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			char *item = keep(a, strdup(tok));

			if (!item || apply_opt(a, c, item, var, cmd, status)) {
				free(copy);
				return -1;
			}
			note_origin(a, lo->name, tok, var);
		}
		free(copy);
	}
	return 0;
}

/* A typo in a container spec (EBPFCTL_INTERVALL) would silently do nothing:
 * warn about EBPFCTL_ variables that are neither an option nor one of
 * ebpfctl's other variables. */
static void warn_unknown_env(void)
{
	static const char *const other[] = { "EBPFCTL_OBJECT", "EBPFCTL_INCLUDE", "EBPFCTL_TC_ATTACH" };
	extern char **environ;

	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
		bool known = false;
		char var[64];

		if (strncmp(*e, "EBPFCTL_", 8) || !strncmp(*e, "EBPFCTL_TEST_", 13))
			continue;
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]) && !known; i++)
			known = strlen(other[i]) == n && !strncmp(*e, other[i], n);
		for (const struct option *lo = long_opts; lo->name && !known; lo++) {
			env_name(lo->name, var, sizeof(var));
			known = strlen(var) == n && !strncmp(*e, var, n) && lo->val != 'h';
		}
		if (!known)
			cli_warn("%.*s is not an ebpfctl setting (ignored)", (int)n, *e);
	}
}

/* EBPFCTL_OBJECT: the objects when the command line names none. */
static int env_objects(struct run_args *a)
{
	const char *v = getenv("EBPFCTL_OBJECT");
	char *copy, *tok, *save = NULL;
	int n = 0;

	if (!v || !*v)
		return 0;
	copy = keep(a, strdup(v));
	a->env_objects = calloc(strlen(v) / 2 + 2, sizeof(*a->env_objects));
	if (!copy || !a->env_objects)
		return -1;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		a->env_objects[n++] = tok;
	a->o.objects = a->env_objects;
	a->o.n_objects = n;
	return n;
}

/* systemd socket activation: LISTEN_FDS for this process, the first fd (3). */
static int listen_fd(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	int fd = -1;

	if (fds && pid && atoi(fds) >= 1 && atol(pid) == (long)getpid()) {
		fd = 3;	/* SD_LISTEN_FDS_START */
		if (atoi(fds) > 1)
			fprintf(stderr, "warning: LISTEN_FDS=%s: only the first socket (fd 3) serves /metrics\n", fds);
	}
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

/* OCI references among the objects: pulled per --pull, checked, and
 * replaced by their program blob's file (cmd_oci.c). */
int run_args_resolve(struct run_args *a, int *status)
{
	struct runner_opts *o = &a->o;
	struct reg_opts reg = a->pull.reg;

	cli_log_init(o->verbose);
	cli_reg_opts(&a->pull.reg, reg.plain_http, reg.insecure, reg.ca_file);
	a->pull.host_root = o->host_root;
	a->pull.btf_path = o->btf_path;
	a->paths = calloc((size_t)o->n_objects, sizeof(*a->paths));
	a->labels = calloc((size_t)o->n_objects, sizeof(*a->labels));
	a->shown = calloc((size_t)o->n_objects, sizeof(*a->shown));
	if (!a->paths || !a->labels || !a->shown)
		return -1;
	for (int i = 0; i < o->n_objects; i++) {
		char path[4096], label[256];
		struct rerr err = {};

		if (cli_resolve_object(o->objects[i], &a->pull, &a->store, path, sizeof(path), label, sizeof(label),
				       &err)) {
			*status = cli_report(&err);
			return -1;
		}
		a->paths[i] = strdup(path);
		a->labels[i] = strdup(label);
		a->shown[i] = label[0] ? o->objects[i] : NULL;
		a->n_paths++;
		if (!a->paths[i] || !a->labels[i])
			return -1;
	}
	o->objects = (const char *const *)a->paths;
	o->object_names = (const char *const *)a->labels;
	o->object_shown = a->shown;
	return 0;
}

/* Parse `run`'s (and `check`'s) command line and EBPFCTL_ environment into
 * a->o.  0, or the exit status to return (help printed, usage error
 * reported). */
int run_args_parse(int argc, char **argv, const char *cmd, const char *help, struct run_args *a, int *status)
{
	struct runner_opts *o = &a->o;
	bool check = !strcmp(cmd, "check"), seen[512] = {};
	char src[64];
	int c, ret;

	memset(a, 0, sizeof(*a));
	*status = EXIT_FAIL;
	runner_opts_init(o);
	/* a test hook, not an option (EBPFCTL_TEST_* are never warned about) */
	if (getenv("EBPFCTL_TEST_ATTACH_PAUSE_US"))
		o->attach_pause_us = (unsigned int)strtoul(getenv("EBPFCTL_TEST_ATTACH_PAUSE_US"), NULL, 10);
	if (room(a))
		return -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		const struct option *lo;

		switch (c) {
		case 'h':
			fputs(help, stdout);
			*status = EXIT_OK;
			return -1;
		case ':':
			*status = cli_usage_error("%s: option '%s' needs a value", cmd, argv[optind - 1]);
			return -1;
		case '?':
			if (optopt && optopt < 256)
				ret = cli_usage_error("%s: unknown option '-%c'", cmd, optopt);
			else
				ret = cli_usage_error("%s: unknown option '%s'", cmd, argv[optind - 1]);
			cli_hint("run 'ebpfctl %s --help' for the options", cmd);
			*status = ret;
			return -1;
		case OPT_LOAD_ONLY:
			if (!check) {
				*status = cli_usage_error("%s: unknown option '--load-only'", cmd);
				cli_hint("--load-only is an option of 'ebpfctl check'");
				return -1;
			}
			break;
		}
		seen[c & 511] = true;
		for (lo = long_opts; lo->name && lo->val != c; lo++)
			;
		snprintf(src, sizeof(src), "--%s", lo->name ? lo->name : "?");
		if (apply_opt(a, c, optarg, src, cmd, status))
			return -1;
		if (lo->name)
			note_origin(a, lo->name, optarg, "command line");
	}
	if (apply_env(a, seen, cmd, check, status))
		return -1;
	warn_unknown_env();
	if (optind < argc) {
		o->objects = (const char *const *)&argv[optind];
		o->n_objects = argc - optind;
	} else if (strcmp(cmd, "trace") && env_objects(a) < 0) {
		return -1;
	}
	if (!o->n_objects) {
		if (!strcmp(cmd, "trace"))
			*status = cli_usage_error("trace: missing CATEGORY:NAME (a tracepoint, e.g. syscalls:sys_enter_openat)");
		else
			*status = cli_usage_error("%s: missing OBJECT (a compiled probe, e.g. probe.bpf.o)", cmd);
		return -1;
	}
	if (a->addr && a->no_metrics) {
		/* both from the command line or both from the environment:
		 * apply_env takes neither when the command line gave one */
		bool env = !seen[OPT_METRICS_ADDR];

		*status = cli_usage_error("%s: %s and %s cannot be used together", cmd,
					  env ? "EBPFCTL_METRICS_ADDR" : "--metrics-addr",
					  env ? "EBPFCTL_NO_METRICS" : "--no-metrics");
		return -1;
	}
	if (check && o->mode != RUNNER_CHECK_LOAD_ONLY)
		o->mode = RUNNER_CHECK;
	o->metrics_addr = a->no_metrics || check ? NULL : a->addr ? a->addr : "0.0.0.0:9091";
	if (!a->no_metrics && !check)
		o->metrics_fd = listen_fd();
	o->sets = a->sets;
	o->hist_buckets = a->hb;
	o->ifaces = (const char *const *)a->ifaces;
	o->attach = a->attach;
	return 0;
}

/* With -v: every setting that is not a default, and where it came from. */
void run_args_report(const struct run_args *a)
{
	if (!a->o.verbose)
		return;
	for (int i = 0; i < a->n_origin; i++)
		cli_info("config: %s", a->origin[i]);
	if (a->env_objects)
		cli_info("config: objects from EBPFCTL_OBJECT");
	if (a->o.metrics_fd >= 0)
		cli_info("config: /metrics on the socket systemd passed (LISTEN_FDS)");
}

/* Run what run_args_parse made of the command line, until a signal,
 * --duration or a closed stdout. */
static int run_parsed(struct run_args *a)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rerr err = {};
	int ret;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed terminal or `kill -HUP`: ebpfctl has no configuration to
	 * reload, and dying of it would leave tc filters and a tracefs mount
	 * behind, so it stops as for SIGTERM */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->o.on_running = on_running;
	a->o.on_running_ctx = &a->o.duration_ns;
	a->o.on_stopping = on_stopping;
	if (a->o.duration_ns)
		sigaction(SIGALRM, &sa, NULL);

	ret = runner_run(&a->o, &err);
	return ret ? cli_report(&err) : EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	int status;

	cli_log_format_from(argc, argv);
	if (run_args_parse(argc, argv, "run", run_help, &a, &status) || run_args_resolve(&a, &status)) {
		run_args_free(&a);
		return status;
	}
	cli_log_init(a.o.verbose);
	run_args_report(&a);
	status = run_parsed(&a);
	run_args_free(&a);
	return status;
}

static const char trace_help[] =
"Usage: ebpfctl trace CATEGORY:NAME [--fields F1,F2,...] [RUN OPTIONS]\n"
"\n"
"Trace one classic tracepoint with no probe to write: the probe 'ebpfctl init\n"
"--tracepoint' would write is built into a temporary object (removed at exit)\n"
"and run at once, as 'ebpfctl run' runs it: one JSON line per hit on stdout,\n"
"{\"time\":...,\"map\":\"events\",\"event\":{FIELD:VALUE,...}}. Needs clang (as\n"
"'ebpfctl build').\n"
"\n"
"Options:\n"
"  --fields F1,F2,...  only these fields of the tracepoint (default: all; the\n"
"                      tracefs format lists them); a field named __x is x\n"
"  every 'ebpfctl run' option (--duration, --set, --metrics-addr, --no-metrics,\n"
"  -v, ...): see 'ebpfctl run --help'\n"
"  -h, --help          show this help\n"
"\n"
"  ebpfctl trace syscalls:sys_enter_openat --fields filename,flags --no-metrics\n"
"  ebpfctl trace sched:sched_process_exec --duration 10s --no-metrics\n"
"\n"
"An unknown tracepoint or field is a usage error whose hint lists the valid\n"
"ones. Exit status: run's (0, 1, 64).\n";

int cli_tracepoint_source(const char *tracepoint, const char *fields, const char *how_made, struct strbuf *out)
{
	struct tp_format fmt;
	struct rerr err = {};
	int e;

	e = tpgen_load(tracepoint, &fmt, &err);
	if (!e)
		e = tpgen_source(&fmt, fields, how_made, out, &err);
	tpgen_free(&fmt);
	return e ? cli_report(&err) : 0;
}

/* --fields F / --fields=F out of argv (run's parser does not know it). */
static int take_fields(int *argc, char **argv, const char **fields)
{
	int o = 1;

	*fields = NULL;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--fields")) {
			if (i + 1 >= *argc)
				return cli_usage_error("trace: option '--fields' needs a value");
			*fields = argv[++i];
		} else if (!strncmp(argv[i], "--fields=", 9)) {
			*fields = argv[i] + 9;
		} else {
			argv[o++] = argv[i];
		}
	}
	*argc = o;
	argv[o] = NULL;
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	char dir[] = "/tmp/ebpfctl-trace-XXXXXX", src[64], obj[64], how[512];
	const char *fields, *tp, *objs[1];
	struct build_opts bo = {};
	struct strbuf sb = {};
	struct rerr err = {};
	struct run_args a;
	int status;
	FILE *f;

	cli_log_format_from(argc, argv);
	status = take_fields(&argc, argv, &fields);
	if (status)
		return status;
	if (run_args_parse(argc, argv, "trace", trace_help, &a, &status)) {
		run_args_free(&a);
		return status;
	}
	cli_log_init(a.o.verbose);
	if (a.o.n_objects != 1) {
		status = cli_usage_error("trace: one tracepoint at a time (got '%s' too)", a.o.objects[1]);
		goto out;
	}
	tp = a.o.objects[0];
	snprintf(how, sizeof(how), "ebpfctl trace %s%s%s", tp, fields ? " --fields " : "", fields ? fields : "");
	status = cli_tracepoint_source(tp, fields, how, &sb);
	if (status)
		goto out;
	if (!mkdtemp(dir)) {
		rerr_set(&err, -errno, "%s: %s", dir, strerror(errno));
		status = cli_report(&err);
		goto out;
	}
	snprintf(src, sizeof(src), "%s/trace.bpf.c", dir);
	snprintf(obj, sizeof(obj), "%s/trace.bpf.o", dir);
	snprintf(trace_files[0], sizeof(trace_files[0]), "%s", src);
	snprintf(trace_files[1], sizeof(trace_files[1]), "%s", obj);
	snprintf(trace_files[2], sizeof(trace_files[2]), "%s", dir);
	f = fopen(src, "w");
	if (!f || fwrite(sb.buf, 1, sb.len, f) != sb.len || fclose(f)) {
		rerr_set(&err, -EIO, "%s: cannot write the probe", src);
		status = cli_report(&err);
		goto clean;
	}
	bo.source = src;
	bo.output = obj;
	bo.verbose = a.o.verbose;
	if (builder_build(&bo, &err)) {
		status = cli_report(&err);
		goto clean;
	}
	objs[0] = obj;
	a.o.objects = objs;
	a.o.n_objects = 1;
	run_args_report(&a);
	status = run_parsed(&a);
clean:
	remove_trace_files();
out:
	sb_free(&sb);
	run_args_free(&a);
	return status;
}
