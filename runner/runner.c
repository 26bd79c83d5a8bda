// SPDX-License-Identifier: MIT
/* The runner: open -> rewrite -> configure -> load -> attach -> export, in
 * the libbpf-bootstrap shape (goto cleanup), then the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "btf_fmt.h"
#include "decl_order.h"
#include "elf_rewrite.h"
#include "export.h"
#include "globals.h"
#include "metrics.h"
#include "http.h"
#include "loss.h"
#include "output.h"
#include "readfile.h"
#include "privs.h"
#include "names.h"
#include "enrich.h"
#include "progstats.h"
#include "runner.h"
#include "stackfmt.h"
#include "targets.h"
#include "webconfig.h"

static volatile sig_atomic_t stop_requested;

void runner_stop(void)
{
	stop_requested = 1;
}

void runner_opts_init(struct runner_opts *opts)
{
	*opts = (struct runner_opts){
		.interval_ns = 1000000000ULL,
		.metrics_ns = "ebpf_solo_io",
		.max_series = 10000,
		.out_fd = 1,
		.metrics_fd = -1,
	};
}

/* ---- libbpf output: kept in memory, shown with -v or on failure ---- */

static struct strbuf libbpf_log;
static int libbpf_verbose;
/* libbpf's last warning: why bpf_object__open_mem() failed, which its
 * error code alone often does not say (-ESRCH for a relocation to a
 * program that is not there reads "No such process") */
static char libbpf_warn[512];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[4096], *buf = small;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	/* libbpf hands over a verifier log as one message: keep it whole (it
	 * was cut at 4 KiB, before the instruction the verifier refused) */
	if (n >= (int)sizeof(small) && (buf = malloc((size_t)n + 1)))
		vsnprintf(buf, (size_t)n + 1, fmt, again);
	else
		buf = small;
	va_end(again);
	if (n < 0)
		return 0;
	/* keep the tail: the verifier log of the failing program is last */
	if (libbpf_log.len > (4u << 20))
		libbpf_log.len = 0;
	sb_puts(&libbpf_log, buf);
	if (level == LIBBPF_WARN) {
		const char *w = strncmp(buf, "libbpf: ", 8) ? buf : buf + 8;
		size_t l = strnlen(w, sizeof(libbpf_warn) - 1);

		memcpy(libbpf_warn, w, l);
		libbpf_warn[l] = '\0';
	}
	if (libbpf_verbose)
		rlog(RLOG_INFO, "%s", buf);
	if (buf != small)
		free(buf);
	return 0;
}

/* ---- per-run state ---- */

struct robj;

struct ev_map {
	struct export_map em;
	struct bpf_map *map;
	int decl;			/* declaration order (see cmp_decl) */
	struct fmt_plan *plan;		/* event/value type plan (print) */
	char *line_prefix;		/* `","map":"NAME","event":` (object first when several) */
	size_t line_prefix_len;
	struct perf_buffer *pb;
	struct runner *r;
	struct robj *o;
	uint64_t events;
	uint64_t lost;			/* the kernel's: perf buffer lost records */
	const struct loss_counter *probe_lost;	/* the probe's (loss.c), or NULL */
	uint64_t short_records;
};

struct iter_prog {
	struct bpf_program *prog;
	struct bpf_link *link;
	char *prefix;			/* `","program":"NAME","line":"` */
};

/* One object of the run: its file, libbpf object and exported maps. */
struct robj {
	const char *path;		/* as given, or what object_shown says */
	const char *file_path;		/* the file read */
	char name[256];			/* file name without .bpf.o/.o */
	bool named;			/* name given (runner_opts.object_names) */
	const char *tag;		/* name when the run has several objects, else NULL */
	void *file;
	size_t file_len;
	struct bpf_object *obj;
	struct elf_maps_info info;
	struct decl_order decl;		/* source order of the object's globals */
	struct ev_map *maps;
	int n_maps;
	int n_progs;			/* programs loaded */
	struct loss_set loss;		/* __ebpfctl_lost_* counters (loss.c) */
};

struct runner {
	const struct runner_opts *opts;
	struct rerr *err;
	struct robj *objs;
	int n_objs;
	struct tgt_opts topts;
	struct tgt_attach_arg *attach;
	struct tgt_set tgts;
	struct iter_prog *iters;
	int n_iters;
	struct ring_buffer *rb;
	int epfd;
	struct output out;
	struct metrics *metrics;
	struct progstats progs;
	int stats_fd;			/* BPF_ENABLE_STATS while --bpf-stats */
	struct http_server *http;
	struct webcfg *web;		/* --web-config, until the server takes it */
	struct stackfmt *stacks;	/* when an object has a STACK_TRACE map */
	struct names *names;		/* ksym, ifindex, cgroup_id, user_id members */
	struct enrich *enrich;		/* --enrich */
	char host_btf[PATH_MAX];	/* <host_root>/sys/kernel/btf/vmlinux, or "" */
	const struct export_map **folded;	/* --folded: the stack counter maps */
	int n_folded;
	const char *tracefs_mount;	/* where we mounted tracefs, if we did */
	struct timespec now;		/* CLOCK_REALTIME of the line being written */
	uint64_t batch;
	uint64_t rb_pass_bytes;		/* ring buffer bytes read in this loop pass */
	uint64_t last_pass_ns;		/* when the last pass that read ring records ended */
	uint64_t min_ring;		/* smallest ring buffer (bytes) */
};

#define for_each_ev_map(r, oi, mi, m)                                                  \
	for (int oi = 0; oi < (r)->n_objs; oi++)                                      \
		for (int mi = 0; mi < (r)->objs[oi].n_maps && ((m) = &(r)->objs[oi].maps[mi]); mi++)

/* ---- object open ---- */

/* The .maps section suffix the map was declared in ("" for plain .maps). */
static const char *map_suffix(struct robj *o, const char *name)
{
	for (int i = 0; i < o->info.n; i++)
		if (!strcmp(o->info.maps[i].map, name))
			return o->info.maps[i].suffix;
	return "";
}

/* Decided by the error, never by the user id: the kernel said no. */
/* The running kernel's release, for hints ("$(uname -r)" if unknown). */
static const char *kernel_release(struct utsname *un)
{
	return uname(un) ? "$(uname -r)" : un->release;
}

static const char *last_line(const char *log, const char *prefix, const char *contains, size_t *len);
static void quoted(const char *l, size_t len, size_t off, char *out, size_t size);

/* /sys/kernel/security/lockdown: "none [integrity] confidentiality" -> the
 * bracketed mode into buf; false when none (or not known). */
static bool lockdown_mode(char *buf, size_t size)
{
	char text[128] = "", *a, *b;
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return false;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	a = strchr(text, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b || !strncmp(a + 1, "none", 4))
		return false;
	snprintf(buf, size, "%.*s", (int)(b - a - 1), a + 1);
	return true;
}

/* The program libbpf says failed to load ("prog 'NAME': BPF program load failed"). */
static struct bpf_program *failed_program(struct robj *o)
{
	const char *log = sb_cstr(&libbpf_log), *l;
	char name[256];
	size_t len;

	if (!o || !o->obj || !(l = last_line(log, "prog '", "': BPF program load failed", &len)))
		return NULL;
	quoted(l, len, 6, name, sizeof(name));
	return name[0] ? bpf_object__find_program_by_name(o->obj, name) : NULL;
}

/* fentry, fexit, fmod_ret, lsm, freplace: BPF trampoline programs */
static const char *trampoline_kind(const struct bpf_program *p)
{
	switch (bpf_program__expected_attach_type(p)) {
	case BPF_TRACE_FENTRY:
		return "fentry";
	case BPF_TRACE_FEXIT:
		return "fexit";
	case BPF_MODIFY_RETURN:
		return "fmod_ret";
	case BPF_LSM_MAC:
		return "lsm";
	default:
		return bpf_program__type(p) == BPF_PROG_TYPE_EXT ? "freplace" : NULL;
	}
}

