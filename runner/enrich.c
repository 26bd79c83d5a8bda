// SPDX-License-Identifier: MIT
/* --enrich: container and pod of a cgroup id (enrich.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "enrich.h"
#include "names.h"
#include "readfile.h"
#include "btf_fmt.h"
#include "strbuf.h"

const char *const enrich_field_names[4] = { "container_id", "container_name", "pod", "namespace" };

#define CACHE_MAX 4096
#define RETRY_NS 1000000000LL
#define BUNDLE_MAX (4 << 20)	/* a config.json larger than this is not read */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool is_id(const char *s, size_t n)
{
	if (!n || n >= ENRICH_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *p, size_t *pl)
{
	*pl = strlen(p);
	return n > *pl && !strncmp(s, p, *pl);
}

/* One path component: does it name a container?  id/runtime into out. */
static bool component_container(const char *c, size_t n, const char *parent, size_t pn, bool under_pod,
				struct enrich_info *out)
{
	static const struct {
		const char *prefix, *runtime;
	} scopes[] = {
		{ "docker-", "docker" },
		{ "libpod-", "podman" },
		{ "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" },
	};
	size_t pl;

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		const char *id;
		size_t idn;

		if (!has_prefix(c, n, scopes[i].prefix, &pl))
			continue;
		id = c + pl;
		idn = n - pl;
		/* conmon, the runtime's monitor, runs next to the container */
		if ((idn > 7 && !strncmp(id, "conmon-", 7)))
			return false;
		if (idn > 6 && !memcmp(id + idn - 6, ".scope", 6))
			idn -= 6;
		else if (strcmp(scopes[i].runtime, "podman"))
			continue;	/* only libpod has a cgroupfs form with the prefix */
		if (!is_id(id, idn))
			return false;
		snprintf(out->id, sizeof(out->id), "%.*s", (int)idn, id);
		snprintf(out->runtime, sizeof(out->runtime), "%s", scopes[i].runtime);
		return true;
	}
	/* cgroupfs: /docker/ID, /kubepods/[QOS/]podUID/ID */
	if (n == 64 && is_hex(c, n) && ((pn == 6 && !strncmp(parent, "docker", 6)) || under_pod)) {
		snprintf(out->id, sizeof(out->id), "%.*s", (int)n, c);
		snprintf(out->runtime, sizeof(out->runtime), "%s", under_pod ? "" : "docker");
		return true;
	}
	return false;
}

/* A kubepods pod cgroup: [kubelet-]kubepods[-QOS]-podUID.slice (systemd,
 * '_' for '-') or podUID under kubepods (cgroupfs). */
static bool component_pod(const char *c, size_t n, bool in_kubepods, char *uid, size_t size)
{
	const char *p;
	size_t i, k = 0;

	if (n > 8 && memmem(c, n, "kubepods", 8) && !memcmp(c + n - 6, ".slice", 6)) {
		for (p = c + n - 6; p > c && !(p - c >= 3 && !strncmp(p - 3, "pod", 3)); p--)
			;
		if (p == c)
			return false;
		/* p: just after "pod"; the UID runs to ".slice" */
		if (p - c < 4 || (p[-4] != '-'))
			return false;
		for (i = 0; p + i < c + n - 6 && k + 1 < size; i++)
			uid[k++] = p[i] == '_' ? '-' : p[i];
		uid[k] = '\0';
		return k > 0;
	}
	if (in_kubepods && n > 3 && !strncmp(c, "pod", 3) && n - 3 < size) {
		snprintf(uid, size, "%.*s", (int)(n - 3), c + 3);
		return true;
	}
	return false;
}

bool enrich_parse_path(const char *path, struct enrich_info *out)
{
	const char *c = path, *parent = "";
	size_t pn = 0;
	bool found = false, kubepods = false, under_pod = false;
	char uid[64] = "";

	memset(out, 0, sizeof(*out));
	while (*c) {
		const char *end;
		size_t n;
		struct enrich_info ci = {};

		while (*c == '/')
			c++;
		end = strchrnul(c, '/');
		n = (size_t)(end - c);
		if (!n)
			break;
		if (n >= 8 && memmem(c, n, "kubepods", 8))
			kubepods = true;
		if (component_pod(c, n, kubepods, uid, sizeof(uid))) {
			under_pod = true;
		} else if (component_container(c, n, parent, pn, under_pod, &ci)) {
			/* the innermost container wins (a container's own sub-cgroups follow it) */
			snprintf(out->id, sizeof(out->id), "%s", ci.id);
			snprintf(out->runtime, sizeof(out->runtime), "%s", ci.runtime);
			snprintf(out->pod_uid, sizeof(out->pod_uid), "%s", under_pod ? uid : "");
			found = true;
		}
		parent = c;
		pn = n;
		c = end;
	}
	if (!found)
		memset(out, 0, sizeof(*out));
	return found;
}

