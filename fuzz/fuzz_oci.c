// SPDX-License-Identifier: MIT
/* OCI references and the artifact reader (runner/oci.c, oci_artifact.c):
 * what a registry or a store sends is not trusted.
 *
 * Input: a reference, a NUL, then blobs separated by "\n--\n": the first is
 * the root manifest (or index); every blob is found by its digest.
 * Oracles: a parsed reference's normalized name parses again to the same
 * name; the reader returns 0 or a negative errno with a message; on success
 * the program layer is one of the blobs, of its declared size, and the
 * format version is one this ebpfctl reads. */
#include <errno.h>
#include "oci.h"
#include "fuzz.h"

#define MAX_BLOBS 8

struct mem {
	char digest[MAX_BLOBS][OCI_DIGEST_LEN + 1];
	const uint8_t *body[MAX_BLOBS];
	size_t len[MAX_BLOBS];
	int n;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	return 0;
}

static int mem_get(void *ctx, const struct oci_desc *d, size_t max, void **buf, size_t *len, struct rerr *err)
{
	struct mem *m = ctx;

	for (int i = 0; i < m->n; i++) {
		if (strcmp(m->digest[i], d->digest))
			continue;
		if (m->len[i] > max || (d->size != UINT64_MAX && d->size != m->len[i]))
			return rerr_set(err, -EBADMSG, "size");
		/* exactly sized: ASan sees any over-read */
		*buf = malloc(m->len[i] ? m->len[i] : 1);
		if (!*buf)
			return rerr_set(err, -ENOMEM, "oom");
		memcpy(*buf, m->body[i], m->len[i]);
		*len = m->len[i];
		return 0;
	}
	return rerr_set(err, -ENOENT, "no blob %s", d->digest);
}

static void refs(const char *s)
{
	struct oci_ref r, again;
	struct rerr err = {};
	char name[800], name2[800];
	int e = oci_ref_parse(s, &r, &err);

	FZ_CHECK(e == 0 || (e == -EINVAL && err.usage && err.msg[0]), "'%s': %d", s, e);
	if (e)
		return;
	oci_ref_name(&r, name, sizeof(name));
	memset(&err, 0, sizeof(err));
	FZ_CHECK(!oci_ref_parse(name, &again, &err), "'%s' -> '%s' does not parse: %s", s, name, err.msg);
	oci_ref_name(&again, name2, sizeof(name2));
	FZ_CHECK(!strcmp(name, name2), "'%s' -> '%s' -> '%s'", s, name, name2);
	oci_ref_repo(&r, name2, sizeof(name2));
	oci_ref_short_name(&r, name2, sizeof(name2));
	FZ_CHECK(oci_ref_registry(&r)[0], "'%s': no registry", s);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size), *p, *end = data + size;
	struct oci_src src;
	struct oci_artifact a;
	struct oci_desc root = {};
	struct rerr err = {};
	struct mem m = {};
	char *ref = fz_strndup(data, nul ? (size_t)(nul - data) : size);
	int e;

	refs(ref);
	free(ref);
	if (!nul)
		return 0;
	for (p = nul + 1; p <= end && m.n < MAX_BLOBS;) {
		const uint8_t *sep = NULL;

		for (const uint8_t *q = p; q + 4 <= end; q++)
			if (!memcmp(q, "\n--\n", 4)) {
				sep = q;
				break;
			}
		m.body[m.n] = p;
		m.len[m.n] = (size_t)((sep ? sep : end) - p);
		oci_digest(p, m.len[m.n], m.digest[m.n]);
		m.n++;
		if (!sep)
			break;
		p = sep + 4;
	}
	strcpy(root.digest, m.digest[0]);
	root.size = (data[0] & 1) ? m.len[0] : UINT64_MAX;
	if (data[0] & 2)
		strcpy(root.media_type, OCI_MT_INDEX);
	src.get = mem_get;
	src.ctx = &m;
	e = oci_artifact_read(&src, "fuzz/ref:v1", &root, &a, &err);
	FZ_CHECK(e == 0 || (e < 0 && err.msg[0]), "read: %d without a message", e);
	if (!e) {
		bool found = false;

		for (int i = 0; i < m.n; i++)
			found |= !strcmp(m.digest[i], a.program.digest) && m.len[i] == a.program.size;
		FZ_CHECK(found, "program %s is not a blob of its size", a.program.digest);
		FZ_CHECK(a.format >= 0 && a.format <= OCI_FORMAT_VERSION, "format %d", a.format);
		FZ_CHECK(a.manifest_json && a.config_json, "no texts");
		oci_artifact_free(&a);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size)
		fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
