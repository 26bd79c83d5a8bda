// SPDX-License-Identifier: MIT
/* The exporter-toolkit web configuration file, strictly: the keys it knows
 * (unknown ones are errors, with their line), the values it accepts, and
 * the checks its loader makes (certificate and key load and match, bcrypt
 * hashes).  `promtool check web-config` agrees on what is valid, except
 * that ebpfctl also bounds the bcrypt cost (WEBCFG_MAX_BCRYPT_COST). */
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <yaml.h>
#include "readfile.h"
#include "webconfig.h"

struct ld {
	const char *path;	/* the configuration file, for messages */
	char dir[PATH_MAX];	/* its directory: relative file names start here */
	yaml_document_t *doc;
	struct webcfg *c;
	struct rerr *err;
	char *cert_file, *key_file, *ca_file;
};

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		return rerr_set(l->err, -EINVAL, "--web-config %s: line %zu: %s", l->path, n->start_mark.line + 1, msg);
	return rerr_set(l->err, -EINVAL, "--web-config %s: %s", l->path, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int want_scalar(struct ld *l, const yaml_node_t *n, const char *key, const char **out)
{
	*out = scalar(n);
	if (!*out)
		return fail(l, n, "%s: expected a string", key);
	return 0;
}

static int want_bool(struct ld *l, const yaml_node_t *n, const char *key, bool *out)
{
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
		*out = false;
	else
		return fail(l, n, "%s: expected true or false", key);
	return 0;
}

/* key -> value pairs of a mapping node; NULL node (key: with no value) is an
 * empty mapping, as in YAML's null */
#define for_each_pair(doc, node, p)                                                       \
	for (yaml_node_pair_t *p = (node)->data.mapping.pairs.start; p < (node)->data.mapping.pairs.top; p++)

static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && (!*s || !strcmp(s, "~") || !strcmp(s, "null")) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int want_mapping(struct ld *l, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(l, n, "%s: expected a mapping", key);
	return 0;
}

static int dup_path(struct ld *l, const char *v, char **out)
{
	free(*out);
	if (v[0] == '/' || !l->dir[0])
		*out = strdup(v);
	else if (asprintf(out, "%s/%s", l->dir, v) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

static int tls_version(struct ld *l, const yaml_node_t *n, const char *key, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s;
	int e = want_scalar(l, n, key, &s);

	if (e)
		return e;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = 10 + i;
			return 0;
		}
	return fail(l, n, "%s: unknown TLS version '%s' (TLS10, TLS11, TLS12 or TLS13)", key, s);
}

static int parse_tls(struct ld *l, const yaml_node_t *m)
{
	static const struct { const char *name; enum webcfg_client_auth v; } auth[] = {
		{ "NoClientCert", WEBCFG_NO_CLIENT_CERT },
		{ "RequestClientCert", WEBCFG_REQUEST_CLIENT_CERT },
		{ "RequireAnyClientCert", WEBCFG_REQUIRE_ANY_CLIENT_CERT },
		{ "VerifyClientCertIfGiven", WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN },
		{ "RequireAndVerifyClientCert", WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT },
	};
	int e;

	if (is_null(m))
		return 0;
	if ((e = want_mapping(l, m, "tls_server_config")))
		return e;
	for_each_pair(l->doc, m, p) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key), *v = yaml_document_get_node(l->doc, p->value);
		const char *key = scalar(k), *s;
		bool b;

		if (!key)
			return fail(l, k, "tls_server_config: expected string keys");
		if (!strcmp(key, "cert_file") || !strcmp(key, "key_file") || !strcmp(key, "client_ca_file")) {
			if ((e = want_scalar(l, v, key, &s)))
				return e;
			if (!*s)
				continue;
			e = dup_path(l, s, !strcmp(key, "cert_file") ? &l->cert_file
					   : !strcmp(key, "key_file") ? &l->key_file : &l->ca_file);
			if (e)
				return rerr_set(l->err, e, "--web-config %s: out of memory", l->path);
		} else if (!strcmp(key, "client_auth_type")) {
			bool found = false;

			if ((e = want_scalar(l, v, key, &s)))
				return e;
			for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
				if (!strcmp(s, auth[i].name)) {
					l->c->client_auth = auth[i].v;
					found = true;
				}
			if (!found)
				return fail(l, v, "client_auth_type: invalid value '%s' (NoClientCert, RequestClientCert, "
					    "RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)", s);
		} else if (!strcmp(key, "min_version")) {
			if ((e = tls_version(l, v, key, &l->c->min_version)))
				return e;
		} else if (!strcmp(key, "max_version")) {
			if ((e = tls_version(l, v, key, &l->c->max_version)))
				return e;
		} else if (!strcmp(key, "prefer_server_cipher_suites")) {
			if ((e = want_bool(l, v, key, &b)))
				return e;
		} else if (!strcmp(key, "cipher_suites") || !strcmp(key, "curve_preferences")) {
			/* GnuTLS picks from its own secure defaults: accepted, not applied */
			if (v->type != YAML_SEQUENCE_NODE)
				return fail(l, v, "%s: expected a list", key);
			rwarn("--web-config %s: %s is accepted but not applied (GnuTLS's secure defaults are used)",
			      l->path, key);
		} else {
			return fail(l, k, "unknown key '%s' in tls_server_config", key);
		}
	}
	return 0;
}

