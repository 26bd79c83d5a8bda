/* SPDX-License-Identifier: MIT */
/* Attach targets libbpf cannot infer (DESIGN.md section 8): XDP and tc on
 * interfaces, cgroup programs on a cgroup v2 directory, perf_event programs
 * on every online CPU, and any program's target from --attach PROG=TARGET.
 * Every attachment made is kept in a struct tgt_set so one call undoes them
 * all (links destroyed, clsact filters and the qdisc ebpfctl made removed). */
#ifndef EBPFCTL_TARGETS_H
#define EBPFCTL_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include "attach.h"
#include "rerr.h"

struct bpf_link;
struct bpf_object;
struct bpf_program;

enum tgt_xdp_mode {
	TGT_XDP_AUTO,		/* native, else generic */
	TGT_XDP_NATIVE,
	TGT_XDP_GENERIC,
};

struct tgt_attach_arg {
	const char *prog;	/* program name */
	const char *target;	/* as given after '=' */
	bool used;		/* some object has the program */
};

struct tgt_opts {
	const char *host_root;		/* NULL: "/"; cgroup paths are under it */
	const char *const *ifaces;
	int n_ifaces;
	enum tgt_xdp_mode xdp_mode;
	const char *cgroup;		/* NULL: the cgroup v2 root */
	int pid;			/* 0: every process (uprobe, usdt, perf_event) */
	unsigned int sample_freq;	/* perf_event, Hz */
	struct tgt_attach_arg *attach;	/* --attach PROG=TARGET */
	int n_attach;
};

struct tgt_item;

struct tgt_set {
	struct tgt_item *items;
	int n, cap;
	int n_progs;			/* programs with at least one attachment */
	/* which target options some program used (unused ones are warned about) */
	bool used_ifaces, used_cgroup, used_sample_freq, used_pid, used_xdp_mode;
};

/* rwarn() each target option given that no program of the run used. */
void tgt_warn_unused(const struct tgt_set *ts, const struct tgt_opts *o);

/* Before load: give tc/ and tcx/ programs their type, fentry-like programs
 * an --attach target, and check every --attach target's shape (usage
 * errors).  OBJNAME is for messages. */
int tgt_prepare(struct bpf_object *obj, const struct tgt_opts *o, struct rerr *err);

/* Attach one loaded program as its section and the options say.  *iter_link
 * gets the link of an iter program.  0 or -errno with err set; what was
 * attached before a failure stays in the set for tgt_detach_all(). */
int tgt_attach_prog(struct tgt_set *ts, const char *objname, struct bpf_program *prog,
		    const struct tgt_opts *o, struct bpf_link **iter_link, struct rerr *err);

/* Undo every attachment, newest first.  Safe to call twice. */
void tgt_detach_all(struct tgt_set *ts);
void tgt_set_free(struct tgt_set *ts);
/* Some clsact filter to remove at exit (netlink: CAP_NET_ADMIN). */
bool tgt_has_tc_filters(const struct tgt_set *ts);

/* Where the cgroup v2 hierarchy is mounted (from /proc/mounts, or the host
 * init's mounts under host_root, then prefixed with it): 0 or -ENOENT. */
int tgt_cgroup2_root(const char *host_root, char *buf, size_t size);

/* The --attach argument for PROG, or NULL. */
const char *tgt_attach_for(const struct tgt_opts *o, const char *prog);

#endif
