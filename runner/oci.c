// SPDX-License-Identifier: MIT
/* OCI references and the local store: an OCI image layout (oci-layout,
 * index.json, blobs/sha256/) that skopeo's oci: transport reads and writes
 * too.  Blobs are written to a temp file and renamed into place once their
 * digest matched; index.json changes are made under flock(index.json.lock)
 * and renamed into place, so concurrent ebpfctl processes never see half a
 * file.  Every blob read is checked against its digest again. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "oci.h"
#include "oci_int.h"
#include "readfile.h"

/* ---- references ---- */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* one path component: [a-z0-9]+ separated by '.', '_', '__' or '-'+ */
static bool path_component_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_'))) {
			i++;
		} else if (s[i] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || !(is_lower_alnum(*t) || (*t >= 'A' && *t <= 'Z') || *t == '_'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (!(is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool oci_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != OCI_DIGEST_LEN)
		return false;
	for (int i = 7; i < OCI_DIGEST_LEN; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return true;
}

static bool host_ok(const char *h, size_t n)
{
	const char *colon;

	if (!n || n >= 256)
		return false;
	if (h[0] == '[') {	/* [::1]:5000 */
		const char *end = memchr(h, ']', n);

		if (!end)
			return false;
		colon = end + 1 < h + n ? end + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = memchr(h, ':', n);
		for (const char *p = h; p < (colon ? colon : h + n); p++)
			if (!(is_lower_alnum(*p) || (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '-'))
				return false;
		if (colon == h)
			return false;
	}
	if (colon) {
		const char *p = colon + 1;

		if (p >= h + n)
			return false;
		for (; p < h + n; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

int oci_ref_parse(const char *s, struct oci_ref *ref, struct rerr *err)
{
	char buf[768], *at, *p, *slash, *colon;
	const char *why = NULL;

	memset(ref, 0, sizeof(*ref));
	if (!*s || strlen(s) >= sizeof(buf)) {
		why = *s ? "too long" : "empty";
		goto bad;
	}
	strcpy(buf, s);
	at = strchr(buf, '@');
	if (at) {
		*at++ = '\0';
		if (!oci_digest_valid(at)) {
			why = "a digest is sha256: and 64 lowercase hex digits";
			goto bad;
		}
		memcpy(ref->digest, at, OCI_DIGEST_LEN + 1);
	}
	p = buf;
	slash = strchr(p, '/');
	/* the first component is a registry when it looks like a host */
	if (slash && (memchr(p, '.', slash - p) || memchr(p, ':', slash - p) || memchr(p, '[', slash - p) ||
		      (slash - p == 9 && !strncmp(p, "localhost", 9)))) {
		if (!host_ok(p, slash - p)) {
			why = "not a registry host[:port]";
			goto bad;
		}
		memcpy(ref->host, p, slash - p);
		ref->host[slash - p] = '\0';
		for (char *h = ref->host; *h; h++)
			if (*h >= 'A' && *h <= 'Z')
				*h += 'a' - 'A';
		p = slash + 1;
	}
	/* a tag is after the last ':' of the last component */
	slash = strrchr(p, '/');
	colon = strrchr(slash ? slash : p, ':');
	if (colon) {
		*colon++ = '\0';
		if (!tag_ok(colon)) {
			why = "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";
			goto bad;
		}
		snprintf(ref->tag, sizeof(ref->tag), "%s", colon);
	} else if (!ref->digest[0]) {
		strcpy(ref->tag, "latest");
	}
	if (!*p || strlen(p) >= sizeof(ref->path)) {
		why = *p ? "repository path too long" : "no repository path";
		goto bad;
	}
	for (char *c = p, *e;; c = e + 1) {
		e = strchrnul(c, '/');
		if (!path_component_ok(c, e - c)) {
			why = "a repository path is lowercase letters and digits, separated by '/', '.', '_' or '-'";
			goto bad;
		}
		if (!*e)
			break;
	}
	strcpy(ref->path, p);
	return 0;
bad:
	return rerr_usage(err, -EINVAL, "invalid reference '%s': %s", s, why);
}

void oci_ref_name(const struct oci_ref *ref, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s%s", ref->host, ref->host[0] ? "/" : "", ref->path,
		 ref->tag[0] ? ":" : "", ref->tag, ref->digest[0] ? "@" : "", ref->digest);
}

const char *oci_ref_registry(const struct oci_ref *ref)
{
	if (!ref->host[0] || !strcmp(ref->host, "docker.io") || !strcmp(ref->host, "index.docker.io"))
		return "registry-1.docker.io";
	return ref->host;
}

void oci_ref_repo(const struct oci_ref *ref, char *buf, size_t size)
{
	bool hub = !strcmp(oci_ref_registry(ref), "registry-1.docker.io");

	snprintf(buf, size, "%s%s", hub && !strchr(ref->path, '/') ? "library/" : "", ref->path);
}

void oci_ref_short_name(const struct oci_ref *ref, char *buf, size_t size)
{
	const char *s = strrchr(ref->path, '/');

	snprintf(buf, size, "%s", s ? s + 1 : ref->path);
}

/* "sha256:" and the hex of a SHA-256 */
static void digest_text(const unsigned char h[32], char out[OCI_DIGEST_LEN + 1])
{
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", h[i]);
}

void oci_digest(const void *buf, size_t len, char out[OCI_DIGEST_LEN + 1])
{
	unsigned char h[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, h);
	digest_text(h, out);
}

struct oci_hash {
	gnutls_hash_hd_t h;
};

int oci_hash_init(struct oci_hash **h)
{
	*h = calloc(1, sizeof(**h));
	if (!*h)
		return -ENOMEM;
	if (gnutls_hash_init(&(*h)->h, GNUTLS_DIG_SHA256) < 0) {
		free(*h);
		*h = NULL;
		return -ENOMEM;
	}
	return 0;
}

void oci_hash_add(struct oci_hash *h, const void *buf, size_t len)
{
	gnutls_hash(h->h, buf, len);
}

void oci_hash_done(struct oci_hash *h, char out[OCI_DIGEST_LEN + 1])
{
	unsigned char d[32];

	gnutls_hash_deinit(h->h, d);
	free(h);
	if (out)
		digest_text(d, out);
}

const char *oci_host_arch(void)
{
	static const struct { const char *uname, *go; } map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" }, { "i386", "386" },
		{ "armv7l", "arm" }, { "ppc64le", "ppc64le" }, { "ppc64", "ppc64" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" }, { "loongarch64", "loong64" }, { "mips64", "mips64" },
	};
	static char arch[65];
	struct utsname u;

	if (arch[0])
		return arch;
	if (uname(&u))
		return "unknown";
	snprintf(arch, sizeof(arch), "%s", u.machine);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i].uname))
			snprintf(arch, sizeof(arch), "%s", map[i].go);
	return arch;
}

/* ---- the store ---- */

struct oci_store {
	char dir[PATH_MAX - 128];
	int gc_fd;		/* .gc.lock, held shared while open (see oci_store_untag) */
};

int oci_store_default_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		snprintf(buf, size, "/var/lib/ebpfctl/store");
	else if (xdg && *xdg)
		snprintf(buf, size, "%s/ebpfctl/store", xdg);
	else if (home && *home)
		snprintf(buf, size, "%s/.local/share/ebpfctl/store", home);
	else
		return -ENOENT;
	return 0;
}

static int store_err(struct rerr *err, int e, const struct oci_store *st, const char *what)
{
	rerr_set(err, e, "store %s: %s: %s", st->dir, what, strerror(-e));
	if (e == -EACCES || e == -EPERM || e == -EROFS)
		rerr_hint(err, "use --store DIR (or EBPFCTL_STORE) for a store you can write");
	return e;
}

int oci_store_open(const char *dir, struct oci_store **out, struct rerr *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct oci_store *st;
	char p[PATH_MAX];
	struct stat sb;
	int e;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return rerr_set(err, -ENOMEM, "store: out of memory");
	st->gc_fd = -1;
	if (dir) {
		snprintf(st->dir, sizeof(st->dir), "%s", dir);
	} else if (oci_store_default_dir(st->dir, sizeof(st->dir))) {
		free(st);
		e = rerr_usage(err, -ENOENT, "store: neither HOME nor XDG_DATA_HOME is set");
		rerr_hint(err, "use --store DIR (or EBPFCTL_STORE)");
		return e;
	}
	snprintf(p, sizeof(p), "%s/blobs/sha256", st->dir);
	e = mkdir_p(p, 0755);
	if (e)
		goto fail;
	snprintf(p, sizeof(p), "%s/oci-layout", st->dir);
	if (stat(p, &sb) && (e = write_file_atomic(p, layout, sizeof(layout) - 1, 0644)))
		goto fail;
	snprintf(p, sizeof(p), "%s/.gc.lock", st->dir);
	st->gc_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->gc_fd < 0) {
		e = -errno;
		goto fail;
	}
	flock(st->gc_fd, LOCK_SH);
	*out = st;
	return 0;
fail:
	store_err(err, e, st, "cannot create it");
	free(st);
	return e;
}

void oci_store_close(struct oci_store *st)
{
	if (!st)
		return;
	if (st->gc_fd >= 0)
		close(st->gc_fd);
	free(st);
}

const char *oci_store_dir(const struct oci_store *st)
{
	return st->dir;
}

void oci_store_blob_path(const struct oci_store *st, const char *digest, char *buf, size_t size)
{
	snprintf(buf, size, "%s/blobs/sha256/%s", st->dir, digest + 7);
}

bool oci_store_has(struct oci_store *st, const char *digest)
{
	char p[PATH_MAX];

	if (!oci_digest_valid(digest))
		return false;
	oci_store_blob_path(st, digest, p, sizeof(p));
	return access(p, R_OK) == 0;
}

int oci_store_tmp(struct oci_store *st, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/blobs/sha256/.tmp-XXXXXX", st->dir);
	fd = mkstemp(path);
	return fd < 0 ? -errno : fd;
}

int oci_store_commit(struct oci_store *st, const char *tmp, const char *digest, struct rerr *err)
{
	char p[PATH_MAX];

	oci_store_blob_path(st, digest, p, sizeof(p));
	chmod(tmp, 0644);
	if (rename(tmp, p)) {
		int e = -errno;

		unlink(tmp);
		return store_err(err, e, st, "cannot store a blob");
	}
	return 0;
}

int oci_store_put(struct oci_store *st, const void *buf, size_t len, const char *want,
		  char *digest, struct rerr *err)
{
	char d[OCI_DIGEST_LEN + 1], p[PATH_MAX];
	int e;

	oci_digest(buf, len, d);
	if (want && strcmp(want, d))
		return rerr_set(err, -EBADMSG, "blob %s: digest mismatch: content is %s", want, d);
	if (digest)
		strcpy(digest, d);
	if (oci_store_has(st, d))
		return 0;
	oci_store_blob_path(st, d, p, sizeof(p));
	e = write_file_atomic(p, buf, len, 0644);
	return e ? store_err(err, e, st, "cannot store a blob") : 0;
}

int oci_store_get(struct oci_store *st, const char *digest, uint64_t want_size, size_t max,
		  void **buf, size_t *len, struct rerr *err)
{
	char p[PATH_MAX], d[OCI_DIGEST_LEN + 1];
	struct stat sb;
	int e;

	*buf = NULL;
	if (!oci_digest_valid(digest))
		return rerr_set(err, -EINVAL, "store %s: invalid digest '%s'", st->dir, digest);
	oci_store_blob_path(st, digest, p, sizeof(p));
	if (stat(p, &sb))
		return rerr_set(err, -errno, "store %s: blob %s: %s", st->dir, digest, strerror(errno));
	if ((uint64_t)sb.st_size > max || (want_size != UINT64_MAX && (uint64_t)sb.st_size != want_size))
		return rerr_set(err, -EBADMSG, "store %s: blob %s: size %lld, expected %llu", st->dir, digest,
				(long long)sb.st_size,
				(unsigned long long)(want_size != UINT64_MAX ? want_size : max));
	e = read_whole_file(p, buf, len);
	if (e)
		return rerr_set(err, e, "store %s: blob %s: %s", st->dir, digest, strerror(-e));
	oci_digest(*buf, *len, d);
	if (strcmp(d, digest)) {
		free(*buf);
		*buf = NULL;
		e = rerr_set(err, -EBADMSG, "store %s: blob %s is corrupted (its content is %s)", st->dir, digest, d);
		rerr_hint(err, "remove the reference with 'ebpfctl rm' and pull it again");
		return e;
	}
	return 0;
}

/* ---- index.json ---- */

static cJSON *read_index(struct oci_store *st, int *e)
{
	char p[PATH_MAX];
	void *buf;
	size_t len;
	cJSON *j;

	*e = 0;
	snprintf(p, sizeof(p), "%s/index.json", st->dir);
	*e = read_whole_file(p, &buf, &len);
	if (*e == -ENOENT) {
		*e = 0;
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "schemaVersion", 2);
		cJSON_AddStringToObject(j, "mediaType", OCI_MT_INDEX);
		cJSON_AddArrayToObject(j, "manifests");
		return j;
	}
	if (*e)
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!j || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "manifests"))) {
		cJSON_Delete(j);
		*e = -EBADMSG;
		return NULL;
	}
	return j;
}

