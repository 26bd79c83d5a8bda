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
#include "output.h"
#include "readfile.h"
#include "runner.h"

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
	};
}

/* ---- libbpf output: kept in memory, shown with -v or on failure ---- */

static struct strbuf libbpf_log;
static int libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return 0;
	/* keep the tail: the verifier log of the failing program is last */
	if (libbpf_log.len > (4u << 20))
		libbpf_log.len = 0;
	sb_puts(&libbpf_log, buf);
	if (libbpf_verbose)
		rlog(RLOG_INFO, "%s", buf);
	return 0;
}

/* ---- per-run state ---- */

struct ev_map {
	struct export_map em;
	struct bpf_map *map;
	int decl;			/* declaration order (see cmp_decl) */
	struct fmt_plan *plan;		/* event/value type plan (print) */
	char *line_prefix;		/* `","map":"NAME","event":` */
	size_t line_prefix_len;
	struct perf_buffer *pb;
	struct runner *r;
	uint64_t events;
	uint64_t lost;
	uint64_t short_records;
};

struct iter_prog {
	struct bpf_program *prog;
	struct bpf_link *link;
	char *prefix;			/* `","program":"NAME","line":"` */
};

struct runner {
	const struct runner_opts *opts;
	struct rerr *err;
	struct bpf_object *obj;
	struct elf_maps_info info;
	struct decl_order decl;		/* source order of the object's globals */
	struct ev_map *maps;
	int n_maps;
	struct bpf_link **links;
	int n_links;
	struct iter_prog *iters;
	int n_iters;
	struct ring_buffer *rb;
	int epfd;
	struct output out;
	struct metrics *metrics;
	struct http_server *http;
	const char *tracefs_mount;	/* where we mounted tracefs, if we did */
	struct timespec now;		/* CLOCK_REALTIME of the line being written */
	uint64_t batch;
	uint64_t rb_pass_bytes;		/* ring buffer bytes read in this loop pass */
	uint64_t min_ring;		/* smallest ring buffer (bytes) */
};

/* ---- object open ---- */

/* The .maps section suffix the map was declared in ("" for plain .maps). */
static const char *map_suffix(struct runner *r, const char *name)
{
	for (int i = 0; i < r->info.n; i++)
		if (!strcmp(r->info.maps[i].map, name))
			return r->info.maps[i].suffix;
	return "";
}