/* exporter-toolkit allows these response headers (and checks two values) */
static int check_header(struct ld *l, const yaml_node_t *k, const char *name, const char *value)
{
	static const char *const ok[] = { "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
					  "X-XSS-Protection", "Content-Security-Policy" };
	bool known = false;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known |= !strcasecmp(name, ok[i]);
	if (!known)
		return fail(l, k, "HTTP header \"%s\" can not be configured (allowed: Strict-Transport-Security, "
			    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)", name);
	if (!strcasecmp(name, "X-Frame-Options") && strcasecmp(value, "deny") && strcasecmp(value, "sameorigin"))
		return fail(l, k, "invalid value for X-Frame-Options: expected deny or sameorigin, got \"%s\"", value);
	if (!strcasecmp(name, "X-Content-Type-Options") && strcasecmp(value, "nosniff"))
		return fail(l, k, "invalid value for X-Content-Type-Options: expected nosniff, got \"%s\"", value);
	if (strpbrk(value, "\r\n"))
		return fail(l, k, "header %s: a value cannot hold a line break", name);
	return 0;
}

static int add_pair(struct webcfg_pair **v, int *n, const char *name, const char *value)
{
	struct webcfg_pair *p = realloc(*v, (size_t)(*n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	*v = p;
	p[*n].name = strdup(name);
	p[*n].value = strdup(value);
	if (!p[*n].name || !p[*n].value) {
		free(p[*n].name);
		free(p[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int parse_http(struct ld *l, const yaml_node_t *m)
{
	int e;

	if (is_null(m))
		return 0;
	if ((e = want_mapping(l, m, "http_server_config")))
		return e;
	for_each_pair(l->doc, m, p) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key), *v = yaml_document_get_node(l->doc, p->value);
		const char *key = scalar(k);
		bool b;

		if (!key)
			return fail(l, k, "http_server_config: expected string keys");
		if (!strcmp(key, "http2")) {
			if ((e = want_bool(l, v, key, &b)))	/* libmicrohttpd speaks HTTP/1.1 only */
				return e;
		} else if (!strcmp(key, "headers")) {
			if (is_null(v))
				continue;
			if ((e = want_mapping(l, v, "headers")))
				return e;
			for_each_pair(l->doc, v, h) {
				yaml_node_t *hk = yaml_document_get_node(l->doc, h->key);
				const char *name = scalar(hk), *value = scalar(yaml_document_get_node(l->doc, h->value));

				if (!name || !value)
					return fail(l, hk, "headers: expected NAME: VALUE strings");
				if ((e = check_header(l, hk, name, value)))
					return e;
				if (add_pair(&l->c->headers, &l->c->n_headers, name, value))
					return rerr_set(l->err, -ENOMEM, "--web-config %s: out of memory", l->path);
			}
		} else {
			return fail(l, k, "unknown key '%s' in http_server_config", key);
		}
	}
	return 0;
}

/* $2a$/$2b$/$2y$, two cost digits, '$', 53 characters of salt and hash. */
static int bcrypt_cost(const char *h)
{
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') ||
	    h[3] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	for (int i = 7; i < 60; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", h[i]))
			return -1;
	return (h[4] - '0') * 10 + (h[5] - '0');
}

static int parse_users(struct ld *l, const yaml_node_t *m)
{
	int e;

	if (is_null(m))
		return 0;
	if ((e = want_mapping(l, m, "basic_auth_users")))
		return e;
	for_each_pair(l->doc, m, p) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key), *v = yaml_document_get_node(l->doc, p->value);
		const char *user = scalar(k), *hash = scalar(v);
		int cost;

		if (!user || !hash)
			return fail(l, k, "basic_auth_users: expected USER: BCRYPT-HASH strings");
		cost = bcrypt_cost(hash);
		if (cost < 0)
			return fail(l, v, "user '%s': the password must be a bcrypt hash ($2y$..., e.g. from htpasswd -nBC 10 "
				    "%s)", user, user);
		if (cost < 4 || cost > WEBCFG_MAX_BCRYPT_COST)
			return fail(l, v, "user '%s': bcrypt cost %d is outside 4..%d (every request pays 2^cost rounds)",
				    user, cost, WEBCFG_MAX_BCRYPT_COST);
		if (strchr(user, ':'))
			return fail(l, k, "user '%s': a user name cannot contain ':'", user);
		if (add_pair(&l->c->users, &l->c->n_users, user, hash))
			return rerr_set(l->err, -ENOMEM, "--web-config %s: out of memory", l->path);
	}
	return 0;
}

/* Remember file as it is now (before reading it: a change while we read
 * shows as a change at the next connection, which reads it again). */
static int note_file(struct webcfg *c, const char *file)
{
	struct webcfg_file *f = &c->files[c->n_files];

	f->path = strdup(file);
	if (!f->path)
		return -ENOMEM;
	f->err = stat(file, &f->st) ? -errno : 0;
	c->n_files++;
	return 0;
}

static int read_pem(struct ld *l, const char *file, const char *what, char **out)
{
	void *buf = NULL;
	size_t len = 0;
	int e;

	if ((e = note_file(l->c, file)))
		return e;
	e = read_whole_file(file, &buf, &len);
	if (e)
		return rerr_set(l->err, e, "--web-config %s: %s %s: %s", l->path, what, file, strerror(-e));
	*out = realloc(buf, len + 1);
	if (!*out) {
		free(buf);
		return -ENOMEM;
	}
	(*out)[len] = '\0';
	return 0;
}

/* Load the certificate and key as the server will (so a wrong key fails
 * now), with the trust list that verifies client certificates: the
 * client_ca_file, or the system's roots when the configuration asks for
 * client certificates without one (as Go uses the system roots). */
static int check_tls(struct ld *l)
{
	struct webcfg *c = l->c;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	gnutls_datum_t cert, key, ca;
	char prios[128];
	int e, g;

	if (!l->cert_file && !l->key_file) {
		if (l->ca_file || c->client_auth != WEBCFG_NO_CLIENT_CERT)
			return fail(l, NULL, "tls_server_config: client certificates need cert_file and key_file");
		return 0;
	}
	if (!l->cert_file)
		return fail(l, NULL, "tls_server_config: missing cert_file");
	if (!l->key_file)
		return fail(l, NULL, "tls_server_config: missing key_file");
	if (c->min_version && c->max_version && c->min_version > c->max_version)
		return fail(l, NULL, "tls_server_config: min_version TLS1%d is above max_version TLS1%d",
			    c->min_version - 10, c->max_version - 10);
	if ((e = read_pem(l, l->cert_file, "cert_file", &c->cert_pem)) ||
	    (e = read_pem(l, l->key_file, "key_file", &c->key_pem)) ||
	    (l->ca_file && (e = read_pem(l, l->ca_file, "client_ca_file", &c->ca_pem))))
		return e;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	c->cred = cred;
	cert = (gnutls_datum_t){ (unsigned char *)c->cert_pem, (unsigned int)strlen(c->cert_pem) };
	key = (gnutls_datum_t){ (unsigned char *)c->key_pem, (unsigned int)strlen(c->key_pem) };
	g = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0)
		return fail(l, NULL, "cannot load the certificate %s with the key %s: %s", l->cert_file, l->key_file,
			    gnutls_strerror(g));
	if (c->ca_pem) {
		ca = (gnutls_datum_t){ (unsigned char *)c->ca_pem, (unsigned int)strlen(c->ca_pem) };
		g = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (g <= 0)
			return fail(l, NULL, "client_ca_file %s: %s", l->ca_file,
				    g < 0 ? gnutls_strerror(g) : "no certificate in it");
	} else if (c->client_auth != WEBCFG_NO_CLIENT_CERT) {
		/* no roots (g == 0) is not an error: RequireAndVerify then refuses everyone */
		g = gnutls_certificate_set_x509_system_trust(cred);
		(void)g;
	}
	webcfg_priorities(c, prios, sizeof(prios));
	if (gnutls_priority_init(&prio, prios, NULL) < 0)
		return fail(l, NULL, "tls_server_config: GnuTLS refuses the priorities %s", prios);
	c->prio = prio;
	c->tls = true;
	return 0;
}

bool webcfg_changed(const struct webcfg *c)
{
	for (int i = 0; i < c->n_files; i++) {
		const struct webcfg_file *f = &c->files[i];
		struct stat st;
		int e = stat(f->path, &st) ? -errno : 0;

		if (e != f->err)
			return true;
		if (!e && (st.st_ino != f->st.st_ino || st.st_dev != f->st.st_dev || st.st_size != f->st.st_size ||
			   st.st_mtim.tv_sec != f->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec ||
			   st.st_ctim.tv_sec != f->st.st_ctim.tv_sec || st.st_ctim.tv_nsec != f->st.st_ctim.tv_nsec))
			return true;
	}
	return false;
}

int webcfg_load(const char *path, struct webcfg **out, struct rerr *err)
{
	struct ld l = { .path = path, .err = err };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	void *text = NULL;
	size_t len = 0;
	const char *slash;
	int e;

	*out = NULL;
	l.c = calloc(1, sizeof(*l.c));
	if (!l.c || note_file(l.c, path)) {
		webcfg_free(l.c);
		return rerr_set(err, -ENOMEM, "--web-config %s: out of memory", path);
	}
	e = read_whole_file(path, &text, &len);
	if (e) {
		webcfg_free(l.c);
		return rerr_set(err, e, "--web-config %s: %s", path, strerror(-e));
	}
	slash = strrchr(path, '/');
	if (slash)
		snprintf(l.dir, sizeof(l.dir), "%.*s", (int)(slash - path), path);
	if (slash == path)
		strcpy(l.dir, "/");
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		webcfg_free(l.c);
		return rerr_set(err, -ENOMEM, "--web-config %s: out of memory", path);
	}
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		e = rerr_set(err, -EINVAL, "--web-config %s: line %zu: not YAML: %s", path, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		free(text);
		webcfg_free(l.c);
		return e;
	}
	l.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE) {
			e = fail(&l, root, "expected a mapping of tls_server_config, http_server_config, basic_auth_users");
			goto out;
		}
		for_each_pair(&doc, root, p) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key), *v = yaml_document_get_node(&doc, p->value);
			const char *key = scalar(k);

			if (key && !strcmp(key, "tls_server_config"))
				e = parse_tls(&l, v);
			else if (key && !strcmp(key, "http_server_config"))
				e = parse_http(&l, v);
			else if (key && !strcmp(key, "basic_auth_users"))
				e = parse_users(&l, v);
			else
				e = fail(&l, k, "unknown key '%s' (tls_server_config, http_server_config or "
					 "basic_auth_users)", key ? key : "?");
			if (e)
				goto out;
		}
	}
	e = check_tls(&l);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	free(l.cert_file);
	free(l.key_file);
	free(l.ca_file);
	if (e) {
		webcfg_free(l.c);
		return e == -ENOMEM ? rerr_set(err, e, "--web-config %s: out of memory", path) : e;
	}
	*out = l.c;
	return 0;
}