static int write_index(struct oci_store *st, cJSON *j)
{
	char p[PATH_MAX], *s = cJSON_PrintUnformatted(j);
	int e;

	if (!s)
		return -ENOMEM;
	snprintf(p, sizeof(p), "%s/index.json", st->dir);
	e = write_file_atomic(p, s, strlen(s), 0644);
	free(s);
	return e;
}

static const char *entry_name(const cJSON *m)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "annotations");

	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, OCI_ANN_REF_NAME));
}

int oci_desc_from_json(const cJSON *m, struct oci_desc *d)
{
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "mediaType"));
	const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "digest"));
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(m, "size");

	memset(d, 0, sizeof(*d));
	if (!dg || !oci_digest_valid(dg) || !cJSON_IsNumber(sz) || sz->valuedouble < 0 ||
	    sz->valuedouble > 9007199254740992.0)
		return -EBADMSG;
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt ? mt : "");
	strcpy(d->digest, dg);
	d->size = (uint64_t)sz->valuedouble;
	return 0;
}

static int lock_index(struct oci_store *st)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/index.json.lock", st->dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	return fd;
}

/* index.json read under its lock (held in *fd until the caller closes it) */
static cJSON *index_locked(struct oci_store *st, int *fd, struct rerr *err)
{
	cJSON *j;
	int e;

	*fd = lock_index(st);
	if (*fd < 0) {
		store_err(err, *fd, st, "cannot lock index.json");
		return NULL;
	}
	j = read_index(st, &e);
	if (!j) {
		close(*fd);
		store_err(err, e, st, "cannot read index.json");
	}
	return j;
}

