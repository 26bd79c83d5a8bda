// SPDX-License-Identifier: MIT
/* Attach targets libbpf 1.1 cannot infer from a section name.  One table of
 * what was attached (struct tgt_item) so every exit path undoes exactly what
 * this run did: links are destroyed, clsact filters detached, and a clsact
 * qdisc removed only when this run (or a killed run of the same probe, see
 * tc_attach) created it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "targets.h"
#include "doctor.h"

/* Not in Debian 12's uapi headers (tcx arrived in 6.6). */
#define TGT_BPF_TCX_INGRESS 46
#define TGT_BPF_TCX_EGRESS 47

/* Our clsact filters: this handle, and a priority from the object and
 * program names, so the next run of the same probe recognises (and
 * replaces) a filter a killed run left behind instead of stacking one. */
#define TGT_TC_HANDLE 0xeb9f
#define TGT_TC_PRIO_BASE 0xc000

enum item_kind { ITEM_LINK, ITEM_FD, ITEM_TC };

struct tgt_item {
	enum item_kind kind;
	struct bpf_link *link;
	int fd;
	int ifindex;
	bool egress;
	bool own_qdisc;
	uint32_t prio;
};

static int add_item(struct tgt_set *ts, const struct tgt_item *it)
{
	if (ts->n == ts->cap) {
		int cap = ts->cap ? ts->cap * 2 : 8;
		struct tgt_item *n = realloc(ts->items, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ts->items = n;
		ts->cap = cap;
	}
	ts->items[ts->n++] = *it;
	return 0;
}

static int add_link(struct tgt_set *ts, struct bpf_link *link)
{
	struct tgt_item it = { .kind = ITEM_LINK, .link = link, .fd = -1 };
	int e = add_item(ts, &it);

	if (e)
		bpf_link__destroy(link);
	return e;
}

static int add_fd(struct tgt_set *ts, int fd)
{
	struct tgt_item it = { .kind = ITEM_FD, .fd = fd };
	int e = add_item(ts, &it);

	if (e)
		close(fd);
	return e;
}

static void tc_hook_init(struct bpf_tc_hook *h, int ifindex, bool egress)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

static void tc_detach(struct tgt_item *it)
{
	struct bpf_tc_hook h;
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = TGT_TC_HANDLE, .priority = it->prio);

	tc_hook_init(&h, it->ifindex, it->egress);
	bpf_tc_detach(&h, &to);
	if (it->own_qdisc) {
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&h);
	}
}

void tgt_detach_all(struct tgt_set *ts)
{
	for (int i = ts->n - 1; i >= 0; i--) {
		struct tgt_item *it = &ts->items[i];

		if (it->kind == ITEM_LINK)
			bpf_link__destroy(it->link);
		else if (it->kind == ITEM_FD)
			close(it->fd);
		else
			tc_detach(it);
	}
	ts->n = 0;
}

void tgt_warn_unused(const struct tgt_set *ts, const struct tgt_opts *o)
{
	if (o->n_ifaces && !ts->used_ifaces)
		rwarn("--iface: no xdp or tc program attaches to an interface (ignored)");
	if (o->xdp_mode != TGT_XDP_AUTO && !ts->used_xdp_mode)
		rwarn("--xdp-mode: no xdp program in the run (ignored)");
	if (o->cgroup && !ts->used_cgroup)
		rwarn("--cgroup: no cgroup program in the run (ignored)");
	if (o->sample_freq && !ts->used_sample_freq)
		rwarn("--sample-freq: no perf_event program in the run (ignored)");
	if (o->pid && !ts->used_pid)
		rwarn("--pid: no uprobe, usdt or perf_event program in the run (ignored)");
}

bool tgt_has_tc_filters(const struct tgt_set *ts)
{
	for (int i = 0; i < ts->n; i++)
		if (ts->items[i].kind == ITEM_TC)
			return true;
	return false;
}

void tgt_set_free(struct tgt_set *ts)
{
	tgt_detach_all(ts);
	free(ts->items);
	*ts = (struct tgt_set){};
}

const char *tgt_attach_for(const struct tgt_opts *o, const char *prog)
{
	for (int i = 0; i < o->n_attach; i++)
		if (!strcmp(o->attach[i].prog, prog))
			return o->attach[i].target;
	return NULL;
}

/* ---- target text ---- */

