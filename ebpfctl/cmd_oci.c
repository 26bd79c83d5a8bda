// SPDX-License-Identifier: MIT
/* The OCI commands (DESIGN.md section 9, spec/oci.md): package, push, pull,
 * list, inspect, tag, rm, login, logout; and the helpers build, run and
 * check use for a REF.  argv only: the work is in runner/oci*.c and
 * runner/registry.c. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "oci.h"
#include "registry.h"

enum { OPT_STORE = 300, OPT_PLAIN_HTTP, OPT_INSECURE, OPT_CA_FILE, OPT_JSON, OPT_ANNOTATION,
       OPT_PASSWORD_STDIN };

static const struct option oci_options[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "plain-http", no_argument, NULL, OPT_PLAIN_HTTP },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "annotation", required_argument, NULL, OPT_ANNOTATION },
	{ "username", required_argument, NULL, 'u' },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char store_help[] =
"Store: an OCI image layout at --store DIR, else $EBPFCTL_STORE, else\n"
"/var/lib/ebpfctl/store (root) or $XDG_DATA_HOME/ebpfctl/store\n"
"(~/.local/share/ebpfctl/store).\n";

static const char registry_help[] =
"  --plain-http        talk HTTP, not HTTPS (a loopback registry that does not\n"
"                      speak TLS gets HTTP anyway, as docker does)\n"
"  --insecure          HTTPS without verifying the registry's certificate\n"
"  --ca-file FILE      verify the registry's certificate with this CA (PEM)\n"
"  -v, --verbose       show the registry exchanges (HTTP or HTTPS, blobs\n"
"                      skipped or mounted)\n"
"  -h, --help          show this help\n"
"\n"
"Credentials, the first found: $REGISTRY_AUTH_FILE; the file 'ebpfctl login'\n"
"writes ($DOCKER_CONFIG/config.json, else ~/.docker/config.json); podman's\n"
"auth.json ($XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json).\n";

struct oci_args {
	const char *store;
	struct reg_opts reg;
	bool json;
	int verbose;
	struct oci_annotation *ann;
	int n_ann;
	bool password_stdin;
	int first;		/* argv index of the first operand */
};

static void progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	static char last[96];
	int width = 30, fill;

	if (!total)
		return;
	fill = (int)(done * (uint64_t)width / total);
	fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%% %.1f/%.1f KiB", what, fill,
		"##############################", width - fill, "", (int)(done * 100 / total), done / 1024.0,
		total / 1024.0);
	if (done >= total && strcmp(last, what)) {
		fputc('\n', stderr);
		snprintf(last, sizeof(last), "%s", what);
	}
	fflush(stderr);
}

/* Test hook, as EBPFCTL_TEST_ATTACH_PAUSE_US: PATCH chunks of this size. */
static size_t test_chunk_size(void)
{
	const char *v = getenv("EBPFCTL_TEST_CHUNK_SIZE");

	return v ? (size_t)strtoul(v, NULL, 10) : 0;
}

/* The store: --store, EBPFCTL_STORE, the default. */
int cli_store_open(const char *dir, struct oci_store **st)
{
	struct rerr err = {};

	if (!dir) {
		dir = getenv("EBPFCTL_STORE");
		if (dir && !*dir)
			dir = NULL;
	}
	return oci_store_open(dir, st, &err) ? cli_report(&err) : 0;
}

void cli_reg_opts(struct reg_opts *o, bool plain_http, bool insecure, const char *ca_file)
{
	memset(o, 0, sizeof(*o));
	o->plain_http = plain_http;
	o->insecure = insecure;
	o->ca_file = ca_file;
	o->chunk_size = test_chunk_size();
	if (isatty(STDERR_FILENO))
		o->progress = progress;
}

static int parse(int argc, char **argv, const char *cmd, const char *help, const char *short_opts,
		 struct oci_args *a, int *status)
{
	int c;