/* ---- the runtimes' files ---- */

static cJSON *read_json(const char *path)
{
	void *buf = NULL;
	size_t len = 0;
	cJSON *j;

	if (read_whole_file(path, &buf, &len) || len > BUNDLE_MAX) {
		free(buf);
		return NULL;
	}
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	return j;
}

static void take(char *dst, size_t size, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(v) && v->valuestring && !dst[0])
		snprintf(dst, size, "%s", v->valuestring);
}

/* CRI annotations (containerd) and the kubelet's (CRI-O, dockershim) */
static void from_annotations(struct enrich_info *ci, const cJSON *a)
{
	if (!cJSON_IsObject(a))
		return;
	take(ci->name, sizeof(ci->name), a, "io.kubernetes.cri.container-name");
	take(ci->pod, sizeof(ci->pod), a, "io.kubernetes.cri.sandbox-name");
	take(ci->ns, sizeof(ci->ns), a, "io.kubernetes.cri.sandbox-namespace");
	take(ci->name, sizeof(ci->name), a, "io.kubernetes.container.name");
	take(ci->pod, sizeof(ci->pod), a, "io.kubernetes.pod.name");
	take(ci->ns, sizeof(ci->ns), a, "io.kubernetes.pod.namespace");
}

static int try_bundle(const char *path, struct enrich_info *ci)
{
	cJSON *j = read_json(path);

	if (!j)
		return -ENOENT;
	from_annotations(ci, cJSON_GetObjectItemCaseSensitive(j, "annotations"));
	cJSON_Delete(j);
	return 0;
}

/* containers/storage's containers.json: [{"id": ..., "names": [...]}] */
static void storage_names(const char *dir, struct enrich_info *ci)
{
	char path[PATH_MAX + 32];
	const cJSON *c;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/containers.json", dir);
	if (!(j = read_json(path)))
		return;
	cJSON_ArrayForEach(c, j) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "names");

		if (cJSON_IsString(id) && !strcmp(id->valuestring, ci->id) && cJSON_IsArray(names) &&
		    cJSON_IsString(cJSON_GetArrayItem(names, 0))) {
			snprintf(ci->name, sizeof(ci->name), "%s", cJSON_GetArrayItem(names, 0)->valuestring);
			break;
		}
	}
	cJSON_Delete(j);
}

static int try_docker(const char *root, struct enrich_info *ci)
{
	char path[PATH_MAX];
	const cJSON *name, *cfg;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", root, ci->id);
	if (!(j = read_json(path)))
		return -ENOENT;
	name = cJSON_GetObjectItemCaseSensitive(j, "Name");
	cfg = cJSON_GetObjectItemCaseSensitive(j, "Config");
	from_annotations(ci, cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "Labels") : NULL);
	if (cJSON_IsString(name) && !ci->name[0])
		snprintf(ci->name, sizeof(ci->name), "%s", name->valuestring + (name->valuestring[0] == '/'));
	cJSON_Delete(j);
	return 0;
}

int enrich_read_bundle(const char *host_root, struct enrich_info *ci)
{
	static const char *const storages[] = { "run/containers/storage/overlay-containers",
						"var/lib/containers/storage/overlay-containers" };
	const char *root = host_root && strcmp(host_root, "/") ? host_root : "";
	char path[PATH_MAX + 512], dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int found = -ENOENT;

	if (!ci->id[0] || strchr(ci->id, '/') || !strcmp(ci->id, ".") || !strcmp(ci->id, ".."))
		return -ENOENT;
	/* containerd: one directory per namespace (k8s.io, moby, default) */
	snprintf(dir, sizeof(dir), "%s/run/containerd/io.containerd.runtime.v2.task", root);
	if ((d = opendir(dir))) {
		while (found && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s/config.json", dir, de->d_name, ci->id);
			if (!try_bundle(path, ci)) {
				found = 0;
				if (!ci->runtime[0])
					snprintf(ci->runtime, sizeof(ci->runtime), "containerd");
			}
		}
		closedir(d);
	}
	for (size_t i = 0; found && i < sizeof(storages) / sizeof(storages[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, storages[i]);
		snprintf(path, sizeof(path), "%s/%s/userdata/config.json", dir, ci->id);
		if (!try_bundle(path, ci)) {
			found = 0;
			if (!ci->name[0])
				storage_names(dir, ci);
			if (!ci->runtime[0])
				snprintf(ci->runtime, sizeof(ci->runtime), "cri-o");
		}
	}
	if (found && !try_docker(root, ci))
		found = 0;
	return found;
}

/* ---- the cache: direct-mapped by a hash of the id (a collision evicts) ---- */

struct slot {
	uint64_t cgid;		/* 0: empty (no cgroup has id 0) */
	bool container;		/* false: known to be no container's */
	int64_t retry_at;	/* path or names not found yet: look again after this */
	struct enrich_info info;
	char *json;		/* the event fields, rendered once: ,"container_id":"..",.. */
	size_t json_len;
};

struct enrich {
	pthread_mutex_t mu;
	char root[PATH_MAX];
	struct names *names;
	struct slot *slots;	/* CACHE_MAX */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int enrich_new(const char *host_root, struct names *names, struct enrich **out)
{
	struct enrich *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e || !(e->slots = calloc(CACHE_MAX, sizeof(*e->slots)))) {
		free(e);
		return -ENOMEM;
	}
	snprintf(e->root, sizeof(e->root), "%s", host_root ? host_root : "");
	e->names = names;
	pthread_mutex_init(&e->mu, NULL);
	*out = e;
	return 0;
}

void enrich_free(struct enrich *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->mu);
	for (size_t i = 0; i < CACHE_MAX; i++)
		free(e->slots[i].json);
	free(e->slots);
	free(e);
}