/* PATH:FUNC[+OFF] (uprobe); FUNC may be an address (0x...) in the file. */
static int parse_uprobe(const char *t, char *path, size_t psz, char *func, size_t fsz, unsigned long *off)
{
	const char *colon = strrchr(t, ':'), *plus;
	char *end;

	*off = 0;
	if (!colon || colon == t || !colon[1] || (size_t)(colon - t) >= psz)
		return -EINVAL;
	memcpy(path, t, (size_t)(colon - t));
	path[colon - t] = '\0';
	plus = strchr(colon + 1, '+');
	if (plus) {
		errno = 0;
		*off = strtoul(plus + 1, &end, 0);
		if (!plus[1] || *end || errno)
			return -EINVAL;
	}
	if ((size_t)((plus ? plus : colon + 1 + strlen(colon + 1)) - colon - 1) >= fsz)
		return -EINVAL;
	snprintf(func, fsz, "%.*s", (int)((plus ? plus : colon + 1 + strlen(colon + 1)) - colon - 1), colon + 1);
	if (!*func)
		return -EINVAL;
	if (!strncmp(func, "0x", 2)) {
		unsigned long a = strtoul(func, &end, 16);

		if (*end)
			return -EINVAL;
		*off += a;
		*func = '\0';
	}
	return 0;
}

/* PATH:PROVIDER:NAME (usdt). */
static int parse_usdt(const char *t, char *path, size_t psz, char *prov, size_t vsz, char *name, size_t nsz)
{
	const char *c2 = strrchr(t, ':'), *c1;

	if (!c2 || c2 == t || !c2[1])
		return -EINVAL;
	for (c1 = c2 - 1; c1 > t && *c1 != ':'; c1--)
		;
	if (c1 <= t || c1 + 1 == c2)
		return -EINVAL;
	if ((size_t)(c1 - t) >= psz || (size_t)(c2 - c1 - 1) >= vsz || strlen(c2 + 1) >= nsz)
		return -EINVAL;
	snprintf(path, psz, "%.*s", (int)(c1 - t), t);
	snprintf(prov, vsz, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	snprintf(name, nsz, "%s", c2 + 1);
	return 0;
}

/* FUNC[+OFF] (kprobe). */
static int parse_kfunc(const char *t, char *func, size_t fsz, unsigned long *off)
{
	const char *plus = strchr(t, '+');
	size_t n = plus ? (size_t)(plus - t) : strlen(t);
	char *end;

	*off = 0;
	if (!n || n >= fsz || strchr(t, '/') || strchr(t, ':'))
		return -EINVAL;
	if (plus) {
		errno = 0;
		*off = strtoul(plus + 1, &end, 0);
		if (!plus[1] || *end || errno)
			return -EINVAL;
	}
	snprintf(func, fsz, "%.*s", (int)n, t);
	return 0;
}

static const char *tgt_shape(enum attach_tgt t)
{
	switch (t) {
	case TGT_UPROBE:
		return "PATH:FUNCTION[+OFFSET]";
	case TGT_USDT:
		return "PATH:PROVIDER:NAME";
	case TGT_KPROBE:
		return "FUNCTION[+OFFSET]";
	case TGT_KSYSCALL:
		return "SYSCALL";
	case TGT_BTF:
		return "a kernel function (or hook) name";
	case TGT_RAW_TP:
		return "TRACEPOINT";
	case TGT_TRACEPOINT:
		return "CATEGORY/NAME";
	case TGT_XDP:
	case TGT_TC:
		return "an interface name";
	case TGT_CGROUP:
		return "a cgroup v2 directory";
	default:
		return NULL;
	}
}

/* The target's shape is a command-line matter: checked before anything is
 * loaded, as a usage error. */
static int check_shape(const char *prog, const struct attach_info *ai, const char *t, struct rerr *err)
{
	char a[PATH_MAX], b[256], c[256];
	unsigned long off;
	int e = 0;

	switch (ai->tgt) {
	case TGT_UPROBE:
		e = parse_uprobe(t, a, sizeof(a), b, sizeof(b), &off);
		break;
	case TGT_USDT:
		e = parse_usdt(t, a, sizeof(a), b, sizeof(b), c, sizeof(c));
		break;
	case TGT_KPROBE:
		e = parse_kfunc(t, b, sizeof(b), &off);
		break;
	case TGT_KSYSCALL:
	case TGT_BTF:
	case TGT_RAW_TP:
	case TGT_XDP:
	case TGT_TC:
		e = !*t || strchr(t, '/') || strchr(t, ':') || strlen(t) >= 256 ? -EINVAL : 0;
		if (!e && (ai->tgt == TGT_XDP || ai->tgt == TGT_TC) && strlen(t) >= IF_NAMESIZE)
			e = -EINVAL;
		break;
	case TGT_TRACEPOINT:
		e = !strchr(t, '/') && !strchr(t, ':') ? -EINVAL : 0;
		break;
	case TGT_CGROUP:
		e = *t ? 0 : -EINVAL;
		break;
	case TGT_PERF:
		return rerr_usage(err, -EINVAL,
				  "--attach %s=%s: a perf_event program takes no target: it samples every CPU",
				  prog, t);
	default:
		return rerr_usage(err, -EINVAL, "--attach %s=%s: ebpfctl cannot attach %s programs", prog, t,
				  ai->kind);
	}
	if (e)
		return rerr_usage(err, -EINVAL, "--attach %s=%s: a %s program's target is %s", prog, t, ai->kind,
				  tgt_shape(ai->tgt));
	return 0;
}

int tgt_prepare(struct bpf_object *obj, const struct tgt_opts *o, struct rerr *err)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog), *t;
		const char *name = bpf_program__name(prog);
		struct attach_info ai;
		int e;

		/* libbpf 1.1 opens these with type 0 and the load fails */
		if (attach_sec_is_new_tc(sec)) {
			e = bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS);
			if (e)
				return rerr_set(err, e, "program '%s': cannot set its type: %s", name, strerror(-e));
		}
		t = tgt_attach_for(o, name);
		if (!t)
			continue;
		for (int i = 0; i < o->n_attach; i++)
			if (!strcmp(o->attach[i].prog, name))
				o->attach[i].used = true;
		attach_classify(sec, &ai);
		e = check_shape(name, &ai, t, err);
		if (e)
			return e;
		if (ai.tgt == TGT_BTF) {
			e = bpf_program__set_attach_target(prog, 0, t);
			if (e)
				return rerr_set(err, e, "program '%s': cannot attach %s %s: %s", name, ai.kind, t,
						strerror(-e));
		}
	}
	return 0;
}