/* EPERM/EACCES from bpf(): without the capabilities, say which; with them
 * (root), say what else refuses instead of "run as root". */
static int report_eperm(struct runner *r, struct robj *o, const char *path, int e)
{
	struct bpf_program *p = failed_program(o);
	const char *kind = p ? trampoline_kind(p) : NULL;
	char mode[32];

	if (!privs_bpf_capable()) {
		rerr_set(r->err, e, "%s: %s", path, strerror(-e));
		rerr_hint(r->err, "run as root or grant CAP_BPF and CAP_PERFMON");
		return e;
	}
	if (lockdown_mode(mode, sizeof(mode))) {
		rerr_set(r->err, e, "%s: %s: the kernel is locked down (%s), which refuses this even as root", path,
			 strerror(-e), mode);
		rerr_hint(r->err, "lockdown=%s (or Secure Boot) forbids what the probe does; a tracepoint probe "
			  "without bpf_probe_read_kernel may still load", mode);
		return e;
	}
	if (kind) {
		rerr_set(r->err, e, "program '%s': the kernel refuses %s programs, even as root: %s",
			 bpf_program__name(p), kind, strerror(-e));
		rerr_hint(r->err, "it allows no BPF trampolines here (see ebpfctl doctor, fentry/fexit): attach "
			  "with tracepoint/, raw_tp/ or tp_btf/ instead");
		return e;
	}
	rerr_set(r->err, e, "%s: %s, even with CAP_BPF and CAP_PERFMON", path, strerror(-e));
	rerr_hint(r->err, "something besides capabilities refuses: a security module (SELinux, AppArmor, the bpf "
		  "LSM), a seccomp filter or the container runtime; ebpfctl doctor checks this machine");
	return e;
}

/* Families and lines follow the order the maps are declared in.  BTF VARs,
 * symbols and section offsets follow the order clang first used each map,
 * so the source order comes from DWARF or ebpfctl build's note
 * (decl_order.c); an object with neither falls back to BTF VAR ids. */
static int cmp_decl(const void *a, const void *b)
{
	const struct ev_map *x = a, *y = b;

	return x->decl < y->decl ? -1 : x->decl > y->decl;
}

/* Classify every map, fix ring buffers and perf arrays so the kernel accepts
 * them, and remember each exported map's BTF types (before load: after it
 * libbpf has dropped the ring buffer's value type). */
static int prepare_maps(struct runner *r, struct robj *o)
{
	const struct btf *btf = bpf_object__btf(o->obj);
	struct bpf_map *map;
	int ncpu = libbpf_num_possible_cpus();
	int n = 0;

	if (ncpu < 0)
		return rerr_set(r->err, ncpu, "cannot read possible CPUs: %s", strerror(-ncpu));
	bpf_object__for_each_map(map, o->obj)
		n++;
	o->maps = calloc(n ? n : 1, sizeof(*o->maps));
	if (!o->maps)
		return -ENOMEM;

	bpf_object__for_each_map(map, o->obj) {
		/* bpf_map__reuse_fd() replaces the name with the kernel's 15-char
		 * copy: keep our own */
		char name[256];
		uint32_t type = bpf_map__type(map);
		uint32_t vtid = bpf_map__btf_value_type_id(map);
		const char *suffix, *rest = name;
		enum out_kind pkind, kind;
		bool is_event, percpu;
		int k;

		if (bpf_map__is_internal(map))
			continue;
		snprintf(name, sizeof(name), "%s", bpf_map__name(map));
		suffix = map_suffix(o, name);
		k = out_kind_from_suffix(suffix);
		if (k < 0)
			return rerr_set(r->err, -EINVAL,
					"map '%s': unknown output kind '.maps.%s': valid kinds are print, counter, gauge, hist",
					name, strcmp(suffix, ".") ? suffix : "");
		pkind = out_kind_from_prefix(name, &rest);
		kind = k;
		if (kind == OUT_NONE) {
			kind = pkind;
		} else if (pkind != OUT_NONE) {
			rwarn("map '%s': name prefix '%s_' ignored: section .maps.%s decides its output kind", name,
			      out_kind_name(pkind), suffix);
			rest = name;
		}

		/* Ring buffers with a value type cannot be created by the kernel:
		 * create it ourselves with value size 0 (no libbpf warning). */
		if (type == BPF_MAP_TYPE_RINGBUF && (bpf_map__value_size(map) || bpf_map__key_size(map))) {
			int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, bpf_map__max_entries(map), NULL);
			int e;

			if (fd < 0) {
				e = -errno;
				if (e == -EPERM || e == -EACCES)
					return report_eperm(r, o, o->path, e);
				return rerr_set(r->err, e, "map '%s': cannot create ring buffer: %s", name,
						strerror(-e));
			}
			e = bpf_map__reuse_fd(map, fd);
			close(fd);
			if (e)
				return rerr_set(r->err, e, "map '%s': cannot use ring buffer: %s", name, strerror(-e));
		}
		if (type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
			bpf_map__set_key_size(map, 4);
			bpf_map__set_value_size(map, 4);
		}
		if (kind == OUT_NONE)
			continue;

		is_event = type == BPF_MAP_TYPE_RINGBUF || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
		percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
			 type == BPF_MAP_TYPE_PERCPU_ARRAY;
		if (!out_map_type_supported(type))
			return rerr_set(r->err, -EINVAL,
					"map '%s': map type %s cannot be exported as %s: supported types are %s", name,
					libbpf_bpf_map_type_str(type) ? libbpf_bpf_map_type_str(type) : "unknown",
					out_kind_name(kind), OUT_SUPPORTED_TYPES);
		if (is_event && !vtid) {
			rerr_set(r->err, -EINVAL, "map '%s': %s has no value type to decode events with", name,
				 type == BPF_MAP_TYPE_RINGBUF ? "ring buffer" : "perf event array");
			rerr_hint(r->err, "declare the event type in the map: __type(value, struct event)");
			return -EINVAL;
		}
		if (!btf)
			return rerr_set(r->err, -EINVAL, "map '%s': object has no BTF", name);

		struct ev_map *m = &o->maps[o->n_maps++];

		m->r = r;
		m->o = o;
		m->em.object = o->tag;
		m->map = map;
		m->decl = btf__find_by_name_kind(btf, name, BTF_KIND_VAR);
		m->em.name = strdup(name);
		m->em.metric_name = strdup(rest);
		m->em.kind = kind;
		m->em.type = type;
		m->em.fd = -1;
		m->em.key_type_id = is_event ? 0 : bpf_map__btf_key_type_id(map);
		m->em.value_type_id = vtid;
		m->em.key_size = is_event ? 0 : bpf_map__key_size(map);
		m->em.value_size = vtid ? (uint32_t)btf__resolve_size(btf, vtid) : bpf_map__value_size(map);
		m->em.max_entries = bpf_map__max_entries(map);
		m->em.btf = btf;
		m->em.percpu = percpu;
		m->em.ncpu = ncpu;
		m->em.is_event = is_event;
		if (!m->em.name || !m->em.metric_name)
			return -ENOMEM;
		if (is_event && kind == OUT_PRINT) {
			int e = fmt_plan_new(btf, vtid, &m->plan);
			struct strbuf sb = {};

			if (e)
				return rerr_set(r->err, e, "map '%s': cannot decode its value type: %s", name,
						strerror(-e));
			if (o->tag) {
				sb_puts(&sb, "\",\"object\":\"");
				fmt_json_str(&sb, o->tag, strlen(o->tag));
			}
			sb_puts(&sb, "\",\"map\":\"");
			fmt_json_str(&sb, name, strlen(name));
			sb_puts(&sb, "\",\"event\":");
			m->line_prefix = strdup(sb_cstr(&sb));
			m->line_prefix_len = sb.len;
			sb_free(&sb);
			if (!m->line_prefix)
				return -ENOMEM;
		}
	}
	{
		bool all = o->n_maps > 0;

		for (int i = 0; i < o->n_maps && all; i++)
			all = decl_order_rank(&o->decl, o->maps[i].em.name) >= 0;
		for (int i = 0; i < o->n_maps && all; i++)
			o->maps[i].decl = decl_order_rank(&o->decl, o->maps[i].em.name);
	}
	qsort(o->maps, (size_t)o->n_maps, sizeof(*o->maps), cmp_decl);
	return 0;
}

