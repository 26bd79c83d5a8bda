/* SPDX-License-Identifier: MIT */
/* --web-config FILE: the Prometheus exporter-toolkit web configuration
 * (https://prometheus.io/docs/prometheus/latest/configuration/https/):
 * TLS with optional client certificates, basic auth with bcrypt hashes,
 * extra response headers.  Parsed with libyaml, strictly (an unknown key is
 * an error, as exporter-toolkit's UnmarshalStrict); file names are relative
 * to the configuration file's directory.  Files are read and checked at
 * load (certificate and key must match), so a bad file fails at start.
 * A loaded configuration carries its GnuTLS credentials (certificate, key,
 * client CA trust) and priorities, so each connection can use the ones
 * current when it started: webcfg_changed() tells when the configuration
 * file or one of the files it names has changed since it was loaded. */
#ifndef EBPFCTL_WEBCONFIG_H
#define EBPFCTL_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "rerr.h"

enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT,
	WEBCFG_REQUEST_CLIENT_CERT,
	WEBCFG_REQUIRE_ANY_CLIENT_CERT,
	WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

struct webcfg_pair {
	char *name;
	char *value;
};

/* a file the configuration was read from, as it was when read */
struct webcfg_file {
	char *path;
	int err;		/* stat's -errno, or 0 */
	struct stat st;
};

struct webcfg {
	bool tls;
	char *cert_pem, *key_pem, *ca_pem;	/* file contents; ca_pem may be NULL */
	/* TLS only: a gnutls_certificate_credentials_t with the key pair and,
	 * when client certificates are asked for, the trust list (client_ca_file
	 * or the system's), and a gnutls_priority_t for the versions */
	void *cred, *prio;
	struct webcfg_file files[4];		/* the file itself, cert, key, client CA */
	int n_files;
	int refs;				/* the HTTP server's: connections using it */
	enum webcfg_client_auth client_auth;
	int min_version, max_version;		/* 10..13 (TLS1.x); 0: default (min 1.2) */
	struct webcfg_pair *users;		/* name -> bcrypt hash */
	int n_users;
	struct webcfg_pair *headers;
	int n_headers;
};

/* Largest bcrypt cost accepted: each verification of cost c takes 2^c
 * rounds (~50 ms at 10 here); 16 is seconds per request already. */
#define WEBCFG_MAX_BCRYPT_COST 16

int webcfg_load(const char *path, struct webcfg **out, struct rerr *err);
void webcfg_free(struct webcfg *c);
/* True when user/password match an entry (bcrypt, constant-time compare).
 * Verified credentials are remembered (a SHA-256 of user, password and
 * hash; 16 of them), so only the first request of a scraper pays bcrypt.
 * Called from the HTTP thread only. */
bool webcfg_check_user(const struct webcfg *c, const char *user, const char *pass);
/* True when the configuration file or a file it names is not what it was
 * at load (inode, size, modification time; or appeared/disappeared): a
 * rotated certificate, a Kubernetes Secret's symlink swap. */
bool webcfg_changed(const struct webcfg *c);
/* GnuTLS priority string for the min/max versions: into buf. */
void webcfg_priorities(const struct webcfg *c, char *buf, size_t size);

#endif