/* ---- the attach paths ---- */

static int perf_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = 2;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 2;
		fclose(f);
	}
	return v;
}

/* What an attach refused for permission needs (spec/security.md). */
static void perm_hint(const struct attach_info *ai, struct rerr *err)
{
	if (ai->tgt == TGT_UPROBE || ai->tgt == TGT_USDT)
		rerr_hint(err, "run as root or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (perf's uprobe PMU wants it)");
	else if (ai->tgt == TGT_XDP || ai->tgt == TGT_TC || ai->tgt == TGT_CGROUP)
		rerr_hint(err, "run as root or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON");
	else if (perf_paranoid() > 2)
		rerr_hint(err, "run as root or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (kernel.perf_event_paranoid=%d "
			       "allows perf events to CAP_SYS_ADMIN only)", perf_paranoid());
	else
		rerr_hint(err, "run as root or grant CAP_BPF and CAP_PERFMON");
}

static int fail(struct rerr *err, int e, const char *name, const struct attach_info *ai, const char *target)
{
	if (!e)
		e = -EINVAL;
	rerr_set(err, e, "program '%s': cannot attach %s%s%s: %s", name, ai->kind, *target ? " " : "", target,
		 strerror(-e));
	if (e == -EPERM || e == -EACCES)
		perm_hint(ai, err);
	return e;
}

static int iface_index(const char *name, const char *prog, struct rerr *err)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx) {
		rerr_set(err, -ENODEV, "program '%s': interface '%s': no such network interface", prog, name);
		rerr_hint(err, "list them with: ip link show");
		return -ENODEV;
	}
	return (int)idx;
}

static int xdp_link(int prog_fd, int ifindex, uint32_t flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);

	return fd < 0 ? -errno : fd;
}