/* ---- load ---- */

/* The verifier's reason is the last line of its log before the statistics. */
static const char *verifier_reason(const char *b, const char *end, int e)
{
	static char reason[512];
	const char *p = end;

	while (b && end && p > b) {
		const char *ls = p - 1;

		while (ls > b && ls[-1] != '\n')
			ls--;
		if (p - ls > 1 && strncmp(ls, "processed ", 10) && strncmp(ls, "verification time", 17) &&
		    strncmp(ls, "stack depth", 11) && strncmp(ls, "-- END", 6)) {
			size_t n = (size_t)(p - ls);

			while (n && (ls[n - 1] == '\n' || ls[n - 1] == ' '))
				n--;
			if (n >= sizeof(reason))
				n = sizeof(reason) - 1;
			memcpy(reason, ls, n);
			reason[n] = '\0';
			return reason;
		}
		p = ls;
	}
	return strerror(-e);
}

/* The last line of libbpf's log that starts with PFX (after "libbpf: ") and
 * contains SUB (if not NULL), or NULL; *len gets its length. */
static const char *last_line(const char *log, const char *pfx, const char *sub, size_t *len)
{
	const char *found = NULL, *p = log;
	size_t n = strlen(pfx);

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *q = p;
		size_t l;

		if (!strncmp(q, "libbpf: ", 8))
			q += 8;
		l = nl ? (size_t)(nl - q) : strlen(q);
		if (l >= n && !strncmp(q, pfx, n) && (!sub || memmem(q, l, sub, strlen(sub)))) {
			found = q;
			*len = l;
		}
		p = nl ? nl + 1 : NULL;
	}
	return found;
}

/* Copy the text of line L (length LEN) from offset OFF up to the next quote. */
static void quoted(const char *l, size_t len, size_t off, char *out, size_t size)
{
	const char *e = off < len ? memchr(l + off, '\'', len - off) : NULL;
	size_t n = e ? (size_t)(e - l - off) : 0;

	if (n >= size)
		n = 0;
	memcpy(out, l + off, n);
	out[n] = '\0';
}

/* "map 'NAME': failed to create: ..." is libbpf's summary of any map step
 * that failed; the lines before it say which (pinning, mostly). */
static bool report_map_failure(struct runner *r, const char *log, int e)
{
	char name[256], pfx[300], path[PATH_MAX], dir[PATH_MAX];
	const char *l, *slash;
	size_t len;

	if (!(l = last_line(log, "map '", "': failed to ", &len)))
		return false;
	quoted(l, len, 5, name, sizeof(name));
	snprintf(pfx, sizeof(pfx), "map '%s': failed to auto-pin at '", name);
	if ((l = last_line(log, pfx, NULL, &len))) {
		quoted(l, len, strlen(pfx), path, sizeof(path));
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir)
			dir[slash - dir] = '\0';
		if (last_line(log, "specified path ", "is not on BPF FS", &len)) {
			rerr_set(r->err, e, "map '%s': cannot pin at %s: %s is not a BPF filesystem", name, path, dir);
			rerr_hint(r->err, "mount one: mount -t bpf bpf %s", dir);
		} else {
			rerr_set(r->err, e, "map '%s': cannot pin at %s: %s", name, path, strerror(-e));
		}
		return true;
	}
	if ((l = last_line(log, "couldn't reuse pinned map at '", NULL, &len))) {
		quoted(l, len, 30, path, sizeof(path));
		rerr_set(r->err, e,
			 "map '%s': cannot reuse the map pinned at %s: its type, key or value size, max_entries or "
			 "flags differ", name, path);
		rerr_hint(r->err, "remove the old pin (rm %s) or declare the map as it was", path);
		return true;
	}
	rerr_set(r->err, e, "map '%s': cannot create: %s", name, strerror(-e));
	return true;
}

/* libbpf logs "prog 'NAME': -- BEGIN PROG LOAD LOG --" ... "-- END PROG LOAD LOG --" */
static int report_load_failure(struct runner *r, struct robj *o, int e)
{
	const char *log = sb_cstr(&libbpf_log);
	const char *b = strstr(log, "-- BEGIN PROG LOAD LOG --");
	const char *path = o->path;

	if (b) {
		const char *q = b, *name_end, *name;
		const char *end = strstr(b, "-- END PROG LOAD LOG --");
		char prog[256] = "";

		/* find the program name just before the marker */
		while (q > log && q[-1] != '\n')
			q--;
		name = strstr(q, "prog '");
		if (name && name < b) {
			name += 6;
			name_end = strchr(name, '\'');
			if (name_end && (size_t)(name_end - name) < sizeof(prog))
				memcpy(prog, name, (size_t)(name_end - name));
		}
		b = strchr(b, '\n');
		if (b && end && end > b) {
			struct strbuf sb = {};

			sb_add(&sb, b + 1, (size_t)(end - b - 1));
			rlog(RLOG_DETAIL, "%s", sb_cstr(&sb));
			sb_free(&sb);
		}
		return rerr_set(r->err, e, "program '%s': rejected by the verifier: %s", prog,
				verifier_reason(b, end, e));
	}
	if (e == -EPERM || e == -EACCES)
		return report_eperm(r, o, path, e);
	/* map creation and other failures: libbpf's last lines say what */
	if (report_map_failure(r, log, e))
		return e;
	/* CO-RE without kernel BTF: libbpf says so, errno is only ESRCH */
	if (strstr(log, "failed to find valid kernel BTF") || strstr(log, "Error loading vmlinux BTF")) {
		struct utsname un;

		rerr_set(r->err, e, "%s: cannot load: %s", path,
			 r->opts->btf_path ? "the --btf file cannot be used for its CO-RE relocations"
					   : "the kernel has no BTF (/sys/kernel/btf/vmlinux) for its CO-RE relocations");
		rerr_hint(r->err, "give the kernel's BTF with --btf FILE (a BTFHub file for %s, or the vmlinux BTF "
			  "of the same kernel built with CONFIG_DEBUG_INFO_BTF)", kernel_release(&un));
		return e;
	}
	return rerr_set(r->err, e, "%s: cannot load: %s", path, strerror(e < 0 ? -e : e));
}

/* Programs only referenced from a PROG_ARRAY's initial values are tail-call
 * targets: loaded, never attached.  libbpf fills the arrays at load. */