int oci_store_lookup(struct oci_store *st, const char *name, struct oci_desc *desc)
{
	const cJSON *m;
	cJSON *j;
	int e;

	j = read_index(st, &e);
	if (!j)
		return e;
	e = -ENOENT;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
		const char *n = entry_name(m);

		if (n && !strcmp(n, name) && !oci_desc_from_json(m, desc)) {
			e = 0;
			break;
		}
	}
	cJSON_Delete(j);
	return e;
}

int oci_store_tag(struct oci_store *st, const char *name, const struct oci_desc *desc, struct rerr *err)
{
	cJSON *j, *arr, *m, *ann;
	int fd, e, i = 0;

	j = index_locked(st, &fd, err);
	if (!j)
		return err->code;
	arr = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	for (m = arr->child; m; m = m->next, i++) {
		const char *n = entry_name(m);

		if (n && !strcmp(n, name)) {
			cJSON_DeleteItemFromArray(arr, i);
			break;
		}
	}
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "mediaType", desc->media_type);
	cJSON_AddStringToObject(m, "digest", desc->digest);
	cJSON_AddNumberToObject(m, "size", (double)desc->size);
	ann = cJSON_AddObjectToObject(m, "annotations");
	cJSON_AddStringToObject(ann, OCI_ANN_REF_NAME, name);
	cJSON_AddItemToArray(arr, m);
	e = write_index(st, j);
	cJSON_Delete(j);
	close(fd);
	return e ? store_err(err, e, st, "cannot write index.json") : 0;
}