static int xdp_attach(struct tgt_set *ts, struct bpf_program *prog, const char *iface,
		      const struct tgt_opts *o, struct rerr *err)
{
	static const char *const mode_name[] = { "auto", "native", "generic" };
	const char *name = bpf_program__name(prog);
	int idx = iface_index(iface, name, err), fd;

	if (idx < 0)
		return idx;
	if (o->xdp_mode == TGT_XDP_GENERIC)
		fd = xdp_link(bpf_program__fd(prog), idx, XDP_FLAGS_SKB_MODE);
	else
		fd = xdp_link(bpf_program__fd(prog), idx, XDP_FLAGS_DRV_MODE);
	if (fd < 0 && o->xdp_mode == TGT_XDP_AUTO && fd != -EBUSY && fd != -EEXIST) {
		rdebug("program '%s': native XDP on %s: %s; trying generic", name, iface, strerror(-fd));
		fd = xdp_link(bpf_program__fd(prog), idx, XDP_FLAGS_SKB_MODE);
	}
	if (fd < 0) {
		if (fd == -EBUSY || fd == -EEXIST) {
			rerr_set(err, fd, "program '%s': cannot attach xdp on %s: another XDP program is attached",
				 name, iface);
			rerr_hint(err, "see it with: ip link show dev %s", iface);
			return fd;
		}
		if (o->xdp_mode == TGT_XDP_NATIVE && (fd == -EOPNOTSUPP || fd == -EINVAL))
			rerr_set(err, fd, "program '%s': cannot attach xdp on %s in native mode: the driver has no XDP "
				 "support (%s)", name, iface, strerror(-fd));
		else
			rerr_set(err, fd, "program '%s': cannot attach xdp on %s in %s mode: %s", name, iface,
				 mode_name[o->xdp_mode], strerror(-fd));
		if (o->xdp_mode == TGT_XDP_NATIVE)
			rerr_hint(err, "use --xdp-mode generic (or auto)");
		return fd;
	}
	rinfo("program '%s': xdp attached on %s", name, iface);
	return add_fd(ts, fd);
}

static uint32_t tc_prio(const char *objname, const char *prog)
{
	uint32_t h = 2166136261u;

	for (const char *p = objname; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ ':') * 16777619u;
	for (const char *p = prog; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return TGT_TC_PRIO_BASE + h % 0x3fff;
}

/* tcx link where the kernel has it (6.6+), else a clsact filter. */
static int tc_attach(struct tgt_set *ts, const char *objname, struct bpf_program *prog, const char *iface,
		     bool egress, struct rerr *err)
{
	const char *name = bpf_program__name(prog), *dir = egress ? "egress" : "ingress";
	int idx = iface_index(iface, name, err), fd, e;
	struct tgt_item it = { .kind = ITEM_TC, .fd = -1, .egress = egress };
	struct bpf_tc_hook h;

	if (idx < 0)
		return idx;
	/* EBPFCTL_TC_ATTACH=clsact: the pre-6.6 path on any kernel (tests,
	 * and tools that only show tc filters) */
	if (getenv("EBPFCTL_TC_ATTACH") && !strcmp(getenv("EBPFCTL_TC_ATTACH"), "clsact"))
		fd = -1, errno = EOPNOTSUPP;
	else
		fd = bpf_link_create(bpf_program__fd(prog), idx, egress ? TGT_BPF_TCX_EGRESS : TGT_BPF_TCX_INGRESS,
				     NULL);
	if (fd >= 0) {
		rinfo("program '%s': tcx %s link on %s", name, dir, iface);
		return add_fd(ts, fd);
	}
	rdebug("program '%s': no tcx link on %s (%s): using a clsact filter", name, iface, strerror(errno));

	it.ifindex = idx;
	it.prio = tc_prio(objname, name);
	tc_hook_init(&h, idx, egress);
	e = bpf_tc_hook_create(&h);
	if (!e) {
		it.own_qdisc = true;
	} else if (e != -EEXIST) {
		return fail(err, e, name, &(struct attach_info){ .kind = "tc" }, iface);
	} else {
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = TGT_TC_HANDLE, .priority = it.prio);

		/* a filter of ours already there: a killed run of this probe
		 * left it (and so the clsact qdisc it made) */
		if (!bpf_tc_query(&h, &q)) {
			rinfo("program '%s': replacing the %s filter a previous run left on %s", name, dir, iface);
			it.own_qdisc = true;
		}
	}
	{
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = TGT_TC_HANDLE, .priority = it.prio,
			    .prog_fd = bpf_program__fd(prog), .flags = BPF_TC_F_REPLACE);

		e = bpf_tc_attach(&h, &to);
	}
	if (e) {
		if (it.own_qdisc) {
			h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&h);
		}
		return fail(err, e, name, &(struct attach_info){ .kind = "tc" }, iface);
	}
	rinfo("program '%s': clsact %s filter on %s (handle 0x%x, priority %u)", name, dir, iface, TGT_TC_HANDLE,
	      it.prio);
	e = add_item(ts, &it);
	if (e)
		tc_detach(&it);
	return e;
}