/* The JSON fields of a container's slot, escaped once here rather than per
 * event (no memory: no fields, the event renders without them). */
static void render(struct slot *s)
{
	const char *vals[4] = { s->info.id, s->info.name, s->info.pod, s->info.ns };
	struct strbuf sb = {};

	free(s->json);
	s->json = NULL;
	s->json_len = 0;
	if (!s->container)
		return;
	for (int k = 0; k < 4; k++) {
		sb_add(&sb, ",\"", 2);
		sb_puts(&sb, enrich_field_names[k]);
		sb_add(&sb, "\":\"", 3);
		fmt_json_str(&sb, vals[k], strlen(vals[k]));
		sb_putc(&sb, '"');
	}
	if (sb.err) {
		sb_free(&sb);
		return;
	}
	s->json = sb.buf;
	s->json_len = sb.len;
}

/* (Re)derive what is missing: the path's container, then its names. */
static void fill(struct enrich *e, struct slot *s, int64_t now)
{
	char path[PATH_MAX];	/* the whole path: a long one has its container id at the end */

	s->retry_at = 0;
	if (!s->container) {
		if (!e->names || !names_lookup(e->names, NAMES_CGROUP, s->cgid, path, sizeof(path))) {
			s->retry_at = now + RETRY_NS;	/* no path yet */
			return;
		}
		if (!(s->container = enrich_parse_path(path, &s->info)))
			return;				/* a path, no container: final */
	}
	if (!s->info.name[0] && !s->info.pod[0] && enrich_read_bundle(e->root, &s->info))
		s->retry_at = now + RETRY_NS;		/* still starting? */
	render(s);
}

/* The slot of cgroup_id, filled or refreshed as due; under e->mu. */
static struct slot *get(struct enrich *e, uint64_t cgroup_id)
{
	uint64_t h = cgroup_id * 0x9e3779b97f4a7c15ULL;
	struct slot *s = &e->slots[(h >> 32) % CACHE_MAX];
	int64_t now;

	if (s->cgid != cgroup_id) {
		free(s->json);
		memset(s, 0, sizeof(*s));
		s->cgid = cgroup_id;
		fill(e, s, now_ns());
	} else if (s->retry_at && (now = now_ns()) >= s->retry_at) {
		fill(e, s, now);
	}
	return s;
}

bool enrich_lookup(struct enrich *e, uint64_t cgroup_id, struct enrich_info *out)
{
	struct slot *s;
	bool ok;

	if (!cgroup_id)
		return false;
	pthread_mutex_lock(&e->mu);
	s = get(e, cgroup_id);
	ok = s->container;
	if (ok)
		*out = s->info;
	pthread_mutex_unlock(&e->mu);
	return ok;
}

size_t enrich_json(void *ctx, uint64_t cgroup_id, char *w, size_t room)
{
	struct enrich *e = ctx;
	struct slot *s;
	size_t n = 0;

	if (!e || !cgroup_id)
		return 0;
	pthread_mutex_lock(&e->mu);
	s = get(e, cgroup_id);
	if (s->json && s->json_len <= room) {
		memcpy(w, s->json, s->json_len);
		n = s->json_len;
	}
	pthread_mutex_unlock(&e->mu);
	return n;
}

bool enrich_resolve(void *ctx, uint64_t cgroup_id, struct enrich_info *out)
{
	return ctx && enrich_lookup(ctx, cgroup_id, out);
}