/* Digests a manifest or index reaches (itself included). */
static void mark_reachable(struct oci_store *st, const char *digest, char ***seen, int *n, int depth)
{
	struct rerr err = {};
	const cJSON *d;
	void *buf;
	size_t len;
	cJSON *j;
	char **s;

	for (int i = 0; i < *n; i++)
		if (!strcmp((*seen)[i], digest))
			return;
	s = realloc(*seen, sizeof(**seen) * (*n + 1));
	if (!s)
		return;
	*seen = s;
	s[(*n)++] = strdup(digest);
	if (depth > 4 || oci_store_get(st, digest, UINT64_MAX, OCI_MAX_MANIFEST, &buf, &len, &err))
		return;
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!j)
		return;
	d = cJSON_GetObjectItemCaseSensitive(j, "config");
	if (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "digest")))
		mark_reachable(st, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "digest")), seen, n, 9);
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "layers")) {
		const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "digest"));

		if (dg)
			mark_reachable(st, dg, seen, n, 9);
	}
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
		const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "digest"));

		if (dg && oci_digest_valid(dg))
			mark_reachable(st, dg, seen, n, depth + 1);
	}
	cJSON_Delete(j);
}

/* Delete the blobs no name reaches.  Only when no other ebpfctl process has
 * the store open: a pull writes its blobs before it names them. */