static bool has_host_root(const char *host_root)
{
	return host_root && *host_root && strcmp(host_root, "/");
}

int tgt_cgroup2_root(const char *host_root, char *buf, size_t size)
{
	char mounts[PATH_MAX], dev[256], dir[PATH_MAX], type[64];
	bool host = has_host_root(host_root);
	int ret = -ENOENT;
	FILE *f;

	snprintf(mounts, sizeof(mounts), "%s/proc/1/mounts", host ? host_root : "");
	f = fopen(host ? mounts : "/proc/mounts", "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, size, "%s%s", host ? host_root : "", dir);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int cgroup_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
			 const char *path, const char *host_root, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	char root[PATH_MAX], full[PATH_MAX];
	struct bpf_link *link;
	struct statfs sf;
	int fd, e;

	if (path && has_host_root(host_root) && strncmp(path, host_root, strlen(host_root))) {
		/* a host path, seen from the container */
		snprintf(full, sizeof(full), "%s%s", host_root, path);
		path = full;
	}
	if (!path) {
		if (tgt_cgroup2_root(host_root, root, sizeof(root))) {
			rerr_set(err, -ENOENT, "program '%s': cannot attach %s: no cgroup v2 hierarchy is mounted",
				 name, ai->kind);
			rerr_hint(err, "mount one (mount -t cgroup2 none /sys/fs/cgroup/unified) or give --cgroup PATH");
			return -ENOENT;
		}
		path = root;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		return rerr_set(err, e, "program '%s': cgroup '%s': %s", name, path, strerror(-e));
	}
	if (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		rerr_set(err, -EINVAL, "program '%s': cgroup '%s': not a cgroup v2 directory", name, path);
		if (!tgt_cgroup2_root(host_root, root, sizeof(root)))
			rerr_hint(err, "the cgroup v2 hierarchy is mounted at %s", root);
		return -EINVAL;
	}
	link = bpf_program__attach_cgroup(prog, fd);
	e = link ? 0 : -errno;
	close(fd);
	if (!link)
		return fail(err, e, name, ai, path);
	rinfo("program '%s': %s attached to cgroup %s", name, ai->kind, path);
	return add_link(ts, link);
}

/* "0-3,5" from /sys/devices/system/cpu/online */
static int online_cpus(bool *on, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int a, b, n = 0;
	char sep;

	if (!f)
		return -errno;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (int c = a; c <= b && c < max; c++) {
			if (c >= 0 && !on[c]) {
				on[c] = true;
				n++;
			}
		}
		if (sep != ',')
			break;
	}
	fclose(f);
	return n ? 0 : -ENOENT;
}

static int perf_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
		       const struct tgt_opts *o, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	int ncpu = libbpf_num_possible_cpus();
	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(pa),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_freq = o->sample_freq ? o->sample_freq : 49,
		.freq = 1,
	};
	bool *on;
	int e = 0;

	if (ncpu < 0)
		return rerr_set(err, ncpu, "cannot read possible CPUs: %s", strerror(-ncpu));
	on = calloc((size_t)ncpu, sizeof(*on));
	if (!on)
		return -ENOMEM;
	if (o->pid)
		on[0] = true;	/* one event that follows the process */
	else if ((e = online_cpus(on, ncpu)))
		goto out;
	for (int c = 0; c < ncpu; c++) {
		struct bpf_link *link;
		int pfd;

		if (!on[c])
			continue;
		pfd = (int)syscall(__NR_perf_event_open, &pa, o->pid ? o->pid : -1, o->pid ? -1 : c, -1,
				   PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0) {
			e = -errno;
			if (o->pid)
				rerr_set(err, e, "program '%s': cannot sample process %d: %s", name, o->pid,
					 strerror(-e));
			else
				rerr_set(err, e, "program '%s': cannot open a CPU clock event on CPU %d: %s", name, c,
					 strerror(-e));
			if (e == -EACCES || e == -EPERM)
				rerr_hint(err, "run as root or grant CAP_PERFMON (see kernel.perf_event_paranoid)");
			goto out;
		}
		link = bpf_program__attach_perf_event(prog, pfd);
		if (!link) {
			e = -errno;
			close(pfd);
			fail(err, e, name, ai, "");
			goto out;
		}
		e = add_link(ts, link);	/* the link owns pfd */
		if (e)
			goto out;
	}
	rinfo("program '%s': sampling at %u Hz%s", name, (unsigned int)pa.sample_freq,
	      o->pid ? " (one process)" : " on every online CPU");