void webcfg_free(struct webcfg *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_users; i++) {
		free(c->users[i].name);
		free(c->users[i].value);
	}
	for (int i = 0; i < c->n_headers; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->users);
	free(c->headers);
	free(c->cert_pem);
	free(c->key_pem);
	free(c->ca_pem);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	for (int i = 0; i < c->n_files; i++)
		free(c->files[i].path);
	free(c);
}

static bool same(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/* Verified credentials, as exporter-toolkit caches them: a scrape every
 * second must not pay a bcrypt each time.  SHA-256 of user, password and
 * hash (so a changed hash or password misses); a small ring. */
#define AUTH_CACHE 16
static unsigned char auth_cache[AUTH_CACHE][32];
static unsigned int auth_next;

static bool credential_digest(const char *user, const char *pass, const char *hash, unsigned char out[32])
{
	size_t lu = strlen(user), lp = strlen(pass), lh = strlen(hash);
	char *buf = malloc(lu + lp + lh + 3);
	bool ok;

	if (!buf)
		return false;
	memcpy(buf, user, lu + 1);
	memcpy(buf + lu + 1, pass, lp + 1);
	memcpy(buf + lu + lp + 2, hash, lh + 1);
	ok = !gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, lu + lp + lh + 3, out);
	memset(buf, 0, lu + lp + lh + 3);
	free(buf);
	return ok;
}