static bool is_tail_target(struct robj *o, struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	struct bpf_map *map;

	if (bpf_program__fd(prog) < 0 || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return false;
	bpf_object__for_each_map(map, o->obj) {
		uint32_t n;

		if (bpf_map__type(map) != BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		n = bpf_map__max_entries(map);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t id = 0;

			if (!bpf_map_lookup_elem(bpf_map__fd(map), &k, &id) && id == info.id)
				return true;
		}
	}
	return false;
}

static bool dir_has_events(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/events", dir);
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* Classic tracepoints read tracefs: mount it only when none is mounted, and
 * where libbpf 1.1 will look (it prefers /sys/kernel/debug/tracing whenever
 * that path exists, e.g. debugfs mounted without the tracefs automount). */
static int ensure_tracefs(struct runner *r)
{
	const char *where = "/sys/kernel/tracing";

	if (r->tracefs_mount || dir_has_events("/sys/kernel/tracing") ||
	    dir_has_events("/sys/kernel/debug/tracing"))
		return 0;
	if (!access("/sys/kernel/debug/tracing", F_OK))
		where = "/sys/kernel/debug/tracing";
	if (mount("nodev", where, "tracefs", 0, NULL)) {
		int e = -errno;

		return rerr_set(r->err, e, "cannot mount tracefs on %s: %s", where, strerror(-e));
	}
	r->tracefs_mount = where;
	rinfo("mounted tracefs on %s (unmounted at exit)", where);
	return 0;
}

/* A map with a pinning attribute is pinned (or reused) by libbpf at load,
 * which needs a BPF filesystem at the pin root.  Like bpftool, mount one there
 * when the directory is not one yet.  It is left mounted: pins exist to
 * outlive the run, and the next run must find them. */
static int ensure_bpffs(struct runner *r, struct robj *o)
{
	struct bpf_map *map;
	char dir[PATH_MAX];

	bpf_object__for_each_map(map, o->obj) {
		const char *pin = bpf_map__pin_path(map), *slash;
		struct statfs sf;
		int e;

		if (!pin || !(slash = strrchr(pin, '/')) || (size_t)(slash - pin) >= sizeof(dir))
			continue;
		memcpy(dir, pin, (size_t)(slash - pin));
		dir[slash - pin] = '\0';
		if (!*dir || (!statfs(dir, &sf) && sf.f_type == BPF_FS_MAGIC))
			continue;
		if (mount("bpf", dir, "bpf", 0, "mode=0700")) {
			e = -errno;
			if (e == -EPERM || e == -EACCES)
				return report_eperm(r, o, o->path, e);
			rerr_set(r->err, e, "map '%s': cannot pin at %s: %s is not a BPF filesystem and mounting one failed: %s",
				 bpf_map__name(map), pin, dir, strerror(-e));
			rerr_hint(r->err, "mount one: mount -t bpf bpf %s", dir);
			return e;
		}
		rinfo("mounted bpffs on %s for pinned map '%s' (left mounted: pins outlive the run)", dir,
		      bpf_map__name(map));
	}
	return 0;
}

static int iter_add(struct runner *r, struct robj *o, struct bpf_program *prog, struct bpf_link *link)
{
	const char *name = bpf_program__name(prog);
	struct iter_prog *it = &r->iters[r->n_iters++];
	struct strbuf sb = {};

	it->prog = prog;
	it->link = link;
	if (o->tag) {
		sb_puts(&sb, "\",\"object\":\"");
		fmt_json_str(&sb, o->tag, strlen(o->tag));
	}
	sb_puts(&sb, "\",\"program\":\"");
	fmt_json_str(&sb, name, strlen(name));
	sb_puts(&sb, "\",\"line\":\"");
	it->prefix = strdup(sb_cstr(&sb));
	sb_free(&sb);
	return it->prefix ? 0 : -ENOMEM;
}

/* Every loaded program that is not a tail-call target, attached as its
 * section and the target options say (targets.c); with ATTACH false
 * (check --load-only) only counted. */
static int attach_programs(struct runner *r, struct robj *o, bool attach)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, o->obj) {
		struct attach_info ai;
		struct bpf_link *link;
		int e;

		if (!bpf_program__autoload(prog))
			continue;
		o->n_progs++;
		e = progstats_add(&r->progs, o->name, r->n_objs > 1, bpf_program__name(prog),
				  libbpf_bpf_prog_type_str(bpf_program__type(prog)), bpf_program__fd(prog));
		if (e)
			return e;
		if (!attach || is_tail_target(o, prog))
			continue;
		attach_classify(bpf_program__section_name(prog), &ai);
		if (ai.tracefs) {
			e = ensure_tracefs(r);
			if (e)
				return e;
		}
		e = tgt_attach_prog(&r->tgts, o->name, prog, &r->topts, &link, r->err);
		if (e)
			return e;
		if (r->opts->attach_pause_us)
			usleep(r->opts->attach_pause_us);
		if (link) {
			e = iter_add(r, o, prog, link);
			if (e)
				return e;
		}
	}
	return 0;
}

/* ---- events ---- */

static void line_start(struct runner *r, struct strbuf *sb)
{
	sb_add(sb, "{\"time\":\"", 9);
	output_time(&r->out, sb, &r->now);
}

static void refresh_now(struct runner *r)
{
	clock_gettime(CLOCK_REALTIME, &r->now);
}

static int handle_record(struct ev_map *m, const void *data, size_t size)
{
	struct runner *r = m->r;

	m->events++;
	if (size < m->em.value_size) {
		if (!m->short_records++)
			rwarn("map '%s': record of %zu bytes is shorter than its type (%u bytes): skipped "
			      "(reported once)",
			      m->em.name, size, m->em.value_size);
		return 0;
	}
	if (m->em.kind == OUT_PRINT) {
		struct strbuf *sb = &r->out.sb;
		size_t start = sb->len;

		/* the time of consumption: one clock read per record */
		refresh_now(r);
		line_start(r, sb);
		sb_add(sb, m->line_prefix, m->line_prefix_len);
		if (fmt_json(m->plan, data, size, sb)) {
			sb->len = start;
			return 0;
		}
		sb_add(sb, "}\n", 2);
		output_line_done(&r->out);
		if (r->metrics)
			metrics_events_read(r->metrics, &m->em, 1);
		if (r->out.closed)
			return -EPIPE;
	} else if (r->metrics) {
		metrics_event(r->metrics, &m->em, data, size);
	}
	/* under a sustained stream, still flush at least every 100 ms */
	if (!(++r->batch & 255) && r->out.sb.len && mono_ns() - r->out.last_flush_ns >= OUT_FLUSH_NS)
		output_flush(&r->out);
	return 0;
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	((struct ev_map *)ctx)->r->rb_pass_bytes += size + 8;	/* + record header */
	return handle_record(ctx, data, size);
}

static void perf_cb(void *ctx, int cpu, void *data, uint32_t size)
{
	handle_record(ctx, data, size);
}

static void perf_lost_cb(void *ctx, int cpu, __u64 cnt)
{
	struct ev_map *m = ctx;

	m->lost += cnt;
	if (m->r->metrics)
		metrics_events_lost(m->r->metrics, &m->em, cnt);
}

