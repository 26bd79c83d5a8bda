/* SPDX-License-Identifier: MIT */
/* OCI artifacts (DESIGN.md section 9, spec/oci.md): references, the local
 * store (an OCI image layout), building an artifact from an object, and the
 * checks a stored artifact passes before it is loaded.  The registry client
 * is registry.h. */
#ifndef EBPFCTL_OCI_H
#define EBPFCTL_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rerr.h"

#define OCI_MT_MANIFEST		"application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX		"application/vnd.oci.image.index.v1+json"
#define OCI_MT_DOCKER_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_CONFIG		"application/ebpf.oci.image.config.v1+json"
#define OCI_MT_PROGRAM		"application/ebpf.oci.image.program.v1+binary"
#define OCI_ARTIFACT_TYPE	"application/vnd.ebpfctl.probe.v1"
#define OCI_ANN_TITLE		"org.opencontainers.image.title"
#define OCI_ANN_REF_NAME	"org.opencontainers.image.ref.name"
/* the config format this ebpfctl writes and the newest it reads */
#define OCI_FORMAT_VERSION	1

/* limits on what is read (a registry or store is not trusted) */
#define OCI_MAX_MANIFEST	(4u << 20)
#define OCI_MAX_CONFIG		(1u << 20)
#define OCI_MAX_PROGRAM		(64u << 20)

#define OCI_DIGEST_LEN		71	/* "sha256:" + 64 hex */

/* [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST] */
struct oci_ref {
	char host[256];		/* "" when the reference names none */
	char path[256];
	char tag[129];		/* "latest" when neither tag nor digest is given */
	char digest[OCI_DIGEST_LEN + 1];	/* "" or sha256:... */
};

int oci_ref_parse(const char *s, struct oci_ref *ref, struct rerr *err);
/* The name the store records: host/path:tag[@digest], or host/path@digest. */
void oci_ref_name(const struct oci_ref *ref, char *buf, size_t size);
/* The registry to talk to: the host, or docker.io's when there is none. */
const char *oci_ref_registry(const struct oci_ref *ref);
/* The repository on that registry (docker.io: "library/" for one component). */
void oci_ref_repo(const struct oci_ref *ref, char *buf, size_t size);
/* "opensnoop" for localhost:5000/probes/opensnoop:v1 (the "object" of JSON lines) */
void oci_ref_short_name(const struct oci_ref *ref, char *buf, size_t size);

/* sha256:<hex> of a buffer */
void oci_digest(const void *buf, size_t len, char out[OCI_DIGEST_LEN + 1]);
bool oci_digest_valid(const char *d);

struct oci_desc {
	char media_type[128];
	char digest[OCI_DIGEST_LEN + 1];
	uint64_t size;
};

struct oci_entry {
	char *ref;		/* ref.name */
	struct oci_desc desc;
};

struct oci_store;

/* The store at DIR, or EBPFCTL_STORE's when DIR is NULL (the caller reads
 * the environment), else /var/lib/ebpfctl/store for root and
 * $XDG_DATA_HOME/ebpfctl/store otherwise.  Created when missing. */
int oci_store_default_dir(char *buf, size_t size);
int oci_store_open(const char *dir, struct oci_store **out, struct rerr *err);
void oci_store_close(struct oci_store *st);
const char *oci_store_dir(const struct oci_store *st);

/* Write a blob; verified against want (when given) before it is renamed
 * into place.  digest (when given) receives its digest. */
int oci_store_put(struct oci_store *st, const void *buf, size_t len, const char *want,
		  char *digest, struct rerr *err);
/* Read a blob whole, checking its digest (and size when want_size != UINT64_MAX). */
int oci_store_get(struct oci_store *st, const char *digest, uint64_t want_size, size_t max,
		  void **buf, size_t *len, struct rerr *err);
bool oci_store_has(struct oci_store *st, const char *digest);
void oci_store_blob_path(const struct oci_store *st, const char *digest, char *buf, size_t size);
/* A writable temp file in the store (for streaming a download), renamed into
 * place by oci_store_commit after its digest was checked by the caller. */
int oci_store_tmp(struct oci_store *st, char *path, size_t size);
int oci_store_commit(struct oci_store *st, const char *tmp, const char *digest, struct rerr *err);

/* index.json: find, set (replacing the same name), remove a name.  Each
 * change is made under index.json.lock and written atomically. */
int oci_store_lookup(struct oci_store *st, const char *name, struct oci_desc *desc);
int oci_store_tag(struct oci_store *st, const char *name, const struct oci_desc *desc, struct rerr *err);
/* Remove the names; blobs no remaining name reaches are deleted. */
int oci_store_untag(struct oci_store *st, const char *name, struct rerr *err);
int oci_store_list(struct oci_store *st, struct oci_entry **out, int *n, struct rerr *err);
void oci_entries_free(struct oci_entry *e, int n);

/* A stored artifact, read and verified. */
struct oci_artifact {
	char name[600];		/* what the user named, for messages */
	struct oci_desc manifest;
	char *manifest_json;
	char *config_json;	/* "{}" for bumblebee's images */
	struct oci_desc program;
	struct oci_desc index;	/* the index ROOT was, or digest "" */
	struct oci_desc config;
	int format;		/* config formatVersion (0: bumblebee) */
	char arch[32];		/* "" when the config names none */
};

/* Where an artifact's blobs come from: the store, or a registry (registry.c). */
struct oci_src {
	/* a blob of d (d->size UINT64_MAX: unknown), at most max bytes, verified */
	int (*get)(void *ctx, const struct oci_desc *d, size_t max, void **buf, size_t *len, struct rerr *err);
	void *ctx;
};

/* Read ROOT (a manifest or index: this machine's entry is chosen), verify
 * and classify it, and fetch its config and program layer through SRC. */
int oci_artifact_read(const struct oci_src *src, const char *name, const struct oci_desc *root,
		      struct oci_artifact *a, struct rerr *err);
/* The same from the store, for NAME (an index name, or NAME@DIGEST). */
int oci_artifact_open(struct oci_store *st, const char *name, struct oci_artifact *a, struct rerr *err);
void oci_artifact_free(struct oci_artifact *a);
/* Everything checked before a stored artifact is loaded (spec/oci.md
 * "Reading"): format version, platform, the program's ELF header, kernel BTF,
 * and the program and map types the kernel must support.  host_root and
 * btf_path as in runner_opts. */
int oci_artifact_check(struct oci_store *st, const struct oci_artifact *a, const char *host_root,
		       const char *btf_path, struct rerr *err);

struct oci_annotation {
	const char *key;
	const char *value;
};

/* Build the artifact of OBJECT (config from the object, opened without
 * loading) and record it under NAME.  digest receives the manifest's. */
int oci_package(struct oci_store *st, const char *object, const char *name, const char *title,
		const struct oci_annotation *ann, int n_ann, char *digest, struct rerr *err);

/* This machine's GOARCH name ("amd64", "arm64", ...). */
const char *oci_host_arch(void);

#endif