static void store_gc(struct oci_store *st, const cJSON *index)
{
	char **seen = NULL, p[PATH_MAX];
	const cJSON *m;
	struct dirent *de;
	int n = 0;
	DIR *dir;

	if (flock(st->gc_fd, LOCK_EX | LOCK_NB)) {
		rinfo("store %s: another ebpfctl has it open; unreferenced blobs are left for a later rm", st->dir);
		return;
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
		const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "digest"));

		if (dg && oci_digest_valid(dg))
			mark_reachable(st, dg, &seen, &n, 0);
	}
	snprintf(p, sizeof(p), "%s/blobs/sha256", st->dir);
	dir = opendir(p);
	while (dir && (de = readdir(dir))) {
		char d[OCI_DIGEST_LEN + 8];
		bool keep = false;

		if (de->d_name[0] == '.' || strlen(de->d_name) != 64)
			continue;
		snprintf(d, sizeof(d), "sha256:%.64s", de->d_name);
		for (int i = 0; i < n && !keep; i++)
			keep = !strcmp(seen[i], d);
		if (!keep && oci_digest_valid(d)) {
			oci_store_blob_path(st, d, p, sizeof(p));
			unlink(p);
		}
	}
	if (dir)
		closedir(dir);
	for (int i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	flock(st->gc_fd, LOCK_SH);
}

int oci_store_untag(struct oci_store *st, const char *name, struct rerr *err)
{
	cJSON *j, *arr, *m;
	int fd, e, i = 0;
	bool found = false;

	j = index_locked(st, &fd, err);
	if (!j)
		return err->code;
	arr = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	for (m = arr->child; m; i++) {
		const char *n = entry_name(m);
		cJSON *next = m->next;

		if (n && !strcmp(n, name)) {
			cJSON_DeleteItemFromArray(arr, i--);
			found = true;
		}
		m = next;
	}
	if (!found) {
		cJSON_Delete(j);
		close(fd);
		return rerr_set(err, -ENOENT, "%s: no such reference in the store", name);
	}
	e = write_index(st, j);
	if (!e)
		store_gc(st, j);
	cJSON_Delete(j);
	close(fd);
	return e ? store_err(err, e, st, "cannot write index.json") : 0;
}

int oci_store_list(struct oci_store *st, struct oci_entry **out, int *n, struct rerr *err)
{
	struct oci_entry *v = NULL;
	const cJSON *m;
	cJSON *j;
	int e, k = 0;

	*out = NULL;
	*n = 0;
	j = read_index(st, &e);
	if (!j)
		return store_err(err, e, st, "cannot read index.json");
	v = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "manifests")) + 1, sizeof(*v));
	if (!v) {
		cJSON_Delete(j);
		return rerr_set(err, -ENOMEM, "store: out of memory");
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
		const char *name = entry_name(m);

		if (!name || oci_desc_from_json(m, &v[k].desc))
			continue;
		v[k].ref = strdup(name);
		k++;
	}
	cJSON_Delete(j);
	*out = v;
	*n = k;
	return 0;
}

void oci_entries_free(struct oci_entry *e, int n)
{
	for (int i = 0; i < n; i++)
		free(e[i].ref);
	free(e);
}