	memset(a, 0, sizeof(*a));
	cli_reg_opts(&a->reg, false, false, NULL);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, oci_options, NULL)) != -1) {
		/* only the options the command's help lists */
		if (c != 'h' && c != 'v' && c != ':' && c != '?') {
			const struct option *lo;
			char flag[40];

			for (lo = oci_options; lo->name && lo->val != c; lo++)
				;
			snprintf(flag, sizeof(flag), "--%s", lo->name ? lo->name : "?");
			if (!strstr(help, flag) && !(c == 'u' && strstr(help, "-u USER"))) {
				*status = cli_usage_error("%s: unknown option '%s'", cmd, argv[optind - 1]);
				return -1;
			}
		}
		switch (c) {
		case OPT_STORE:
			a->store = optarg;
			break;
		case OPT_PLAIN_HTTP:
			a->reg.plain_http = true;
			break;
		case OPT_INSECURE:
			a->reg.insecure = true;
			break;
		case OPT_CA_FILE:
			if (access(optarg, R_OK)) {
				*status = cli_usage_error("%s: --ca-file '%s': %s", cmd, optarg, strerror(errno));
				return -1;
			}
			a->reg.ca_file = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_ANNOTATION: {
			char *eq = strchr(optarg, '=');
			struct oci_annotation *n;

			if (!eq || eq == optarg) {
				*status = cli_usage_error("%s: --annotation '%s': expected KEY=VALUE", cmd, optarg);
				return -1;
			}
			n = realloc(a->ann, sizeof(*n) * (a->n_ann + 1));
			if (!n)
				return -1;
			a->ann = n;
			*eq = '\0';
			a->ann[a->n_ann].key = optarg;
			a->ann[a->n_ann++].value = eq + 1;
			break;
		}
		case 'u':
			a->reg.user = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			a->password_stdin = true;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'h':
			fputs(help, stdout);
			*status = EXIT_OK;
			return -1;
		case ':':
			*status = cli_usage_error("%s: option '%s' needs a value", cmd, argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < 256)
				*status = cli_usage_error("%s: unknown option '-%c'", cmd, optopt);
			else
				*status = cli_usage_error("%s: unknown option '%s'", cmd, argv[optind - 1]);
			cli_hint("run 'ebpfctl %s --help' for the options", cmd);
			return -1;
		}
	}
	a->first = optind;
	cli_log_init(a->verbose);
	return 0;
}

static int operands(int argc, const struct oci_args *a, const char *cmd, int min, int max, const char *what)
{
	int n = argc - a->first;

	if (n < min)
		return cli_usage_error("%s: missing %s", cmd, what);
	if (max >= 0 && n > max)
		return cli_usage_error("%s: too many arguments (expected %s)", cmd, what);
	return 0;
}

/* REF as the store names it; a usage error when it is not a reference. */
static int ref_arg(const char *s, struct oci_ref *ref, char *name, size_t size)
{
	struct rerr err = {};

	if (oci_ref_parse(s, ref, &err))
		return cli_report(&err);
	oci_ref_name(ref, name, size);
	return 0;
}

/* The start of a command on one REF: options, the REF (as the store names
 * it), the store.  0 to go on; -1 to return *status (help shown, or an
 * error reported). */
static int one_ref(int argc, char **argv, const char *cmd, const char *help, struct oci_args *a,
		   struct oci_ref *ref, char *name, size_t size, struct oci_store **st, int *status)
{
	*st = NULL;
	if (parse(argc, argv, cmd, help, ":vh", a, status))
		return -1;
	*status = operands(argc, a, cmd, 1, 1, "REF");
	if (!*status)
		*status = ref_arg(argv[a->first], ref, name, size);
	if (!*status)
		*status = cli_store_open(a->store, st);
	return *status ? -1 : 0;
}

static void print_digest(const char *verb, const char *name, const char *digest)
{
	printf("%s %s %s\n", verb, name, digest);
	fflush(stdout);
}

/* ---- package, and build SOURCE REF ---- */

int cli_package(const char *store, const char *object, const char *refarg, const struct oci_annotation *ann,
		int n_ann)
{
	char name[600], title[256], digest[OCI_DIGEST_LEN + 1];
	struct oci_store *st = NULL;
	struct rerr err = {};
	struct oci_ref ref;
	int ret;

	ret = ref_arg(refarg, &ref, name, sizeof(name));
	if (ret)
		return ret;
	if (ref.digest[0])
		return cli_usage_error("package: '%s': name the artifact with a tag, not a digest (the digest is its content's)",
				       refarg);
	ret = cli_store_open(store, &st);
	if (ret)
		return ret;
	oci_ref_short_name(&ref, title, sizeof(title));
	if (oci_package(st, object, name, title, ann, n_ann, digest, &err))
		ret = cli_report(&err);
	else
		print_digest("stored", name, digest);
	oci_store_close(st);
	return ret;
}