bool webcfg_check_user(const struct webcfg *c, const char *user, const char *pass)
{
	struct crypt_data *cd;
	bool ok = false;

	for (int i = 0; i < c->n_users; i++) {
		unsigned char dig[32];
		bool have_dig;
		const char *out;

		if (strcmp(c->users[i].name, user))
			continue;
		have_dig = credential_digest(user, pass, c->users[i].value, dig);
		for (int k = 0; have_dig && k < AUTH_CACHE; k++)
			if (same((const char *)auth_cache[k], (const char *)dig, 32))
				return true;
		cd = calloc(1, sizeof(*cd));
		if (!cd)
			return false;
		out = crypt_rn(pass, c->users[i].value, cd, (int)sizeof(*cd));
		ok = out && strlen(out) == 60 && same(out, c->users[i].value, 60);
		free(cd);
		if (ok && have_dig)
			memcpy(auth_cache[auth_next++ % AUTH_CACHE], dig, 32);
		return ok;
	}
	/* an unknown user costs a bcrypt too, so timing tells no user names */
	cd = calloc(1, sizeof(*cd));
	if (cd) {
		crypt_rn(pass, "$2y$10$BaSREAth3wVxW1T1A/VVfePiB061fo.XVbvNI0qDozhEvZ2nUFGHu", cd, (int)sizeof(*cd));
		free(cd);
	}
	return false;
}

void webcfg_priorities(const struct webcfg *c, char *buf, size_t size)
{
	int lo = c->min_version ? c->min_version : 12, hi = c->max_version ? c->max_version : 13;
	size_t n = (size_t)snprintf(buf, size, "NORMAL:-VERS-ALL");

	for (int v = hi; v >= lo && n < size; v--)
		n += (size_t)snprintf(buf + n, size - n, ":+VERS-TLS1.%d", v - 10);
}
