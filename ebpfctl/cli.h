/* SPDX-License-Identifier: MIT */
#ifndef EBPFCTL_CLI_H
#define EBPFCTL_CLI_H

#include "oci.h"
#include "registry.h"
#include "rerr.h"
#include "runner.h"

/* run and check by reference (cmd_oci.c): --pull, --store, registry options */
enum cli_pull_policy { CLI_PULL_MISSING, CLI_PULL_ALWAYS, CLI_PULL_NEVER };
struct cli_pull {
	enum cli_pull_policy policy;
	const char *store;
	struct reg_opts reg;
	const char *host_root;
	const char *btf_path;
};

/* run's and check's command line (cmd_run.c) */
struct run_args {
	struct runner_opts o;
	struct runner_set *sets;
	struct runner_hist_buckets *hb;
	const char **ifaces;
	struct runner_attach *attach;
	int cap;			/* entries the four arrays above hold */
	const char *addr;
	bool no_metrics;
	const char **env_objects;	/* EBPFCTL_OBJECT items */
	char **strs;			/* copies of environment values */
	int n_strs;
	char **origin;			/* -v: "--x=v (EBPFCTL_X)" */
	int n_origin;
	struct cli_pull pull;
	struct oci_store *store;	/* opened when an OBJECT is a reference */
	char **paths;			/* each OBJECT's file (a store blob for a REF) */
	char **labels;			/* its "object" name ("" for a file) */
	const char **shown;		/* a REF as typed, for messages (NULL for a file) */
	int n_paths;
};

int run_args_parse(int argc, char **argv, const char *cmd, const char *help, struct run_args *a, int *status);
/* After parsing: each OBJECT that is an OCI reference looked up in the store,
 * pulled per --pull and checked (cmd_oci.c); 0, or -1 with *status set. */
int run_args_resolve(struct run_args *a, int *status);
void run_args_free(struct run_args *a);
void run_args_report(const struct run_args *a);

/* Exit statuses (DESIGN.md section 6). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	64

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* The probe source of a tracepoint's fields (init --tracepoint, trace):
 * 0, or the exit status after reporting. */
struct strbuf;
int cli_tracepoint_source(const char *tracepoint, const char *fields, const char *how_made, struct strbuf *out);

/* The local store: --store DIR, else EBPFCTL_STORE, else the default;
 * 0, or the exit status after reporting. */
int cli_store_open(const char *dir, struct oci_store **st);
/* Registry options with the progress bar (stderr a terminal) and test hooks. */
void cli_reg_opts(struct reg_opts *o, bool plain_http, bool insecure, const char *ca_file);
/* build SOURCE REF and package OBJECT REF: store OBJECT as REF. */
int cli_package(const char *store, const char *object, const char *ref, const struct oci_annotation *ann,
		int n_ann);
/* A run/check OBJECT: a file as it is, or a REF looked up in the store
 * (pulled per p->policy) and checked: path receives the program blob's
 * file and label the "object" name. */
int cli_resolve_object(const char *arg, const struct cli_pull *p, struct oci_store **st, char *path,
		       size_t path_size, char *label, size_t label_size, struct rerr *err);

/* Print `error: <msg>` (+ `hint: <hint>`) and return the exit status for it. */
int cli_report(const struct rerr *err);
/* Print `error: ...` for a command-line problem and return EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sd_notify(3) when ebpfctl runs under systemd (notify.c); a no-op without
 * NOTIFY_SOCKET or when built without libsystemd. */
void cli_notify(const char *state);
/* Print `hint: ...` (JSON with --log-format json) after an error. */
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* `warning: ...` on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An info line on stderr (shown only with -v by the callers). */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Install the stderr log sink: warnings always, info/debug with verbose. */
void cli_log_init(int verbose);
/* --log-format text|json (or EBPFCTL_LOG_FORMAT) for stderr, found before
 * the rest of the command line is parsed so usage errors follow it too. */
void cli_log_format_from(int argc, char **argv);

#endif