static const char package_help[] =
"Usage: ebpfctl package OBJECT REF [--annotation KEY=VALUE]... [--store DIR]\n"
"\n"
"Store a compiled probe in the local store as an OCI artifact named REF\n"
"([HOST[:PORT]/]PATH[:TAG], tag latest by default), ready for 'ebpfctl push'\n"
"and 'ebpfctl run REF'. The artifact's config describes the object (programs,\n"
"maps, settable globals, architecture, kernel requirements: spec/oci.md),\n"
"read without loading it.\n"
"\n"
"Options:\n"
"  --annotation KEY=VALUE  a manifest annotation, e.g.\n"
"                          org.opencontainers.image.description=...\n"
"                          (repeatable)\n"
"  --store DIR             the local store\n"
"  -h, --help              show this help\n"
"\n"
"%s"
"\n"
"Prints 'stored REF DIGEST'. Exit status: 0 stored, 1 failure, 64 bad command line.\n";

int cmd_package(int argc, char **argv)
{
	char help[4096];
	struct oci_args a;
	int status;

	snprintf(help, sizeof(help), package_help, store_help);
	if (parse(argc, argv, "package", help, ":vh", &a, &status))
		goto out;
	status = operands(argc, &a, "package", 2, 2, "OBJECT REF");
	if (!status)
		status = cli_package(a.store, argv[a.first], argv[a.first + 1], a.ann, a.n_ann);
out:
	free(a.ann);
	return status;
}

/* ---- push, pull ---- */

static const char push_help_fmt[] =
"Usage: ebpfctl push REF [--plain-http] [--insecure] [--ca-file FILE] [--store DIR] [-v]\n"
"\n"
"Upload the artifact the local store names REF to REF's registry: blobs the\n"
"registry has are skipped, the rest uploaded, then the manifest is tagged.\n"
"A progress bar is shown on stderr when it is a terminal.\n"
"\n"
"Options:\n"
"  --store DIR         the local store\n"
"%s\n%s"
"\nPrints 'pushed REF DIGEST'. Exit status: 0 pushed, 1 failure, 64 bad command line.\n";

static const char pull_help_fmt[] =
"Usage: ebpfctl pull REF [--plain-http] [--insecure] [--ca-file FILE] [--store DIR] [-v]\n"
"\n"
"Download REF (a tag, or @sha256:DIGEST) into the local store. Every blob is\n"
"checked against its digest, the artifact against spec/oci.md (an ebpfctl or\n"
"bumblebee probe; a multi-arch index gives this machine's entry) before\n"
"anything is stored.\n"
"\n"
"Options:\n"
"  --store DIR         the local store\n"
"%s\n%s"
"\nPrints 'pulled REF DIGEST'. Exit status: 0 pulled, 1 failure, 64 bad command line.\n";

static int push_or_pull(int argc, char **argv, bool push)
{
	char help[4096], name[600], digest[OCI_DIGEST_LEN + 1];
	struct oci_store *st = NULL;
	struct rerr err = {};
	struct oci_ref ref;
	struct oci_args a;
	const char *cmd = push ? "push" : "pull";
	int status;

	snprintf(help, sizeof(help), push ? push_help_fmt : pull_help_fmt, registry_help, store_help);
	if (one_ref(argc, argv, cmd, help, &a, &ref, name, sizeof(name), &st, &status))
		goto out;
	if (push ? reg_push(st, name, &ref, &a.reg, digest, &err) : reg_pull(st, &ref, &a.reg, digest, &err))
		status = cli_report(&err);
	else
		print_digest(push ? "pushed" : "pulled", name, digest);
out:
	oci_store_close(st);
	free(a.ann);
	return status;
}

int cmd_push(int argc, char **argv)
{
	return push_or_pull(argc, argv, true);
}

int cmd_pull(int argc, char **argv)
{
	return push_or_pull(argc, argv, false);
}

/* ---- list, inspect ---- */

static const char list_help[] =
"Usage: ebpfctl list [--json] [--store DIR]\n"
"\n"
"The artifacts in the local store: reference, digest, architecture, size of\n"
"the program. With --json, one JSON array of\n"
"  {\"reference\",\"digest\",\"mediaType\",\"architecture\",\"size\",\"formatVersion\"}.\n"
"\n"
"Options:\n"
"  --json        JSON instead of a table\n"
"  --store DIR   the local store\n"
"  -h, --help    show this help\n";