/* Decided by the error, never by the user id: the kernel said no. */
static int report_eperm(struct runner *r, int e)
{
	rerr_set(r->err, e, "%s: %s", r->opts->object_path, strerror(-e));
	rerr_hint(r->err, "run as root or grant CAP_BPF and CAP_PERFMON");
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
static int prepare_maps(struct runner *r)
{
	const struct btf *btf = bpf_object__btf(r->obj);
	struct bpf_map *map;
	int ncpu = libbpf_num_possible_cpus();
	int n = 0;

	if (ncpu < 0)
		return rerr_set(r->err, ncpu, "cannot read possible CPUs: %s", strerror(-ncpu));
	bpf_object__for_each_map(map, r->obj)
		n++;
	r->maps = calloc(n ? n : 1, sizeof(*r->maps));
	if (!r->maps)
		return -ENOMEM;

	bpf_object__for_each_map(map, r->obj) {
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
		suffix = map_suffix(r, name);
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
					return report_eperm(r, e);
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

		struct ev_map *m = &r->maps[r->n_maps++];

		m->r = r;
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
		bool all = r->n_maps > 0;

		for (int i = 0; i < r->n_maps && all; i++)
			all = decl_order_rank(&r->decl, r->maps[i].em.name) >= 0;
		for (int i = 0; i < r->n_maps && all; i++)
			r->maps[i].decl = decl_order_rank(&r->decl, r->maps[i].em.name);
	}
	qsort(r->maps, (size_t)r->n_maps, sizeof(*r->maps), cmp_decl);
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
static int report_load_failure(struct runner *r, int e)
{
	const char *log = sb_cstr(&libbpf_log);
	const char *b = strstr(log, "-- BEGIN PROG LOAD LOG --");
	const char *path = r->opts->object_path;

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
		return report_eperm(r, e);
	/* map creation and other failures: libbpf's last lines say what */
	if (report_map_failure(r, log, e))
		return e;
	return rerr_set(r->err, e, "%s: cannot load: %s", path, strerror(e < 0 ? -e : e));
}

/* Programs only referenced from a PROG_ARRAY's initial values are tail-call
 * targets: loaded, never attached.  libbpf fills the arrays at load. */
static bool is_tail_target(struct runner *r, struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	struct bpf_map *map;

	if (bpf_program__fd(prog) < 0 || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return false;
	bpf_object__for_each_map(map, r->obj) {
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
static int ensure_bpffs(struct runner *r)
{
	struct bpf_map *map;
	char dir[PATH_MAX];

	bpf_object__for_each_map(map, r->obj) {
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
				return report_eperm(r, e);
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

static int attach_programs(struct runner *r)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, r->obj)
		n++;
	r->links = calloc(n ? n : 1, sizeof(*r->links));
	r->iters = calloc(n ? n : 1, sizeof(*r->iters));
	if (!r->links || !r->iters)
		return -ENOMEM;

	bpf_object__for_each_program(prog, r->obj) {
		const char *name = bpf_program__name(prog);
		struct attach_info ai;
		struct bpf_link *link;
		int e;

		if (!bpf_program__autoload(prog) || is_tail_target(r, prog))
			continue;
		attach_classify(bpf_program__section_name(prog), &ai);
		if (ai.how == ATTACH_NONE)
			continue;
		if (ai.how == ATTACH_NEEDS_TARGET) {
			rerr_set(r->err, -EINVAL, "program '%s': cannot attach %s: needs %s", name, ai.kind,
				 ai.missing);
			rerr_hint(r->err, "ebpfctl has no flag for this target yet; mark the program SEC(\"?%s\") to "
					  "load it without attaching",
				  bpf_program__section_name(prog));
			return -EINVAL;
		}
		if (ai.tracefs) {
			e = ensure_tracefs(r);
			if (e)
				return e;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			e = -errno;
			if (!e)
				e = -EINVAL;
			rerr_set(r->err, e, "program '%s': cannot attach %s%s%s: %s", name, ai.kind,
				 *ai.target ? " " : "", ai.target, strerror(-e));
			if (e == -EPERM || e == -EACCES)
				rerr_hint(r->err, "run as root or grant CAP_BPF and CAP_PERFMON");
			else if (e == -ENOENT && !strncmp(ai.kind, "kprobe", 6) &&
				 access("/sys/bus/event_source/devices/kprobe", F_OK))
				rerr_hint(r->err, "this kernel has no kprobe support (CONFIG_KPROBES is off): use a "
						  "tracepoint, raw_tp, tp_btf or fentry program");
			return e;
		}
		r->links[r->n_links++] = link;
		if (ai.iter) {
			struct iter_prog *it = &r->iters[r->n_iters++];
			struct strbuf sb = {};

			it->prog = prog;
			it->link = link;
			sb_puts(&sb, "\",\"program\":\"");
			fmt_json_str(&sb, name, strlen(name));
			sb_puts(&sb, "\",\"line\":\"");
			it->prefix = strdup(sb_cstr(&sb));
			sb_free(&sb);
			if (!it->prefix)
				return -ENOMEM;
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
	int e;

	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return rerr_set(r->err, -errno, "epoll: %s", strerror(errno));
	for (int i = 0; i < r->n_maps; i++) {
		struct ev_map *m = &r->maps[i];

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
		return rerr_set(r->err, e, "map '%s': cannot read events: %s", m->em.name, strerror(-e));
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

static void periodic(struct runner *r)
{
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
 * sleep).  Lines still carry the time their record was read. */
#define EV_LINGER_NS 1000000L

static void linger(struct runner *r)
{
	struct timespec ts = { 0, EV_LINGER_NS };

	if (!r->rb_pass_bytes || r->rb_pass_bytes >= r->min_ring / 4 || stop_requested || r->out.closed)
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
	for (int i = 0; i < r->n_maps; i++) {
		struct ev_map *m = &r->maps[i];
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
	/* stopped (signal, --duration): detach, then print what the probes had
	 * already submitted, unless the reader is gone or stalled */
	if (!r->out.closed && !r->out.abandoned) {
		int e;

		for (int i = 0; i < r->n_links; i++)
			bpf_link__destroy(r->links[i]);
		r->n_links = 0;
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
	for (int i = 0; i < r->n_maps; i++) {
		struct ev_map *m = &r->maps[i];

		if (m->lost)
			rwarn("map '%s': %llu events lost", m->em.name, (unsigned long long)m->lost);
	}
	if (r->http)
		http_stop(r->http);
	ring_buffer__free(r->rb);
	for (int i = 0; i < r->n_maps; i++)
		perf_buffer__free(r->maps[i].pb);
	for (int i = 0; i < r->n_links; i++)
		bpf_link__destroy(r->links[i]);
	if (r->metrics)
		metrics_free(r->metrics);
	bpf_object__close(r->obj);
	if (r->tracefs_mount && umount2(r->tracefs_mount, MNT_DETACH))
		rwarn("cannot unmount tracefs from %s: %s", r->tracefs_mount, strerror(errno));
	if (r->epfd > 0)
		close(r->epfd);
	for (int i = 0; i < r->n_maps; i++) {
		fmt_plan_free(r->maps[i].plan);
		free(r->maps[i].line_prefix);
		free(r->maps[i].em.name);
		free(r->maps[i].em.metric_name);
	}
	for (int i = 0; i < r->n_iters; i++)
		free(r->iters[i].prefix);
	free(r->maps);
	free(r->links);
	free(r->iters);
	elf_maps_info_free(&r->info);
	decl_order_free(&r->decl);
	output_free(&r->out);
	sb_free(&libbpf_log);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void set_ktime_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	fmt_set_ktime_offset(((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec));
}

int runner_run(const struct runner_opts *opts, struct rerr *err)
{
	struct runner r = { .opts = opts, .err = err, .epfd = -1 };
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	void *file = NULL, *img = NULL;
	size_t file_len = 0, img_len = 0;
	char objname[64];
	int e;

	stop_requested = 0;
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	output_init(&r.out, opts->out_fd);
	r.out.stop = &stop_requested;
	set_ktime_offset();

	e = read_whole_file(opts->object_path, &file, &file_len);
	if (e) {
		rerr_set(err, e, "%s: %s", opts->object_path, strerror(-e));
		goto out;
	}
	e = elf_rewrite_maps(opts->object_path, file, file_len, &img, &img_len, &r.info, err);
	if (e)
		goto out;
	/* no order recorded is fine: BTF order then */
	if (decl_order_read(file, file_len, &r.decl))
		decl_order_free(&r.decl);

	/* internal maps are named after the object: keep libbpf's usual name */
	snprintf(objname, sizeof(objname), "%s", base_name(opts->object_path));
	oo.object_name = objname;
	r.obj = bpf_object__open_mem(img ? img : file, img ? img_len : file_len, &oo);
	free(img);
	img = NULL;
	if (!r.obj) {
		e = -errno;
		char why[128];

		libbpf_strerror(e, why, sizeof(why));	/* libbpf's own codes (4000+) too */
		rerr_set(err, e, "%s: cannot open BPF object: %s", opts->object_path, why);
		goto out;
	}

	e = prepare_maps(&r);
	if (e)
		goto out;
	e = globals_apply(r.obj, opts->sets, opts->n_sets, err);
	if (e)
		goto out;

	e = ensure_bpffs(&r);
	if (e)
		goto out;
	e = bpf_object__load(r.obj);
	if (e) {
		report_load_failure(&r, e);
		goto out;
	}
	for (int i = 0; i < r.n_maps; i++)
		r.maps[i].em.fd = bpf_map__fd(r.maps[i].map);

	if (opts->metrics_addr || r.n_maps) {
		struct metrics_opts mo = {
			.ns = opts->metrics_ns,
			.max_series = opts->max_series,
			.table_max_series = opts->table_max_series,
			.hist_buckets = opts->hist_buckets,
			.n_hist_buckets = opts->n_hist_buckets,
		};

		e = metrics_new(&mo, &r.metrics);
		if (e) {
			rerr_set(err, e, "metrics: %s", strerror(-e));
			goto out;
		}
		for (int i = 0; i < r.n_maps; i++) {
			e = metrics_add_map(r.metrics, &r.maps[i].em, err);
			if (e)
				goto out;
		}
		e = metrics_finish(r.metrics, err);
		if (e)
			goto out;
	}

	e = attach_programs(&r);
	if (e)
		goto out;
	if (r.metrics)
		metrics_set_progs_attached(r.metrics, r.n_links);
	e = setup_consumers(&r);
	if (e)
		goto out;
	if (opts->metrics_addr) {
		e = http_start(opts->metrics_addr, r.metrics, &r.http, err);
		if (e)
			goto out;
	}
	if (opts->on_running)
		opts->on_running(opts->on_running_ctx);
	e = event_loop(&r);
	if (!e && r.out.error)
		e = rerr_set(err, r.out.error, "writing output: %s", strerror(-r.out.error));
out:
	free(file);
	free(img);
	cleanup(&r);
	return e;
}
