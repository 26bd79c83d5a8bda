/* SPDX-License-Identifier: MIT */
/* The OCI distribution client (libcurl): push and pull artifacts between
 * the local store and a registry; anonymous, basic and bearer-token auth;
 * credentials in docker's config format (spec/oci.md "Registries"). */
#ifndef EBPFCTL_REGISTRY_H
#define EBPFCTL_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include "oci.h"
#include "rerr.h"

struct reg_opts {
	bool plain_http;	/* http://, never TLS */
	bool insecure;		/* TLS without verifying the certificate */
	const char *ca_file;	/* PEM CA bundle to verify with */
	const char *user;	/* credentials given on the command line (login) */
	const char *password;
	size_t chunk_size;	/* blobs larger than this go in PATCH chunks of it; 0: 8 MiB */
	/* progress of one blob or manifest: done of total bytes (total 0: unknown) */
	void (*progress)(void *ctx, const char *what, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Push what the store names NAME to REF's registry and repository. */
int reg_push(struct oci_store *st, const char *name, const struct oci_ref *ref, const struct reg_opts *o,
	     char *digest, struct rerr *err);
/* Fetch REF, check it is an artifact this ebpfctl runs (oci_artifact_read),
 * then store its blobs and name it.  Nothing is stored when a check fails. */
int reg_pull(struct oci_store *st, const struct oci_ref *ref, const struct reg_opts *o, char *digest,
	     struct rerr *err);

/* login: check the credentials against REGISTRY, then save them (docker's
 * config.json, mode 0600).  logout: remove them. */
int reg_login(const char *registry, const struct reg_opts *o, char *saved_in, size_t size, struct rerr *err);
int reg_logout(const char *registry, char *removed_from, size_t size, struct rerr *err);

/* localhost, [::1] or an IPv4 literal in 127/8, with or without :PORT */
bool reg_is_loopback(const char *host);

#endif