int cmd_list(int argc, char **argv)
{
	struct oci_store *st = NULL;
	struct oci_entry *e = NULL;
	struct rerr err = {};
	struct oci_args a;
	cJSON *arr = NULL;
	int status, n = 0;

	if (parse(argc, argv, "list", list_help, ":vh", &a, &status))
		return status;
	status = operands(argc, &a, "list", 0, 0, "no arguments");
	if (!status)
		status = cli_store_open(a.store, &st);
	if (status)
		goto out;
	if (oci_store_list(st, &e, &n, &err)) {
		status = cli_report(&err);
		goto out;
	}
	if (a.json)
		arr = cJSON_CreateArray();
	else
		printf("%-50s %-19s %-8s %s\n", "REFERENCE", "DIGEST", "ARCH", "SIZE");
	for (int i = 0; i < n; i++) {
		struct oci_artifact art;
		struct rerr aerr = {};
		bool ok = !oci_artifact_open(st, e[i].ref, &art, &aerr);

		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "reference", e[i].ref);
			cJSON_AddStringToObject(o, "digest", e[i].desc.digest);
			cJSON_AddStringToObject(o, "mediaType", e[i].desc.media_type);
			cJSON_AddStringToObject(o, "architecture", ok ? art.arch : "");
			if (ok) {
				cJSON_AddNumberToObject(o, "size", (double)art.program.size);
				cJSON_AddNumberToObject(o, "formatVersion", art.format);
			} else {
				cJSON_AddStringToObject(o, "error", aerr.msg);
			}
			cJSON_AddItemToArray(arr, o);
		} else if (ok) {
			printf("%-50s %.19s %-8s %.1f KiB\n", e[i].ref, e[i].desc.digest, art.arch[0] ? art.arch : "-",
			       art.program.size / 1024.0);
		} else {
			printf("%-50s %.19s %-8s (%s)\n", e[i].ref, e[i].desc.digest, "?", aerr.msg);
		}
		if (ok)
			oci_artifact_free(&art);
	}
	if (arr) {
		char *s = cJSON_Print(arr);

		printf("%s\n", s ? s : "[]");
		free(s);
		cJSON_Delete(arr);
	}
out:
	oci_entries_free(e, n);
	oci_store_close(st);
	return status;
}

static const char inspect_help[] =
"Usage: ebpfctl inspect REF [--store DIR]\n"
"\n"
"Show a stored artifact as JSON: {\"reference\", \"digest\", \"mediaType\",\n"
"\"index\" (when REF is a multi-arch index), \"manifest\", \"config\"}. The\n"
"config lists its programs, maps (with their output kind), settable globals\n"
"and kernel requirements (spec/oci.md). Every blob is verified.\n"
"\n"
"Options:\n"
"  --store DIR   the local store\n"
"  -h, --help    show this help\n";

int cmd_inspect(int argc, char **argv)
{
	char name[600], *s;
	struct oci_store *st = NULL;
	struct oci_artifact art;
	struct rerr err = {};
	struct oci_ref ref;
	struct oci_args a;
	cJSON *o;
	int status;

	if (one_ref(argc, argv, "inspect", inspect_help, &a, &ref, name, sizeof(name), &st, &status))
		goto out;
	if (oci_artifact_open(st, name, &art, &err)) {
		status = cli_report(&err);
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "reference", name);
	cJSON_AddStringToObject(o, "digest", art.manifest.digest);
	cJSON_AddStringToObject(o, "mediaType", art.manifest.media_type);
	if (art.index.digest[0])
		cJSON_AddStringToObject(o, "index", art.index.digest);
	cJSON_AddItemToObject(o, "manifest", cJSON_Parse(art.manifest_json));
	cJSON_AddItemToObject(o, "config", cJSON_Parse(art.config_json));
	s = cJSON_Print(o);
	printf("%s\n", s ? s : "{}");
	free(s);
	cJSON_Delete(o);
	oci_artifact_free(&art);
out:
	oci_store_close(st);
	return status;
}

/* ---- tag, rm ---- */

static const char tag_help[] =
"Usage: ebpfctl tag SRC DST [--store DIR]\n"
"\n"
"Give the stored artifact SRC a second name DST (e.g. a registry's name\n"
"before 'ebpfctl push DST'). Nothing is copied.\n"
"\n"
"Options:\n"
"  --store DIR   the local store\n"
"  -h, --help    show this help\n";