out:
	free(on);
	return e;
}

static int uprobe_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
			 const char *t, int pid, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	char path[PATH_MAX], func[256];
	unsigned long off;
	struct bpf_link *link;

	if (parse_uprobe(t, path, sizeof(path), func, sizeof(func), &off))
		return rerr_usage(err, -EINVAL, "program '%s': uprobe target '%s': expected %s", name, t,
				  tgt_shape(TGT_UPROBE));
	{
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ai->retprobe, .func_name = *func ? func : NULL);

		link = bpf_program__attach_uprobe_opts(prog, pid ? pid : -1, path, off, &uo);
	}
	if (!link)
		return fail(err, -errno, name, ai, t);
	return add_link(ts, link);
}

static int usdt_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
		       const char *t, int pid, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	char path[PATH_MAX], prov[256], probe[256];
	struct bpf_link *link;

	if (parse_usdt(t, path, sizeof(path), prov, sizeof(prov), probe, sizeof(probe)))
		return rerr_usage(err, -EINVAL, "program '%s': usdt target '%s': expected %s", name, t,
				  tgt_shape(TGT_USDT));
	link = bpf_program__attach_usdt(prog, pid ? pid : -1, path, prov, probe, NULL);
	if (!link)
		return fail(err, -errno, name, ai, t);
	return add_link(ts, link);
}


/* Where kprobes are compiled out: what to use instead, offering fentry only
 * where this kernel takes it (on some it refuses trampolines too). */
static void no_kprobes_hint(struct rerr *err)
{
	rerr_hint(err, "this kernel has no kprobe support (CONFIG_KPROBES is off): use a tracepoint, raw_tp%s",
		  doctor_fentry_usable() ? ", tp_btf or fentry program" : " or tp_btf program (it refuses fentry too)");
}

static int kprobe_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
			 const char *t, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	struct bpf_link *link;
	char func[256];
	unsigned long off;

	if (ai->tgt == TGT_KSYSCALL) {
		LIBBPF_OPTS(bpf_ksyscall_opts, ko, .retprobe = ai->retprobe);

		link = bpf_program__attach_ksyscall(prog, t, &ko);
	} else {
		if (parse_kfunc(t, func, sizeof(func), &off))
			return rerr_usage(err, -EINVAL, "program '%s': %s target '%s': expected %s", name, ai->kind,
					  t, tgt_shape(TGT_KPROBE));
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = ai->retprobe, .offset = off);

		link = bpf_program__attach_kprobe_opts(prog, func, &ko);
	}
	if (!link) {
		int e = -errno;

		fail(err, e, name, ai, t);
		if (e == -ENOENT && access("/sys/bus/event_source/devices/kprobe", F_OK))
			no_kprobes_hint(err);
		return e;
	}
	return add_link(ts, link);
}

static int tracepoint_attach(struct tgt_set *ts, struct bpf_program *prog, const struct attach_info *ai,
			     const char *t, struct rerr *err)
{
	const char *name = bpf_program__name(prog);
	const char *sep = strchr(t, '/');
	struct bpf_link *link;
	char cat[256];

	if (ai->tgt == TGT_RAW_TP) {
		link = bpf_program__attach_raw_tracepoint(prog, t);
	} else {
		if (!sep)
			sep = strchr(t, ':');
		if (!sep || sep == t || !sep[1] || (size_t)(sep - t) >= sizeof(cat))
			return rerr_usage(err, -EINVAL, "program '%s': tracepoint target '%s': expected %s", name, t,
					  tgt_shape(TGT_TRACEPOINT));
		snprintf(cat, sizeof(cat), "%.*s", (int)(sep - t), t);
		link = bpf_program__attach_tracepoint(prog, cat, sep + 1);
	}
	if (!link)
		return fail(err, -errno, name, ai, t);
	return add_link(ts, link);
}