static int epoll_add(int epfd, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_consumers(struct runner *r)
{
	struct ev_map *m;
	int e;

	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return rerr_set(r->err, -errno, "epoll: %s", strerror(errno));

	for_each_ev_map(r, oi, mi, m) {
		if (!m->em.is_event)
			continue;
		if (m->em.type == BPF_MAP_TYPE_RINGBUF) {
			if (!r->min_ring || m->em.max_entries < r->min_ring)
				r->min_ring = m->em.max_entries;
			if (!r->rb) {
				r->rb = ring_buffer__new(m->em.fd, ringbuf_cb, m, NULL);
				if (!r->rb)
					goto fail;
				e = epoll_add(r->epfd, ring_buffer__epoll_fd(r->rb), r);
				if (e)
					return rerr_set(r->err, e, "epoll: %s", strerror(-e));
			} else if (ring_buffer__add(r->rb, m->em.fd, ringbuf_cb, m)) {
				goto fail;
			}
		} else {
			/* 64 pages per CPU: bursts of small events fit */
			m->pb = perf_buffer__new(m->em.fd, 64, perf_cb, perf_lost_cb, m, NULL);
			if (!m->pb)
				goto fail;
			e = epoll_add(r->epfd, perf_buffer__epoll_fd(m->pb), m);
			if (e)
				return rerr_set(r->err, e, "epoll: %s", strerror(-e));
		}
		continue;
fail:
		e = -errno;
		rerr_set(r->err, e, "map '%s': cannot read events: %s", m->em.name, strerror(-e));
		if ((e == -EACCES || e == -EPERM) && m->em.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			rerr_hint(r->err, "a perf event array's buffers are perf events: grant CAP_PERFMON, and CAP_SYS_ADMIN "
					  "where kernel.perf_event_paranoid is above 2");
		return e;
	}
	return 0;
}

/* ---- periodic work: map print polling and iterators ---- */

static void read_iters(struct runner *r)
{
	char buf[8192];

	for (int i = 0; i < r->n_iters; i++) {
		struct iter_prog *it = &r->iters[i];
		struct strbuf text = {};
		int fd = bpf_iter_create(bpf_link__fd(it->link));
		ssize_t n;

		if (fd < 0) {
			rwarn("program '%s': cannot read iterator: %s", bpf_program__name(it->prog), strerror(errno));
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				sb_add(&text, buf, (size_t)n);
		close(fd);
		refresh_now(r);
		/* one JSON line per line of iterator text */
		for (size_t off = 0; off < text.len;) {
			char *nl = memchr(text.buf + off, '\n', text.len - off);
			size_t end = nl ? (size_t)(nl - text.buf) : text.len;
			struct strbuf *sb = &r->out.sb;

			line_start(r, sb);
			sb_puts(sb, it->prefix);
			fmt_json_str(sb, text.buf + off, end - off);
			sb_add(sb, "\"}\n", 3);
			output_line_done(&r->out);
			off = end + 1;
		}
		sb_free(&text);
	}
}

static void write_folded(struct runner *r)
{
	struct rerr err = {};

	if (r->n_folded && stackfmt_write_folded(r->stacks, r->folded, r->n_folded, r->opts->folded_path, &err))
		rwarn("%s", err.msg);
}

static void periodic(struct runner *r)
{
	write_folded(r);
	if (r->metrics) {
		metrics_print_poll(r->metrics, &r->out.sb);
		output_line_done(&r->out);
	}
	read_iters(r);
}

/* ---- main loop ---- */

/* Wakeup coalescing.  A ring buffer wakes its reader for the first record
 * committed after the reader caught up, so a steady stream of events costs
 * one wakeup (IPI, schedule, epoll_wait, flush) per handful of records: on a
 * 2-vCPU VM that was ~2 us of CPU per event at 100k events/s.  After a pass
 * that read ring buffer records, the loop flushes and sleeps EV_LINGER_NS
 * before reading again, so a busy ring is read about once per millisecond
 * in big batches, and goes back to epoll_wait after a pass that finds
 * nothing.  Costs up to 1 ms of extra latency per line; skipped when the pass
 * read a quarter of the smallest ring or more (the ring could fill while we
 * sleep), and when records come one at a time: a pass with records less
 * than EV_STREAM_NS after the previous one is a stream worth coalescing; a
 * lone event (hundreds per second) would only pay an extra empty pass and
 * context switch for the sleep (bench/RESULTS.md section 5).  Lines still
 * carry the time their record was read. */
#define EV_LINGER_NS 1000000L
#define EV_STREAM_NS 2000000ULL

static void linger(struct runner *r)
{
	struct timespec ts = { 0, EV_LINGER_NS };
	uint64_t now, prev = r->last_pass_ns;

	if (!r->rb_pass_bytes || r->rb_pass_bytes >= r->min_ring / 4 || stop_requested || r->out.closed)
		return;
	now = mono_ns();
	r->last_pass_ns = now;
	if (now - prev > EV_STREAM_NS)
		return;
	if (r->out.sb.len)
		output_flush(&r->out);
	nanosleep(&ts, NULL);
}

/* Read every ring buffer and perf buffer, woken or not: records a probe
 * submitted with BPF_RB_NO_WAKEUP wake no epoll_wait, and at stop whatever
 * is left in the perf buffers is read too. */
static int consume_all(struct runner *r)
{
	if (r->rb) {
		int c = ring_buffer__consume(r->rb);

		if (c < 0 && c != -EPIPE && c != -EINTR)
			return rerr_set(r->err, c, "ring buffer: %s", strerror(-c));
	}
	struct ev_map *m;

	for_each_ev_map(r, oi, mi, m) {
		int c;

		if (!m->pb)
			continue;
		c = perf_buffer__consume(m->pb);
		if (c < 0 && c != -EINTR)
			return rerr_set(r->err, c, "map '%s': perf buffer: %s", m->em.name, strerror(-c));
	}
	return 0;
}

static int event_loop(struct runner *r)
{
	const struct runner_opts *o = r->opts;
	uint64_t start = mono_ns();
	uint64_t next_tick = start + o->interval_ns;
	uint64_t end = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	struct epoll_event evs[16];

	periodic(r);
	output_flush(&r->out);
	while (!stop_requested && !r->out.closed) {
		uint64_t now = mono_ns();
		uint64_t wake = next_tick < end ? next_tick : end;
		int timeout, n;

		if (now >= end)
			break;
		if (now >= next_tick) {
			periodic(r);
			next_tick += o->interval_ns;
			if (next_tick <= now)
				next_tick = now + o->interval_ns;
			continue;
		}
		timeout = (int)((wake - now + 999999) / 1000000);
		if (timeout > 100)
			timeout = 100;
		/* drained: flush before blocking */
		if (r->out.sb.len)
			output_flush(&r->out);
		n = epoll_wait(r->epfd, evs, 16, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return rerr_set(r->err, -errno, "epoll_wait: %s", strerror(errno));
		}
		r->rb_pass_bytes = 0;
		if (n == 0) {
			/* quiet for up to 100 ms: read what came without a wakeup */
			int e = consume_all(r);

			if (e)
				return e;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == r) {
				int c = ring_buffer__consume(r->rb);

				if (c < 0 && c != -EPIPE && c != -EINTR)
					return rerr_set(r->err, c, "ring buffer: %s", strerror(-c));
			} else {
				struct ev_map *m = evs[i].data.ptr;
				int c = perf_buffer__consume(m->pb);

				if (c < 0 && c != -EINTR)
					return rerr_set(r->err, c, "map '%s': perf buffer: %s", m->em.name,
							strerror(-c));
			}
		}
		linger(r);
	}
	if (o->on_stopping)
		o->on_stopping(o->on_stopping_ctx);
	/* stopped (signal, --duration): detach, then print what the probes had
	 * already submitted, unless the reader is gone or stalled */
	if (!r->out.closed && !r->out.abandoned) {
		int e;

		tgt_detach_all(&r->tgts);
		for (int i = 0; i < r->n_iters; i++)
			r->iters[i].link = NULL;
		e = consume_all(r);
		if (e)
			return e;
	}
	output_flush(&r->out);
	return 0;
}

static void cleanup(struct runner *r)
{
	struct ev_map *m;

	/* loss accounting: the kernel's count or the probe's (loss.c), read
	 * after the final drain */
	for_each_ev_map(r, oi, mi, m) {
		uint64_t lost = loss_total(m->lost, m->probe_lost);

		if (lost)
			rwarn("map '%s'%s%s%s: %llu events lost", m->em.name, m->o->tag ? " (object '" : "",
			      m->o->tag ? m->o->tag : "", m->o->tag ? "')" : "", (unsigned long long)lost);
	}
	if (r->http)
		http_stop(r->http);
	ring_buffer__free(r->rb);
	for_each_ev_map(r, oi, mi, m)
		perf_buffer__free(m->pb);
	tgt_set_free(&r->tgts);
	if (r->metrics)
		metrics_free(r->metrics);
	for (int i = 0; i < r->n_objs; i++)
		loss_free(&r->objs[i].loss);	/* loss accounting: after the last reader */
	fmt_set_stack_resolver(NULL, NULL);
	stackfmt_free(r->stacks);
	fmt_set_enricher(NULL, NULL, NULL);
	enrich_free(r->enrich);
	fmt_set_name_resolver(NULL, NULL);
	names_free(r->names);
	free(r->folded);
	for (int i = 0; i < r->n_objs; i++)
		bpf_object__close(r->objs[i].obj);
	if (r->stats_fd >= 0)
		close(r->stats_fd);
	if (r->tracefs_mount && umount2(r->tracefs_mount, MNT_DETACH))
		rwarn("cannot unmount tracefs from %s: %s", r->tracefs_mount, strerror(errno));
	if (r->epfd > 0)
		close(r->epfd);
	for_each_ev_map(r, oi, mi, m) {
		fmt_plan_free(m->plan);
		free(m->line_prefix);
		free(m->em.name);
		free(m->em.metric_name);
	}
	for (int i = 0; i < r->n_iters; i++)
		free(r->iters[i].prefix);
	for (int i = 0; i < r->n_objs; i++) {
		struct robj *o = &r->objs[i];

		free(o->maps);
		free(o->file);
		elf_maps_info_free(&o->info);
		decl_order_free(&o->decl);
	}
	free(r->objs);
	free(r->iters);
	free(r->attach);
	webcfg_free(r->web);
	progstats_free(&r->progs);
	output_free(&r->out);
	sb_free(&libbpf_log);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "opensnoop.bpf.o" -> "opensnoop" (the "object" of JSON lines) */
static void object_name(const char *path, char *out, size_t size)
{
	const char *b = base_name(path);
	size_t n = strlen(b);

	if (n > 6 && !strcmp(b + n - 6, ".bpf.o"))
		n -= 6;
	else if (n > 2 && !strcmp(b + n - 2, ".o"))
		n -= 2;
	snprintf(out, size, "%.*s", (int)n, b);
}

static void set_ktime_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	fmt_set_ktime_offset(((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec));
}

/* Read, rewrite and open one object; classify its maps; apply --set. */
static int open_object(struct runner *r, struct robj *o, bool *set_used)
{
	const struct runner_opts *opts = r->opts;
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	void *img = NULL;
	size_t img_len = 0;
	char objname[64];
	int e;

	e = read_whole_file(o->file_path, &o->file, &o->file_len);
	if (e)
		return rerr_set(r->err, e, "%s: %s", o->path, strerror(-e));
	e = elf_rewrite_maps(o->path, o->file, o->file_len, &img, &img_len, &o->info, r->err);
	if (e)
		return e;
	/* no order recorded is fine: BTF order then */
	if (decl_order_read(o->file, o->file_len, &o->decl))
		decl_order_free(&o->decl);

	/* internal maps are named after the object: keep libbpf's usual name */
	snprintf(objname, sizeof(objname), "%.63s", o->named ? o->name : base_name(o->path));
	oo.object_name = objname;
	/* in a container: CO-RE relocates against the host kernel's BTF */
	if (r->host_btf[0])
		oo.btf_custom_path = r->host_btf;
	libbpf_warn[0] = '\0';
	o->obj = bpf_object__open_mem(img ? img : o->file, img ? img_len : o->file_len, &oo);
	free(img);
	if (!o->obj) {
		char why[sizeof(libbpf_warn)];
		size_t n;

		e = -errno;
		if (libbpf_warn[0]) {
			/* one line: names from the file can hold anything */
			for (n = 0; libbpf_warn[n]; n++)
				why[n] = (unsigned char)libbpf_warn[n] < 0x20 || libbpf_warn[n] == 0x7f ? '?'
											     : libbpf_warn[n];
			while (n && (why[n - 1] == '?' || why[n - 1] == ' ' || why[n - 1] == '.'))
				n--;
			why[n] = '\0';
		} else {
			libbpf_strerror(e, why, sizeof(why));	/* libbpf's own codes (4000+) too */
		}
		return rerr_set(r->err, e, "%s: cannot open BPF object: %s", o->path, why);
	}
	/* nothing before --set and the target options touches the kernel:
	 * their usage errors come first (prepare_maps creates ring buffers) */
	e = tgt_prepare(o->obj, &r->topts, r->err);
	if (e)
		return e;
	if (r->n_objs == 1)
		return globals_apply(o->obj, opts->sets, opts->n_sets, NULL, r->err);
	/* --set NAME:VAR=VALUE goes to that object only */
	for (int i = 0; i < opts->n_sets; i++) {
		bool used = false;

		if (opts->sets[i].object && strcmp(opts->sets[i].object, o->name))
			continue;
		e = globals_apply(o->obj, &opts->sets[i], 1, &used, r->err);
		if (e)
			return e;
		set_used[i] |= used;
	}
	return 0;
}

/* The usage errors only the whole set of objects can tell. */
static int check_args(struct runner *r, const bool *set_used)
{
	const struct runner_opts *opts = r->opts;

	for (int i = 0; i < r->topts.n_attach; i++)
		if (!r->attach[i].used)
			return rerr_usage(r->err, -ENOENT, "--attach %s=%s: no program '%s' in %s", r->attach[i].prog,
					  r->attach[i].target, r->attach[i].prog,
					  r->n_objs > 1 ? "any object" : r->objs[0].path);
	for (int i = 0; i < opts->n_sets; i++) {
		const struct runner_set *st = &opts->sets[i];
		bool known = !st->object;

		/* one object too: OBJ: must name it (it was applied to it
		 * regardless, and the run went on) */
		for (int k = 0; k < r->n_objs && !known; k++)
			known = !strcmp(r->objs[k].name, st->object);
		if (!known)
			return rerr_usage(r->err, -ENOENT, "--set %s:%s=%s: no object named '%s'", st->object, st->name,
					  st->value, st->object);
		if (r->n_objs > 1 && !set_used[i])
			return rerr_usage(r->err, -ENOENT, "--set %s%s%s=%s: no %s declares a global '%s'",
					  st->object ? st->object : "", st->object ? ":" : "", st->name, st->value,
					  st->object ? "such object" : "object", st->name);
	}
	return 0;
}

/* STACK_TRACE maps are loaded, never exported: stack_id members of the
 * object's records are looked up in them. */
static int add_stack_maps(struct runner *r, struct robj *o)
{
	struct bpf_map *map;
	int e;

	bpf_object__for_each_map(map, o->obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STACK_TRACE)
			continue;
		if (!r->stacks) {
			e = stackfmt_new(r->opts->host_root, &r->stacks);
			if (e)
				return rerr_set(r->err, e, "stack traces: %s", strerror(-e));
			fmt_set_stack_resolver(stackfmt_render, r->stacks);
		}
		e = stackfmt_add_map(r->stacks, bpf_object__btf(o->obj), bpf_map__fd(map), bpf_map__value_size(map));
		if (e)
			return rerr_set(r->err, e, "map '%s': %s", bpf_map__name(map), strerror(-e));
	}
	return 0;
}

/* --folded FILE: the counter maps keyed by stack ids, written once now so a
 * path that cannot be written fails the run at start. */
static int setup_folded(struct runner *r)
{
	struct ev_map *m;

	if (!r->opts->folded_path)
		return 0;
	r->folded = calloc(64, sizeof(*r->folded));
	if (!r->folded)
		return -ENOMEM;
	for_each_ev_map(r, oi, mi, m)
		if (stackfmt_folded_map(&m->em) && r->n_folded < 64)
			r->folded[r->n_folded++] = &m->em;
	if (!r->n_folded || !r->stacks) {
		rerr_set(r->err, -EINVAL, "--folded %s: no counter map keyed by a stack_id%s", r->opts->folded_path,
			 r->n_folded ? " with a BPF_MAP_TYPE_STACK_TRACE map to read the stacks from" : "");
		rerr_hint(r->err, "key a SEC(\".maps.counter\") hash by a struct with stack_id members (solo_types.h) "
				  "holding bpf_get_stackid() results");
		return -EINVAL;
	}
	return stackfmt_write_folded(r->stacks, r->folded, r->n_folded, r->opts->folded_path, r->err);
}

static int load_object(struct runner *r, struct robj *o)
{
	int e = ensure_bpffs(r, o);

	if (e)
		return e;
	libbpf_log.len = 0;	/* the failing object's log only */
	e = bpf_object__load(o->obj);
	if (e)
		return report_load_failure(r, o, e);
	for (int i = 0; i < o->n_maps; i++)
		o->maps[i].em.fd = bpf_map__fd(o->maps[i].map);
	/* loss accounting (loss.c): the probe's __ebpfctl_lost_<map> counters */
	e = loss_scan(o->obj, o->tag, &o->loss);
	if (!e)
		e = loss_map(&o->loss);
	if (e)
		return rerr_set(r->err, e, "%s: loss counters: %s", o->path, strerror(-e));
	for (int i = 0; i < o->n_maps; i++)
		if (o->maps[i].em.is_event)
			o->maps[i].probe_lost = loss_claim(&o->loss, o->maps[i].em.name);
	loss_warn_unclaimed(&o->loss);
	/* end loss accounting */
	return add_stack_maps(r, o);
}

static int setup_metrics(struct runner *r)
{
	const struct runner_opts *opts = r->opts;
	struct metrics_opts mo = {
		.ns = opts->metrics_ns,
		.max_series = opts->max_series,
		.table_max_series = opts->table_max_series,
		.hist_buckets = opts->hist_buckets,
		.n_hist_buckets = opts->n_hist_buckets,
	};
	struct ev_map *m;
	int e = metrics_new(&mo, &r->metrics);

	if (e)
		return rerr_set(r->err, e, "metrics: %s", strerror(-e));
	for_each_ev_map(r, oi, mi, m) {
		e = metrics_add_map(r->metrics, &m->em, r->err);
		if (e)
			return e;
		metrics_set_probe_lost(r->metrics, &m->em, m->probe_lost);	/* loss accounting */
	}
	metrics_set_progstats(r->metrics, &r->progs);
	return metrics_finish(r->metrics, r->err);
}

/* Everything that needs privilege is done (loaded, attached, the metrics
 * port bound): keep what the rest of the run uses. */
static int drop_privileges(struct runner *r)
{
	struct privs_need need = {
		.net_admin = tgt_has_tc_filters(&r->tgts),
		.sys_admin = r->tracefs_mount != NULL,
		.sys_ptrace = r->stacks != NULL,
		.syslog = r->stacks != NULL || fmt_uses_name(FMT_NAME_KSYM),
		.dac_override = r->opts->folded_path != NULL,
		.dac_read_search = r->opts->web_config != NULL || fmt_uses_name(FMT_NAME_CGROUP) ||
				   r->enrich != NULL,
	};

	/* stack frames: kallsyms is read now, while its addresses are visible */
	if (r->stacks)
		stackfmt_preload(r->stacks);
	if (fmt_uses_name(FMT_NAME_KSYM))
		names_preload_ksym(r->names);
	return privs_drop(r->opts->caps_keep, &need, r->err);
}

static void report_line(struct runner *r, const char *line)
{
	if (r->opts->on_check_line)
		r->opts->on_check_line(r->opts->on_check_ctx, line);
}

/* check: `ok: <file>: <N> programs (<types>), <M> maps exported (<map> <kind>, ...)`
 * then one line per metric family the object would serve. */
static int report_check(struct runner *r)
{
	struct strbuf sb = {}, fams = {};

	for (int i = 0; i < r->n_objs; i++) {
		struct robj *o = &r->objs[i];
		struct bpf_program *prog;
		const char *types[64];
		int nt = 0;

		sb_reset(&sb);
		sb_printf(&sb, "ok: %s: %d programs (", o->path, o->n_progs);
		bpf_object__for_each_program(prog, o->obj) {
			const char *t = libbpf_bpf_prog_type_str(bpf_program__type(prog));
			bool seen = false;

			if (!bpf_program__autoload(prog) || !t)
				continue;
			for (int k = 0; k < nt && !seen; k++)
				seen = !strcmp(types[k], t);
			if (seen || nt == 64)
				continue;
			sb_printf(&sb, "%s%s", nt ? ", " : "", t);
			types[nt++] = t;
		}
		sb_printf(&sb, "), %d maps exported (", o->n_maps);
		for (int k = 0; k < o->n_maps; k++)
			sb_printf(&sb, "%s%s %s", k ? ", " : "", o->maps[k].em.name, out_kind_name(o->maps[k].em.kind));
		sb_puts(&sb, ")");
		report_line(r, sb_cstr(&sb));
		for (int k = 0; k < o->n_maps; k++) {
			sb_reset(&fams);
			metrics_families(r->metrics, &o->maps[k].em, &fams);
			for (char *l = fams.buf, *nl; l && l < fams.buf + fams.len; l = nl + 1) {
				nl = memchr(l, '\n', (size_t)(fams.buf + fams.len - l));
				if (!nl)
					break;
				*nl = '\0';
				sb_reset(&sb);
				sb_printf(&sb, "  %s", l);
				report_line(r, sb_cstr(&sb));
			}
		}
	}
	sb_free(&sb);
	sb_free(&fams);
	return 0;
}

/* With BPF stats on, what each program cost: at the end of check and
 * --duration runs. */
static void report_costs(struct runner *r)
{
	if (!progstats_on(&r->progs))
		return;
	for (int i = 0; i < r->progs.n; i++) {
		const struct progstats_prog *p = &r->progs.progs[i];
		uint64_t runs, ns;
		char line[512];

		if (progstats_read(p->fd, &runs, &ns))
			continue;
		snprintf(line, sizeof(line), "program '%s'%s%s%s: %llu runs, %.0f ns per run", p->name,
			 p->object ? " (object '" : "", p->object ? p->object : "", p->object ? "')" : "",
			 (unsigned long long)runs, runs ? (double)ns / (double)runs : 0.0);
		if (r->opts->mode == RUNNER_RUN)
			rlog(RLOG_NOTE, "%s", line);
		else
			report_line(r, line);
	}
}

int runner_run(const struct runner_opts *opts, struct rerr *err)
{
	struct runner r = { .opts = opts, .err = err, .epfd = -1, .stats_fd = -1 };
	bool *set_used = NULL;
	int e, nprogs = 0;

	/* stop_requested is not reset here: a signal that came after the
	 * CLI installed its handlers and before this point must still stop
	 * the run (runner_run is called once per process) */
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	output_init(&r.out, opts->out_fd);
	r.out.stop = &stop_requested;
	set_ktime_offset();

	e = privs_check_keep(opts->caps_keep, err);
	if (e)
		goto out;
	/* a bad web configuration fails before anything is loaded */
	if (opts->web_config) {
		e = webcfg_load(opts->web_config, &r.web, err);
		if (e)
			goto out;
	}
	r.objs = calloc((size_t)opts->n_objects + 1, sizeof(*r.objs));
	r.attach = calloc((size_t)opts->n_attach + 1, sizeof(*r.attach));
	set_used = calloc((size_t)opts->n_sets + 1, sizeof(*set_used));
	if (!r.objs || !r.attach || !set_used) {
		e = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < opts->n_attach; i++)
		r.attach[i] = (struct tgt_attach_arg){ .prog = opts->attach[i].prog, .target = opts->attach[i].target };
	if (opts->host_root && *opts->host_root && strcmp(opts->host_root, "/")) {
		struct stat st;

		if (stat(opts->host_root, &st) || !S_ISDIR(st.st_mode)) {
			e = rerr_set(err, -ENOENT, "--host-root %s: not a directory", opts->host_root);
			rerr_hint(err, "mount the host's / there (e.g. a hostPath volume at /host)");
			goto out;
		}
		snprintf(r.host_btf, sizeof(r.host_btf), "%s/sys/kernel/btf/vmlinux", opts->host_root);
		if (access(r.host_btf, R_OK))
			r.host_btf[0] = '\0';	/* libbpf's own search then */
	}
	if (opts->btf_path) {
		struct btf *kb = btf__parse(opts->btf_path, NULL);
		struct utsname un;

		if (!kb) {
			e = -errno;
			rerr_set(err, e, "--btf %s: %s", opts->btf_path,
				 e == -ENOENT || e == -EACCES ? strerror(-e) : "not a BTF or ELF file with BTF");
			rerr_hint(err, "give the kernel's BTF: /sys/kernel/btf/vmlinux of a kernel with BTF, "
				  "or the BTFHub file for this kernel (%s)", kernel_release(&un));
			goto out;
		}
		btf__free(kb);
		snprintf(r.host_btf, sizeof(r.host_btf), "%s", opts->btf_path);
	}
	r.topts = (struct tgt_opts){
		.host_root = opts->host_root,
		.ifaces = opts->ifaces,
		.n_ifaces = opts->n_ifaces,
		.xdp_mode = (enum tgt_xdp_mode)opts->xdp_mode,
		.cgroup = opts->cgroup,
		.pid = opts->pid,
		.sample_freq = opts->sample_freq,
		.attach = r.attach,
		.n_attach = opts->n_attach,
	};
	e = names_new(opts->host_root, &r.names);
	if (e) {
		rerr_set(err, e, "out of memory");
		goto out;
	}
	fmt_set_name_resolver(names_resolve, r.names);
	if (opts->enrich) {
		e = enrich_new(opts->host_root, r.names, &r.enrich);
		if (e) {
			rerr_set(err, e, "out of memory");
			goto out;
		}
		/* before any plan is made: plans of records with a cgroup_id gain the fields */
		fmt_set_enricher(enrich_resolve, enrich_json, r.enrich);
		{
			char cgroot[PATH_MAX];

			if (tgt_cgroup2_root(opts->host_root, cgroot, sizeof(cgroot)))
				rwarn("--enrich: no cgroup v2 hierarchy in %s/proc/%s: cgroup ids show as numbers, "
				      "with no container context",
				      opts->host_root && strcmp(opts->host_root, "/") ? opts->host_root : "",
				      opts->host_root && strcmp(opts->host_root, "/") ? "1/mounts" : "mounts");
		}
	}
	r.n_objs = opts->n_objects;
	for (int i = 0; i < r.n_objs; i++) {
		struct robj *o = &r.objs[i];

		o->file_path = opts->objects[i];
		o->path = opts->object_shown && opts->object_shown[i] ? opts->object_shown[i] : o->file_path;
		o->named = opts->object_names && opts->object_names[i] && opts->object_names[i][0];
		if (o->named)
			snprintf(o->name, sizeof(o->name), "%s", opts->object_names[i]);
		else
			object_name(o->file_path, o->name, sizeof(o->name));
		o->tag = r.n_objs > 1 ? o->name : NULL;
		for (int k = 0; k < i && o->tag; k++)
			if (!strcmp(r.objs[k].name, o->name)) {
				e = rerr_usage(err, -EEXIST, "%s and %s: two objects named '%s'", r.objs[k].path,
					       o->path, o->name);
				rerr_hint(err, "JSON lines and metrics tell objects apart by file name: rename one");
				goto out;
			}
	}
	for (int i = 0; i < r.n_objs; i++) {
		e = open_object(&r, &r.objs[i], set_used);
		if (e)
			goto out;
	}
	e = check_args(&r, set_used);
	if (e)
		goto out;
	for (int i = 0; i < r.n_objs; i++) {
		e = prepare_maps(&r, &r.objs[i]);
		if (e)
			goto out;
	}
	for (int i = 0; i < r.n_objs; i++) {
		e = load_object(&r, &r.objs[i]);
		if (e)
			goto out;
		for (struct bpf_program *p = bpf_object__next_program(r.objs[i].obj, NULL); p;
		     p = bpf_object__next_program(r.objs[i].obj, p))
			nprogs++;
	}

	e = setup_metrics(&r);
	if (e)
		goto out;
	if (opts->bpf_stats) {
		r.stats_fd = progstats_enable();
		if (r.stats_fd < 0) {
			e = rerr_set(err, r.stats_fd, "--bpf-stats: cannot enable BPF stats: %s", strerror(-r.stats_fd));
			if (e == -EPERM || e == -EACCES)
				rerr_hint(err, "needs CAP_SYS_ADMIN (or set sysctl kernel.bpf_stats_enabled=1)");
			r.stats_fd = -1;
			goto out;
		}
		r.progs.enabled = true;
	}

	r.iters = calloc((size_t)nprogs + 1, sizeof(*r.iters));
	if (!r.iters) {
		e = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < r.n_objs; i++) {
		e = attach_programs(&r, &r.objs[i], opts->mode != RUNNER_CHECK_LOAD_ONLY);
		if (e)
			goto out;
	}
	metrics_set_progs_attached(r.metrics, r.tgts.n_progs);
	if (opts->mode != RUNNER_CHECK_LOAD_ONLY)
		tgt_warn_unused(&r.tgts, &r.topts);
	if (opts->mode != RUNNER_RUN) {
		tgt_detach_all(&r.tgts);
		e = report_check(&r);
		report_costs(&r);
		goto out;
	}
	e = setup_consumers(&r);
	if (e)
		goto out;
	e = setup_folded(&r);
	if (e)
		goto out;
	if (opts->metrics_fd >= 0 || opts->metrics_addr) {
		struct http_opts ho = { .addr = opts->metrics_fd >= 0 ? NULL : opts->metrics_addr,
					.fd = opts->metrics_fd, .web = r.web, .web_path = opts->web_config,
					.ready = true };

		r.web = NULL;	/* the server's now */
		e = http_start(&ho, r.metrics, &r.http, err);
		if (e)
			goto out;
	}
	e = drop_privileges(&r);
	if (e)
		goto out;
	/* everything is attached and the loop starts now */
	http_set_health(r.http, true, true);
	if (opts->on_running)
		opts->on_running(opts->on_running_ctx);
	e = event_loop(&r);
	http_set_health(r.http, false, false);
	if (!e && r.out.error)
		e = rerr_set(err, r.out.error, "writing output: %s", strerror(-r.out.error));
	if (!e && opts->duration_ns && !r.out.closed)
		report_costs(&r);
	if (!e)
		write_folded(&r);
out:
	free(set_used);
	cleanup(&r);
	return e;
}