int cmd_tag(int argc, char **argv)
{
	char src[600], dst[600];
	struct oci_store *st = NULL;
	struct oci_ref r1, r2;
	struct rerr err = {};
	struct oci_desc d;
	struct oci_args a;
	int status;

	if (parse(argc, argv, "tag", tag_help, ":vh", &a, &status))
		return status;
	status = operands(argc, &a, "tag", 2, 2, "SRC DST");
	if (!status)
		status = ref_arg(argv[a.first], &r1, src, sizeof(src));
	if (!status)
		status = ref_arg(argv[a.first + 1], &r2, dst, sizeof(dst));
	if (!status && r2.digest[0])
		status = cli_usage_error("tag: '%s': a new name is a tag, not a digest", argv[a.first + 1]);
	if (!status)
		status = cli_store_open(a.store, &st);
	if (status)
		goto out;
	if (oci_store_lookup(st, src, &d)) {
		rerr_set(&err, -ENOENT, "%s: not in the store", src);
		rerr_hint(&err, "'ebpfctl list' shows what is");
		status = cli_report(&err);
	} else if (oci_store_tag(st, dst, &d, &err)) {
		status = cli_report(&err);
	}
out:
	oci_store_close(st);
	return status;
}

static const char rm_help[] =
"Usage: ebpfctl rm REF... [--store DIR]\n"
"\n"
"Remove names from the local store; blobs no remaining name uses are deleted.\n"
"\n"
"Options:\n"
"  --store DIR   the local store\n"
"  -h, --help    show this help\n"
"\n"
"Exit status: 0 all removed, 1 some name was not in the store.\n";

int cmd_rm(int argc, char **argv)
{
	struct oci_store *st = NULL;
	struct oci_args a;
	int status, ret = EXIT_OK;

	if (parse(argc, argv, "rm", rm_help, ":vh", &a, &status))
		return status;
	status = operands(argc, &a, "rm", 1, -1, "REF");
	if (!status)
		status = cli_store_open(a.store, &st);
	for (int i = a.first; !status && i < argc; i++) {
		struct rerr err = {};
		struct oci_ref ref;
		char name[600];

		status = ref_arg(argv[i], &ref, name, sizeof(name));
		if (status)
			break;
		if (oci_store_untag(st, name, &err)) {
			rerr_hint(&err, "'ebpfctl list' shows what is stored");
			ret = cli_report(&err);
		} else {
			printf("removed %s\n", name);
		}
	}
	oci_store_close(st);
	return status ? status : ret;
}

/* ---- login, logout ---- */

static const char login_help_fmt[] =
"Usage: ebpfctl login REGISTRY [-u USER] [--password-stdin] [--plain-http]\n"
"                     [--insecure] [--ca-file FILE] [-v]\n"
"\n"
"Check a user name and password against REGISTRY (host[:port]) and save them\n"
"in docker's config format ($DOCKER_CONFIG/config.json, else\n"
"~/.docker/config.json, mode 0600) for push, pull and run. Without -u or\n"
"--password-stdin, asks on the terminal.\n"
"\n"
"Options:\n"
"  -u, --username USER\n"
"                      the user name\n"
"  --password-stdin    read the password from standard input (one line)\n"
"%s";

static int read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (!fgets(buf, (int)size, f))
		return -1;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int prompt(const char *what, char *buf, size_t size, bool echo)
{
	struct termios old, now;
	int r;

	if (!isatty(STDIN_FILENO))
		return -1;
	fprintf(stderr, "%s: ", what);
	fflush(stderr);
	if (!echo && !tcgetattr(STDIN_FILENO, &old)) {
		now = old;
		now.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &now);
		r = read_line(stdin, buf, size);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		return r;
	}
	return read_line(stdin, buf, size);
}

