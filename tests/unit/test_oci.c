// SPDX-License-Identifier: MIT
/*
 * Tests for runner/oci.c and oci_artifact.c without a registry: the
 * reference grammar (table), digests, the store (atomic blobs checked on
 * write and read, names, rm's garbage collection, skopeo's index.json
 * without mediaType), and the artifact reader on in-memory blobs: bumblebee's
 * format, ebpfctl's, an index with and without this machine's platform, and
 * the artifacts it must refuse (newer format, Inspektor Gadget, container
 * images, unknown types, program layers missing or doubled, digest lies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "registry.h"

static void test_ref_grammar(void **state)
{
	static const struct {
		const char *in, *host, *path, *tag, *digest, *name, *registry, *repo, *shortn;
	} ok[] = {
		{ "opensnoop", "", "opensnoop", "latest", "", "opensnoop:latest", "registry-1.docker.io",
		  "library/opensnoop", "opensnoop" },
		{ "probes/opensnoop:v1", "", "probes/opensnoop", "v1", "", "probes/opensnoop:v1",
		  "registry-1.docker.io", "probes/opensnoop", "opensnoop" },
		{ "localhost:5000/probes/opensnoop:v1", "localhost:5000", "probes/opensnoop", "v1", "",
		  "localhost:5000/probes/opensnoop:v1", "localhost:5000", "probes/opensnoop", "opensnoop" },
		{ "localhost/x", "localhost", "x", "latest", "", "localhost/x:latest", "localhost", "x", "x" },
		{ "Ghcr.IO/a/b-c.d__e:V_1.0-x", "ghcr.io", "a/b-c.d__e", "V_1.0-x", "", "ghcr.io/a/b-c.d__e:V_1.0-x",
		  "ghcr.io", "a/b-c.d__e", "b-c.d__e" },
		{ "[::1]:5000/p", "[::1]:5000", "p", "latest", "", "[::1]:5000/p:latest", "[::1]:5000", "p", "p" },
		{ "docker.io/probe", "docker.io", "probe", "latest", "", "docker.io/probe:latest",
		  "registry-1.docker.io", "library/probe", "probe" },
		{ "h:1/p@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "h:1", "p", "",
		  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "h:1/p@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "h:1", "p", "p" },
		{ "h.io/p:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "h.io", "p", "t",
		  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "h.io/p:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "h.io", "p", "p" },
	};
	static const char *const bad[] = {
		"", "UPPER", "a//b", "a/", "/a", "a:", "a:-t", "a:.t", "a@sha256:12", "a@md5:0123",
		"a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "-a", "a-", "a..b",
		"a___b", "h:x/p", "h:/p", "[::1/p", "a:b:c", "a b", "a\nb", "h.io/",
	};
	char buf[768];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct rerr err = {};
		struct oci_ref r;

		if (oci_ref_parse(ok[i].in, &r, &err))
			fail_msg("%s: %s", ok[i].in, err.msg);
		assert_string_equal(r.host, ok[i].host);
		assert_string_equal(r.path, ok[i].path);
		assert_string_equal(r.tag, ok[i].tag);
		assert_string_equal(r.digest, ok[i].digest);
		oci_ref_name(&r, buf, sizeof(buf));
		assert_string_equal(buf, ok[i].name);
		assert_string_equal(oci_ref_registry(&r), ok[i].registry);
		oci_ref_repo(&r, buf, sizeof(buf));
		assert_string_equal(buf, ok[i].repo);
		oci_ref_short_name(&r, buf, sizeof(buf));
		assert_string_equal(buf, ok[i].shortn);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rerr err = {};
		struct oci_ref r;

		if (!oci_ref_parse(bad[i], &r, &err))
			fail_msg("'%s' parsed", bad[i]);
		assert_true(err.usage);
		assert_non_null(strstr(err.msg, "invalid reference"));
	}
}

static void test_digest(void **state)
{
	char d[OCI_DIGEST_LEN + 1];

	/* the OCI empty descriptor's digest (image-spec manifest.md) */
	oci_digest("{}", 2, d);
	assert_string_equal(d, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	assert_true(oci_digest_valid(d));
	d[10] = 'G';
	assert_false(oci_digest_valid(d));
	assert_false(oci_digest_valid("sha512:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
}

static char dir[PATH_MAX];

static struct oci_store *open_store(void)
{
	struct oci_store *st;
	struct rerr err = {};

	snprintf(dir, sizeof(dir), "/tmp/ebpfctl-test-oci-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(oci_store_open(dir, &st, &err), 0);
	return st;
}

static void rm_store(struct oci_store *st)
{
	char cmd[PATH_MAX + 16];

	oci_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int count_blobs(void)
{
	char cmd[PATH_MAX + 64], line[256];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls '%s/blobs/sha256'", dir);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
		n++;
	pclose(f);
	return n;
}

static void test_store_blobs(void **state)
{
	struct oci_store *st = open_store();
	char d[OCI_DIGEST_LEN + 1], p[PATH_MAX];
	struct rerr err = {};
	void *buf;
	size_t len;
	FILE *f;

	/* a wrong expected digest stores nothing */
	assert_int_equal(oci_store_put(st, "hello", 5, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
				       d, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "digest mismatch"));
	assert_int_equal(count_blobs(), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(oci_store_put(st, "hello", 5, NULL, d, &err), 0);
	assert_true(oci_store_has(st, d));
	assert_int_equal(oci_store_get(st, d, 5, 100, &buf, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
	/* size checked before reading; content after */
	assert_int_equal(oci_store_get(st, d, 6, 100, &buf, &len, &err), -EBADMSG);
	memset(&err, 0, sizeof(err));
	assert_int_equal(oci_store_get(st, d, UINT64_MAX, 4, &buf, &len, &err), -EBADMSG);
	oci_store_blob_path(st, d, p, sizeof(p));
	f = fopen(p, "r+");
	fputc('j', f);
	fclose(f);
	memset(&err, 0, sizeof(err));
	assert_int_equal(oci_store_get(st, d, 5, 100, &buf, &len, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "is corrupted"));
	assert_null(buf);
	rm_store(st);
}

static void put_json(struct oci_store *st, const char *json, char *digest)
{
	struct rerr err = {};

	assert_int_equal(oci_store_put(st, json, strlen(json), NULL, digest, &err), 0);
}

static void test_store_names_and_gc(void **state)
{
	struct oci_store *st = open_store();
	char cfg[OCI_DIGEST_LEN + 1], prog[OCI_DIGEST_LEN + 1], man[OCI_DIGEST_LEN + 1], orphan[OCI_DIGEST_LEN + 1];
	char m[1024], p[PATH_MAX + 32];
	struct oci_desc d = {}, got;
	struct oci_entry *e;
	struct rerr err = {};
	int n;
	FILE *f;

	put_json(st, "{}", cfg);
	put_json(st, "\x7f" "ELF", prog);
	put_json(st, "orphan", orphan);
	snprintf(m, sizeof(m),
		 "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_MT_CONFIG "\",\"digest\":\"%s\",\"size\":2},"
		 "\"layers\":[{\"mediaType\":\"" OCI_MT_PROGRAM "\",\"digest\":\"%s\",\"size\":4}]}", cfg, prog);
	put_json(st, m, man);
	strcpy(d.media_type, OCI_MT_MANIFEST);
	strcpy(d.digest, man);
	d.size = strlen(m);
	assert_int_equal(oci_store_tag(st, "a:v1", &d, &err), 0);
	assert_int_equal(oci_store_tag(st, "b:v1", &d, &err), 0);
	assert_int_equal(oci_store_tag(st, "a:v1", &d, &err), 0);	/* replaces, no duplicate */
	assert_int_equal(oci_store_list(st, &e, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].ref, "b:v1");
	assert_string_equal(e[1].ref, "a:v1");
	oci_entries_free(e, n);
	assert_int_equal(oci_store_lookup(st, "a:v1", &got), 0);
	assert_string_equal(got.digest, man);
	assert_int_equal(oci_store_lookup(st, "c:v1", &got), -ENOENT);
	assert_int_equal(count_blobs(), 4);
	/* another store handle open (another ebpfctl): rm leaves the blobs */
	{
		struct oci_store *other;

		assert_int_equal(oci_store_open(dir, &other, &err), 0);
		assert_int_equal(oci_store_untag(st, "a:v1", &err), 0);
		assert_int_equal(count_blobs(), 4);
		oci_store_close(other);
	}
	/* alone: what no name reaches goes (the orphan too), the rest stays */
	assert_int_equal(oci_store_tag(st, "a:v1", &d, &err), 0);
	assert_int_equal(oci_store_untag(st, "a:v1", &err), 0);
	assert_int_equal(count_blobs(), 3);
	assert_false(oci_store_has(st, orphan));
	assert_int_equal(oci_store_untag(st, "a:v1", &err), -ENOENT);
	memset(&err, 0, sizeof(err));
	assert_int_equal(oci_store_untag(st, "b:v1", &err), 0);
	assert_int_equal(count_blobs(), 0);

	/* skopeo's index.json: no mediaType, entries without platform */
	snprintf(p, sizeof(p), "%s/index.json", dir);
	f = fopen(p, "w");
	fprintf(f, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":9,"
		   "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},{\"digest\":\"bad\",\"size\":1}]}",
		OCI_MT_MANIFEST, man);
	fclose(f);
	assert_int_equal(oci_store_list(st, &e, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].ref, "v1");
	assert_int_equal(e[0].desc.size, 9);
	oci_entries_free(e, n);
	rm_store(st);
}

/* ---- the artifact reader on in-memory blobs ---- */

struct mem {
	const char *digest[64];
	const char *body[64];
	size_t len[64];
	int n;
	int gets;
};

static const char *mem_add(struct mem *m, const char *body, size_t len)
{
	static char digests[64][OCI_DIGEST_LEN + 1];
	static int nd;
	char *d = digests[nd++ % 64];

	oci_digest(body, len, d);
	m->digest[m->n] = d;
	m->body[m->n] = body;
	m->len[m->n++] = len;
	return d;
}

static int mem_get(void *ctx, const struct oci_desc *d, size_t max, void **buf, size_t *len, struct rerr *err)
{
	struct mem *m = ctx;

	m->gets++;
	for (int i = 0; i < m->n; i++) {
		char real[OCI_DIGEST_LEN + 1];

		if (strcmp(m->digest[i], d->digest))
			continue;
		if (m->len[i] > max || (d->size != UINT64_MAX && d->size != m->len[i]))
			return rerr_set(err, -EBADMSG, "size");
		oci_digest(m->body[i], m->len[i], real);
		if (strcmp(real, d->digest))
			return rerr_set(err, -EBADMSG, "digest");
		*buf = malloc(m->len[i] + 1);
		memcpy(*buf, m->body[i], m->len[i]);
		*len = m->len[i];
		return 0;
	}
	return rerr_set(err, -ENOENT, "%s: no such blob", d->digest);
}

static const char elf[] = "\x7f" "ELF-not-really";

/* A manifest with this config (media type cmt) and layers of these types. */
static const char *manifest(struct mem *m, const char *extra, const char *cmt, const char *cfg,
			    const char *const *layer_types, char *out, size_t size)
{
	const char *cd = mem_add(m, cfg, strlen(cfg)), *pd = mem_add(m, elf, sizeof(elf) - 1);
	size_t off;

	off = (size_t)snprintf(out, size, "{\"schemaVersion\":2%s,\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
				   "\"size\":%zu},\"layers\":[", extra, cmt, cd, strlen(cfg));
	for (int i = 0; layer_types[i]; i++)
		off += (size_t)snprintf(out + off, size - off, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}",
					i ? "," : "", layer_types[i], pd, sizeof(elf) - 1);
	snprintf(out + off, size - off, "]}");
	return mem_add(m, out, strlen(out));
}

static int read_art(struct mem *m, const char *root, const char *mt, struct oci_artifact *a, struct rerr *err)
{
	struct oci_src src = { mem_get, m };
	struct oci_desc d = {};

	snprintf(d.media_type, sizeof(d.media_type), "%s", mt);
	strcpy(d.digest, root);
	d.size = UINT64_MAX;
	memset(err, 0, sizeof(*err));
	return oci_artifact_read(&src, "the/ref:v1", &d, a, err);
}

static void test_artifact_formats(void **state)
{
	static const char *const prog1[] = { OCI_MT_PROGRAM, NULL };
	static const char *const prog2[] = { OCI_MT_PROGRAM, OCI_MT_PROGRAM, NULL };
	static const char *const other[] = { "application/vnd.ebpfctl.btf.v1.tar+gzip", OCI_MT_PROGRAM, NULL };
	static const char *const none[] = { "application/octet-stream", NULL };
	static const char *const gadget[] = { "application/vnd.gadget.ebpf.program.v1+binary", NULL };
	char m1[1024], m2[1024], idx[2048], cfg[256];
	struct oci_artifact a;
	struct rerr err;
	const char *root, *child;
	struct mem m = {};

	/* bumblebee: no mediaType, config {}: format 0, no architecture */
	root = manifest(&m, "", OCI_MT_CONFIG, "{}", prog1, m1, sizeof(m1));
	assert_int_equal(read_art(&m, root, "", &a, &err), 0);
	assert_int_equal(a.format, 0);
	assert_string_equal(a.arch, "");
	assert_string_equal(a.config_json, "{}");
	assert_int_equal(a.program.size, sizeof(elf) - 1);
	assert_string_equal(a.manifest.media_type, OCI_MT_MANIFEST);
	oci_artifact_free(&a);

	/* ebpfctl's, with an unknown extra layer (ignored, found by media type) */
	snprintf(cfg, sizeof(cfg), "{\"formatVersion\":1,\"architecture\":\"%s\",\"newField\":[1]}", oci_host_arch());
	root = manifest(&m, ",\"mediaType\":\"" OCI_MT_MANIFEST "\",\"artifactType\":\"" OCI_ARTIFACT_TYPE "\"",
			OCI_MT_CONFIG, cfg, other, m1, sizeof(m1));
	assert_int_equal(read_art(&m, root, OCI_MT_MANIFEST, &a, &err), 0);
	assert_int_equal(a.format, 1);
	assert_string_equal(a.arch, oci_host_arch());
	assert_string_equal(a.index.digest, "");
	oci_artifact_free(&a);

	/* an index: this machine's entry is chosen (the first matching) */
	child = root;
	snprintf(idx, sizeof(idx),
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":["
		 "{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"sha256:%064d\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"zz\"}},"
		 "{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}}]}",
		 0, child, strlen(m1), oci_host_arch());
	root = mem_add(&m, idx, strlen(idx));
	assert_int_equal(read_art(&m, root, "", &a, &err), 0);
	assert_string_equal(a.index.digest, root);
	assert_string_equal(a.manifest.digest, child);
	oci_artifact_free(&a);
	snprintf(idx, sizeof(idx),
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"%s\",\"size\":1,"
		 "\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x-not\"}}]}", child);
	root = mem_add(&m, idx, strlen(idx));
	assert_int_equal(read_art(&m, root, OCI_MT_INDEX, &a, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "no linux/"));
	assert_non_null(strstr(err.msg, "(it has linux/s390x-not)"));

	/* refused */
	root = manifest(&m, "", OCI_MT_CONFIG, "{\"formatVersion\":2}", prog1, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "config format version 2 is newer than this ebpfctl reads (1)"));
	assert_non_null(strstr(err.hint, "upgrade"));
	root = manifest(&m, "", OCI_MT_CONFIG, "{\"formatVersion\":1.5}", prog1, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
	root = manifest(&m, "", OCI_MT_CONFIG, "[1]", prog1, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "the config"));
	root = manifest(&m, "", OCI_MT_CONFIG, "{}", prog2, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "several program layers"));
	root = manifest(&m, "", OCI_MT_CONFIG, "{}", none, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "no program layers"));
	root = manifest(&m, ",\"artifactType\":\"application/vnd.gadget.v1+binary\"", "application/vnd.oci.empty.v1+json",
			"{}", gadget, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "Inspektor Gadget"));
	root = manifest(&m, "", "application/vnd.oci.image.config.v1+json", "{}", none, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "a container image"));
	root = manifest(&m, "", "application/x-what", "{}", none, m2, sizeof(m2));
	assert_int_equal(read_art(&m, root, "", &a, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "unknown artifact type"));
	root = mem_add(&m, "{\"schemaVersion\":2}", 19);
	assert_int_equal(read_art(&m, root, "", &a, &err), -EPROTONOSUPPORT);
	root = mem_add(&m, "not json", 8);
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
	/* a descriptor whose size lies */
	root = manifest(&m, "", OCI_MT_CONFIG, "{}", prog1, m2, sizeof(m2));
	{
		char *p = strstr(m2, "\"size\":2");

		p[7] = '3';
		root = mem_add(&m, m2, strlen(m2));
	}
	assert_int_equal(read_art(&m, root, "", &a, &err), -EBADMSG);
}

static void test_loopback(void **state)
{
	static const char *const yes[] = { "localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000",
					   "127.1.2.3:1", "[::1]", "[::1]:5000" };
	static const char *const no[] = { "127.example.com", "127.0.0.1.example.com:5000", "localhost.example",
					  "localhostx:1", "128.0.0.1", "[::2]:5000", "[::1]x", "ghcr.io", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!reg_is_loopback(yes[i]))
			fail_msg("%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (reg_is_loopback(no[i]))
			fail_msg("%s", no[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_grammar),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_store_blobs),
		cmocka_unit_test(test_store_names_and_gc),
		cmocka_unit_test(test_artifact_formats),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
