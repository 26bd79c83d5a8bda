/* SPDX-License-Identifier: MIT */
/* --web-config FILE: the Prometheus exporter-toolkit web configuration
 * (https://prometheus.io/docs/prometheus/latest/configuration/https/):
 * TLS with optional client certificates, basic auth with bcrypt hashes,
 * extra response headers.  Parsed with libyaml, strictly (an unknown key is
 * an error, as exporter-toolkit's UnmarshalStrict); file names are relative
 * to the configuration file's directory.  Files are read and checked at
 * load (certificate and key must match), so a bad file fails at start. */
#ifndef EBPFCTL_WEBCONFIG_H
#define EBPFCTL_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
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

struct webcfg {
	bool tls;
	char *cert_pem, *key_pem, *ca_pem;	/* file contents; ca_pem may be NULL */
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
/* GnuTLS priority string for the min/max versions: into buf. */
void webcfg_priorities(const struct webcfg *c, char *buf, size_t size);

#endif