int cmd_login(int argc, char **argv)
{
	char help[4096], user[256], pass[1024], saved[4096];
	struct rerr err = {};
	struct oci_args a;
	int status;

	snprintf(help, sizeof(help), login_help_fmt, registry_help);
	if (parse(argc, argv, "login", help, ":u:vh", &a, &status))
		return status;
	status = operands(argc, &a, "login", 1, 1, "REGISTRY");
	if (status)
		return status;
	if (!a.reg.user) {
		if (a.password_stdin || prompt("Username", user, sizeof(user), true) || !*user)
			return cli_usage_error("login: missing -u USER");
		a.reg.user = user;
	}
	if (a.password_stdin ? read_line(stdin, pass, sizeof(pass)) : prompt("Password", pass, sizeof(pass), false))
		return cli_usage_error("login: no password: give --password-stdin or run on a terminal");
	a.reg.password = pass;
	if (reg_login(argv[a.first], &a.reg, saved, sizeof(saved), &err))
		status = cli_report(&err);
	else
		printf("Login Succeeded (credentials saved in %s)\n", saved);
	memset(pass, 0, sizeof(pass));
	return status;
}

static const char logout_help[] =
"Usage: ebpfctl logout REGISTRY\n"
"\n"
"Remove the credentials 'ebpfctl login' saved for REGISTRY.\n"
"\n"
"Options:\n"
"  -h, --help    show this help\n";

int cmd_logout(int argc, char **argv)
{
	char from[4096];
	struct rerr err = {};
	struct oci_args a;
	int status;

	if (parse(argc, argv, "logout", logout_help, ":vh", &a, &status))
		return status;
	status = operands(argc, &a, "logout", 1, 1, "REGISTRY");
	if (status)
		return status;
	if (reg_logout(argv[a.first], from, sizeof(from), &err))
		return cli_report(&err);
	printf("Removed login credentials for %s from %s\n", argv[a.first], from);
	return EXIT_OK;
}

/* ---- run and check by reference ---- */

/* A run/check argument that names an existing file is a file; so is one
 * that ends in .o or is a path (./x, /x): its error is the file's.  Anything
 * else is a reference. */
static bool is_file_arg(const char *s)
{
	size_t n = strlen(s);

	return !access(s, F_OK) || (n > 2 && !strcmp(s + n - 2, ".o")) || s[0] == '/' || !strncmp(s, "./", 2) ||
	       !strncmp(s, "../", 3);
}

int cli_resolve_object(const char *arg, const struct cli_pull *p, struct oci_store **st, char *path,
		       size_t path_size, char *label, size_t label_size, struct rerr *err)
{
	char name[600], digest[OCI_DIGEST_LEN + 1];
	struct oci_artifact art;
	struct oci_desc d;
	struct oci_ref ref;
	bool have;
	int e;

	if (is_file_arg(arg)) {
		snprintf(path, path_size, "%s", arg);
		label[0] = '\0';
		return 0;
	}
	e = oci_ref_parse(arg, &ref, err);
	if (e) {
		memset(err, 0, sizeof(*err));
		e = rerr_set(err, -ENOENT, "%s: No such file or directory", arg);
		return e;
	}
	oci_ref_name(&ref, name, sizeof(name));
	if (!*st) {
		const char *dir = p->store ? p->store : getenv("EBPFCTL_STORE");

		e = oci_store_open(dir && *dir ? dir : NULL, st, err);
		if (e)
			return e;
	}
	have = !oci_store_lookup(*st, name, &d) || (ref.digest[0] && oci_store_has(*st, ref.digest));
	if (p->policy == CLI_PULL_ALWAYS || (!have && p->policy == CLI_PULL_MISSING)) {
		if (!ref.host[0]) {
			if (have)
				goto stored;
			e = rerr_set(err, -ENOENT, "%s: not a file, and not in the store", arg);
			rerr_hint(err, "a reference to pull names its registry (HOST[:PORT]/PATH:TAG); 'ebpfctl list' shows the store");
			return e;
		}
		rinfo("pulling %s", name);
		e = reg_pull(*st, &ref, &p->reg, digest, err);
		if (e)
			return e;
	} else if (!have) {
		e = rerr_set(err, -ENOENT, "%s: not in the store (--pull never)", name);
		rerr_hint(err, "ebpfctl pull %s", name);
		return e;
	}
stored:
	e = oci_artifact_open(*st, name, &art, err);
	if (!e)
		e = oci_artifact_check(*st, &art, p->host_root, p->btf_path, err);
	if (!e) {
		oci_store_blob_path(*st, art.program.digest, path, path_size);
		oci_ref_short_name(&ref, label, label_size);
		rinfo("%s: %s (%s)", name, art.manifest.digest, path);
	}
	oci_artifact_free(&art);
	return e;
}
