/* SPDX-License-Identifier: MIT */
/* Shared by oci.c, oci_artifact.c and registry.c only. */
#ifndef EBPFCTL_OCI_INT_H
#define EBPFCTL_OCI_INT_H

#include "oci.h"

struct cJSON;
struct oci_hash;

int oci_hash_init(struct oci_hash **h);
void oci_hash_add(struct oci_hash *h, const void *buf, size_t len);
/* frees h; out may be NULL (discard) */
void oci_hash_done(struct oci_hash *h, char out[OCI_DIGEST_LEN + 1]);

int oci_desc_from_json(const struct cJSON *m, struct oci_desc *d);

/* A manifest body's kind: 1 image manifest, 2 index, 0 neither. */
int oci_manifest_kind(const struct cJSON *j, const char *media_type);
/* The index entry for this machine: -ENOENT with the platforms it has in why. */
int oci_index_pick(const struct cJSON *index, struct oci_desc *d, char *why, size_t why_size);

#endif