/* FLAG: "give one with --iface NAME (repeatable), or --attach %s=IFACE" */
static int needs(const char *name, const struct attach_info *ai, const char *flag, struct rerr *err)
{
	rerr_set(err, -EINVAL, "program '%s': cannot attach %s: needs %s", name, ai->kind, ai->missing);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	rerr_hint(err, flag, name);
#pragma GCC diagnostic pop
	return -EINVAL;
}

int tgt_attach_prog(struct tgt_set *ts, const char *objname, struct bpf_program *prog,
		    const struct tgt_opts *o, struct bpf_link **iter_link, struct rerr *err)
{
	const char *name = bpf_program__name(prog), *sec = bpf_program__section_name(prog);
	const char *t = tgt_attach_for(o, name);
	struct attach_info ai;
	struct bpf_link *link;
	int before = ts->n, e = 0;

	*iter_link = NULL;
	attach_classify(sec, &ai);
	if (ai.how == ATTACH_NONE)
		return 0;
	if (ai.tgt == TGT_NOFLAG) {
		rerr_set(err, -EOPNOTSUPP, "program '%s': cannot attach %s: ebpfctl has no target flag for %s "
			 "programs (needs %s)", name, ai.kind, ai.kind, ai.missing);
		rerr_hint(err, "mark the program SEC(\"?%s\") to load it without attaching", sec);
		return -EOPNOTSUPP;
	}
	switch (ai.tgt) {
	case TGT_XDP:
	case TGT_TC:
		if (!t && !o->n_ifaces)
			return needs(name, &ai, "give one with --iface NAME (repeatable), or --attach %s=IFACE", err);
		ts->used_ifaces |= !t;
		ts->used_xdp_mode |= ai.tgt == TGT_XDP;
		for (int i = 0; i < (t ? 1 : o->n_ifaces) && !e; i++) {
			const char *ifc = t ? t : o->ifaces[i];

			e = ai.tgt == TGT_XDP ? xdp_attach(ts, prog, ifc, o, err)
					      : tc_attach(ts, objname, prog, ifc, ai.egress, err);
		}
		break;
	case TGT_CGROUP:
		ts->used_cgroup |= !t;
		e = cgroup_attach(ts, prog, &ai, t ? t : o->cgroup, o->host_root, err);
		break;
	case TGT_PERF:
		ts->used_sample_freq = ts->used_pid = true;
		e = perf_attach(ts, prog, &ai, o, err);
		break;
	case TGT_UPROBE:
	case TGT_USDT:
		/* the section's own target, but ours when --attach or --pid */
		if (!t && (!o->pid || !*ai.target)) {
			if (!*ai.target)
				return needs(name, &ai, ai.tgt == TGT_UPROBE
					     ? "give one with --attach %s=PATH:FUNCTION[+OFFSET]"
					     : "give one with --attach %s=PATH:PROVIDER:NAME", err);
			goto libbpf;
		}
		if (!t)
			t = ai.target;
		ts->used_pid = true;
		e = ai.tgt == TGT_UPROBE ? uprobe_attach(ts, prog, &ai, t, o->pid, err)
					 : usdt_attach(ts, prog, &ai, t, o->pid, err);
		break;
	case TGT_KPROBE:
	case TGT_KSYSCALL:
		if (!t)
			goto libbpf;
		e = kprobe_attach(ts, prog, &ai, t, err);
		break;
	case TGT_RAW_TP:
	case TGT_TRACEPOINT:
		if (!t)
			goto libbpf;
		e = tracepoint_attach(ts, prog, &ai, t, err);
		break;
	default:	/* TGT_BTF (target set before load), TGT_LIBBPF */
		goto libbpf;
	}
	goto done;
libbpf:
	if (ai.how == ATTACH_NEEDS_TARGET) {
		rerr_set(err, -EINVAL, "program '%s': cannot attach %s: needs %s", name, ai.kind, ai.missing);
		rerr_hint(err, "give it with --attach %s=TARGET, or mark the program SEC(\"?%s\") to load it "
			       "without attaching", name, sec);
		return -EINVAL;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		e = -errno;
		fail(err, e, name, &ai, ai.target);
		if (e == -ENOENT && !strncmp(ai.kind, "kprobe", 6) &&
		    access("/sys/bus/event_source/devices/kprobe", F_OK))
			no_kprobes_hint(err);
		return e ? e : -EINVAL;
	}
	e = add_link(ts, link);
	if (!e && ai.iter)
		*iter_link = link;
done:
	if (!e && ts->n > before)
		ts->n_progs++;
	return e;
}
