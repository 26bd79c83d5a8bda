// SPDX-License-Identifier: MIT
/* The OCI distribution client (libcurl).  What docker-registry 2.8 and the
 * distribution spec 1.1 need (../shared/notes/oci-facts.md, spec/oci.md):
 * the four-type manifest Accept on every manifest request, POST + PUT
 * uploads (PATCH chunks for large blobs, always the newest Location),
 * existing blobs skipped with HEAD, Basic or Bearer auth from the 401
 * challenge, every body checked against its digest before it is kept. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci_int.h"
#include "readfile.h"
#include "registry.h"
#include "strbuf.h"

#define ACCEPT_MANIFESTS                                                                                    \
	"Accept: " OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " OCI_MT_DOCKER_MANIFEST ", " OCI_MT_DOCKER_LIST
#define DEFAULT_CHUNK	(8u << 20)

struct resp {
	long status;
	struct strbuf body;
	uint64_t max;		/* a larger body fails the transfer */
	bool too_big;
	char location[2048];
	char ctype[256];
	char dcd[OCI_DIGEST_LEN + 1];	/* Docker-Content-Digest */
	char www[2048];		/* WWW-Authenticate */
	char retry_after[32];
};

struct reg {
	CURL *c;
	const struct reg_opts *o;
	struct rerr *err;
	const char *what;	/* the reference, for messages */
	char host[256];		/* registry host[:port] */
	char base[300];		/* https://host or http://host */
	char repo[256];
	char scope[600];	/* repository:REPO:pull[,push] */
	char user[256], pass[256];	/* "" when anonymous */
	char *auth;		/* "Authorization: ..." once known */
	/* loopback without --plain-http or --ca-file: HTTP first (no TLS
	 * set-up, whose CA store alone costs ~40 ms), HTTPS when the registry
	 * answers that it speaks TLS.  Credentials are only sent after a 401,
	 * which a TLS port never gives to plain HTTP. */
	bool fallback_ok;
	CURLcode last_cc;
	bool warned_plain;
	const char *progress_what;
	uint64_t progress_total;
	uint64_t progress_base;	/* bytes sent by earlier PATCH chunks of this blob */
};

/* ---- credentials ---- */

/* "https://index.docker.io/v1/" -> "index.docker.io"; "localhost:5000" stays */
static void norm_key(const char *key, char *out, size_t size)
{
	const char *p = key;
	size_t n;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	n = p != key ? strcspn(p, "/") : strlen(p);
	snprintf(out, size, "%.*s", (int)n, p);
	if (!strcmp(out, "docker.io") || !strcmp(out, "registry-1.docker.io"))
		snprintf(out, size, "index.docker.io");
}

static void docker_config_path(char *buf, size_t size)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dc && *dc)
		snprintf(buf, size, "%s/config.json", dc);
	else
		snprintf(buf, size, "%s/.docker/config.json", home && *home ? home : "/root");
}

static cJSON *read_json_file(const char *path)
{
	void *buf;
	size_t len;
	cJSON *j;

	if (read_whole_file(path, &buf, &len))
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	return j;
}

/* user:password for a registry from one auth file; 1 found, 0 not. */
static int creds_from(const char *path, const char *host, char *user, size_t usize, char *pass, size_t psize)
{
	char want[256], key[256];
	const cJSON *e;
	cJSON *j = read_json_file(path);
	int found = 0;

	if (!j)
		return 0;
	norm_key(host, want, sizeof(want));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "auths")) {
		const char *auth = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "auth"));
		gnutls_datum_t in, out = {};
		char *colon;

		norm_key(e->string, key, sizeof(key));
		if (strcmp(key, want))
			continue;
		if (!auth || !*auth) {
			rwarn("%s: the entry for %s has no \"auth\" (credential helpers are not supported): ignored",
			      path, host);
			continue;
		}
		in.data = (unsigned char *)auth;
		in.size = strlen(auth);
		if (gnutls_base64_decode2(&in, &out) < 0)
			continue;
		colon = memchr(out.data, ':', out.size);
		if (colon) {
			snprintf(user, usize, "%.*s", (int)(colon - (char *)out.data), out.data);
			snprintf(pass, psize, "%.*s", (int)(out.size - (colon + 1 - (char *)out.data)), colon + 1);
			found = 1;
		}
		gnutls_free(out.data);
		if (found)
			break;
	}
	cJSON_Delete(j);
	return found;
}

/* $REGISTRY_AUTH_FILE, then docker's config (where login writes), then
 * podman's auth.json files. */
static void find_creds(struct reg *r)
{
	const char *home = getenv("HOME"), *env;
	char p[PATH_MAX];

	if (r->o->user) {
		snprintf(r->user, sizeof(r->user), "%s", r->o->user);
		snprintf(r->pass, sizeof(r->pass), "%s", r->o->password ? r->o->password : "");
		return;
	}
	env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env && creds_from(env, r->host, r->user, sizeof(r->user), r->pass, sizeof(r->pass)))
		return;
	docker_config_path(p, sizeof(p));
	if (creds_from(p, r->host, r->user, sizeof(r->user), r->pass, sizeof(r->pass)))
		return;
	env = getenv("XDG_RUNTIME_DIR");
	if (env && *env) {
		snprintf(p, sizeof(p), "%s/containers/auth.json", env);
		if (creds_from(p, r->host, r->user, sizeof(r->user), r->pass, sizeof(r->pass)))
			return;
	}
	env = getenv("XDG_CONFIG_HOME");
	if (env && *env)
		snprintf(p, sizeof(p), "%s/containers/auth.json", env);
	else
		snprintf(p, sizeof(p), "%s/.config/containers/auth.json", home ? home : "/root");
	creds_from(p, r->host, r->user, sizeof(r->user), r->pass, sizeof(r->pass));
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *rs = ctx;

	n *= sz;
	if (rs->body.len + n > rs->max) {
		rs->too_big = true;
		return 0;
	}
	sb_add(&rs->body, p, n);
	return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
	size_t k = strlen(name);

	if (n <= k + 1 || strncasecmp(line, name, k) || line[k] != ':')
		return;
	line += k + 1;
	n -= k + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	snprintf(out, size, "%.*s", (int)n, line);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *rs = ctx;

	n *= sz;
	/* a redirect's headers are followed by the next response's */
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		rs->location[0] = rs->ctype[0] = rs->dcd[0] = rs->www[0] = '\0';
		return n;
	}
	header_value(p, n, "Location", rs->location, sizeof(rs->location));
	header_value(p, n, "Content-Type", rs->ctype, sizeof(rs->ctype));
	header_value(p, n, "Docker-Content-Digest", rs->dcd, sizeof(rs->dcd));
	header_value(p, n, "WWW-Authenticate", rs->www, sizeof(rs->www));
	header_value(p, n, "Retry-After", rs->retry_after, sizeof(rs->retry_after));
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct reg *r = ctx;

	if (r->o->progress && r->progress_what)
		r->o->progress(r->o->progress_ctx, r->progress_what, r->progress_base + (uint64_t)(ulnow ? ulnow : dlnow),
			       r->progress_total ? r->progress_total : (uint64_t)(ultotal ? ultotal : dltotal));
	return 0;
}

bool reg_is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");
	struct in_addr a;
	char ip[16];

	if (!strncmp(host, "[::1]", 5))
		return !host[5] || host[5] == ':';
	if (n == 9 && !strncmp(host, "localhost", 9))
		return true;
	/* an IPv4 literal in 127.0.0.0/8, not a name like 127.example.com */
	if (n >= sizeof(ip))
		return false;
	snprintf(ip, sizeof(ip), "%.*s", (int)n, host);
	return inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* The registry's own words: {"errors":[{"code":"X","message":"y"}]} */
static void registry_words(const struct resp *rs, char *out, size_t size)
{
	cJSON *j = cJSON_ParseWithLength(rs->body.buf ? rs->body.buf : "", rs->body.len);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));

	out[0] = '\0';
	if (code)
		snprintf(out, size, "%s%s%s", code, msg ? ": " : "", msg ? msg : "");
	cJSON_Delete(j);
	/* keep it one line */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static const char *status_text(long s)
{
	switch (s) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* One error line for an HTTP answer that was not the expected one. */
static int http_err(struct reg *r, const struct resp *rs, const char *doing)
{
	char words[512], st[64];
	int e;

	registry_words(rs, words, sizeof(words));
	snprintf(st, sizeof(st), "%ld%s%s", rs->status, *status_text(rs->status) ? " " : "",
		 status_text(rs->status));
	if (rs->status == 401 || rs->status == 403) {
		e = rerr_set(r->err, -EACCES, "%s: registry %s: %s (%s%s%s)", r->what, r->host,
			     r->user[0] ? "access denied with the saved credentials" : "authentication required", st,
			     words[0] ? ": " : "", words);
		rerr_hint(r->err, "ebpfctl login %s", r->host);
		return e;
	}
	if (rs->status == 404)
		return rerr_set(r->err, -ENOENT, "%s: not found in registry %s (%s%s%s)", r->what, r->host,
				words[0] ? words : st, words[0] ? "" : "", "");
	if (rs->status >= 500)
		return rerr_set(r->err, -EIO, "%s: registry %s answered %s%s%s while %s", r->what, r->host, st,
				words[0] ? ": " : "", words, doing);
	return rerr_set(r->err, -EPROTO, "%s: registry %s refused %s: %s%s%s", r->what, r->host, doing, st,
			words[0] ? ": " : "", words);
}

static int curl_err(struct reg *r, CURLcode cc, const char *errbuf)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	int e;

	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
		e = rerr_set(r->err, -EACCES, "%s: registry %s: TLS certificate not trusted: %s", r->what, r->host, why);
		rerr_hint(r->err, "pass --ca-file FILE (the registry's CA), or --insecure to skip verification");
		return e;
	}
	if (cc == CURLE_SSL_CONNECT_ERROR) {
		e = rerr_set(r->err, -EPROTO, "%s: registry %s: TLS handshake failed: %s", r->what, r->host, why);
		rerr_hint(r->err, "a registry without TLS needs --plain-http");
		return e;
	}
	return rerr_set(r->err, -EHOSTUNREACH, "%s: cannot reach registry %s: %s", r->what, r->host, why);
}

/* Parse `Bearer realm="x",service="y",scope="z"` (or Basic). */
static void challenge_param(const char *www, const char *key, char *out, size_t size)
{
	size_t k = strlen(key);
	const char *p = strchr(www, ' ');

	out[0] = '\0';
	while (p && *p) {
		size_t i = 0;

		while (*p == ' ' || *p == ',')
			p++;
		if (!strncasecmp(p, key, k) && p[k] == '=') {
			p += k + 1;
			if (*p == '"') {
				p++;
				while (*p && *p != '"' && i + 1 < size) {
					if (*p == '\\' && p[1])
						p++;
					out[i++] = *p++;
				}
			} else {
				while (*p && *p != ',' && i + 1 < size)
					out[i++] = *p++;
			}
			out[i] = '\0';
			return;
		}
		/* skip this param's value */
		p = strchr(p, '=');
		if (!p)
			return;
		p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p = strchr(p, ',');
		}
	}
}

static int basic_header(struct reg *r, char **hdr)
{
	gnutls_datum_t in, out = {};
	char up[520];

	snprintf(up, sizeof(up), "%s:%s", r->user, r->pass);
	in.data = (unsigned char *)up;
	in.size = strlen(up);
	if (gnutls_base64_encode2(&in, &out) < 0)
		return -ENOMEM;
	if (asprintf(hdr, "Authorization: Basic %.*s", (int)out.size, out.data) < 0)
		*hdr = NULL;
	gnutls_free(out.data);
	return *hdr ? 0 : -ENOMEM;
}

static int perform(struct reg *r, const char *method, const char *url, struct curl_slist *hdrs,
		   const void *body, size_t len, struct resp *rs, bool follow);

static void add_scope(struct reg *r, struct strbuf *u, const char *sc)
{
	char *s;

	if (!sc[0])
		return;
	s = curl_easy_escape(r->c, sc, 0);
	sb_printf(u, "&scope=%s", s);
	curl_free(s);
}

static bool challenge_has(const char *www, const char *scope)
{
	char sc[1200], *save = NULL;

	challenge_param(www, "scope", sc, sizeof(sc));
	for (char *t = strtok_r(sc, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (!strcmp(t, scope))
			return true;
	return false;
}

/* A token from the realm of a Bearer challenge. */
static int fetch_token(struct reg *r, const char *www)
{
	char realm[1024], service[256], scope[1200], *url = NULL, *basic = NULL, *save = NULL;
	struct curl_slist *h = NULL;
	struct resp rs = { .max = 1 << 20 };
	struct strbuf u = {};
	const char *tok;
	cJSON *j;
	int e;

	challenge_param(www, "realm", realm, sizeof(realm));
	challenge_param(www, "service", service, sizeof(service));
	challenge_param(www, "scope", scope, sizeof(scope));
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return rerr_set(r->err, -EPROTO, "%s: registry %s: token realm '%s' is not an http(s) URL", r->what,
				r->host, realm);
	sb_puts(&u, realm);
	sb_putc(&u, strchr(realm, '?') ? '&' : '?');
	if (service[0]) {
		char *s = curl_easy_escape(r->c, service, 0);

		sb_printf(&u, "service=%s", s);
		curl_free(s);
	}
	/* the challenge's scopes (space-separated in one value: one scope=
	 * each) and ours (push asks pull,push up front, so one token does) */
	for (char *sc = strtok_r(scope, " ", &save); sc; sc = strtok_r(NULL, " ", &save))
		add_scope(r, &u, sc);
	if (!strstr(sb_cstr(&u), "&scope=") || !challenge_has(www, r->scope))
		add_scope(r, &u, r->scope);
	if (r->user[0]) {
		char *s = curl_easy_escape(r->c, r->user, 0);

		sb_printf(&u, "&account=%s", s);
		curl_free(s);
		if (basic_header(r, &basic)) {
			sb_free(&u);
			return rerr_set(r->err, -ENOMEM, "out of memory");
		}
		h = curl_slist_append(h, basic);
	}
	url = strdup(sb_cstr(&u));
	sb_free(&u);
	free(r->auth);
	r->auth = NULL;
	e = perform(r, "GET", url, h, NULL, 0, &rs, true);
	curl_slist_free_all(h);
	free(basic);
	free(url);
	if (e)
		goto out;
	if (rs.status != 200) {
		if (rs.status == 401 || rs.status == 403) {
			e = rerr_set(r->err, -EACCES, "%s: registry %s: the token server refused %s (%ld)", r->what,
				     r->host, r->user[0] ? "the credentials" : "anonymous access", rs.status);
			rerr_hint(r->err, "ebpfctl login %s", r->host);
		} else {
			e = rerr_set(r->err, -EPROTO, "%s: registry %s: the token server answered %ld", r->what,
				     r->host, rs.status);
		}
		goto out;
	}
	j = cJSON_ParseWithLength(rs.body.buf ? rs.body.buf : "", rs.body.len);
	tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "token"));
	if (!tok || !*tok)
		tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "access_token"));
	if (!tok || !*tok || strpbrk(tok, "\r\n")) {
		e = rerr_set(r->err, -EPROTO, "%s: registry %s: the token server sent no token", r->what, r->host);
	} else if (asprintf(&r->auth, "Authorization: Bearer %s", tok) < 0) {
		r->auth = NULL;
		e = rerr_set(r->err, -ENOMEM, "out of memory");
	}
	cJSON_Delete(j);
out:
	sb_free(&rs.body);
	return e;
}

/* One HTTP exchange.  No auth handling: see request(). */
static int perform(struct reg *r, const char *method, const char *url, struct curl_slist *hdrs,
		   const void *body, size_t len, struct resp *rs, bool follow)
{
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc;

	curl_easy_reset(r->c);
	sb_reset(&rs->body);
	rs->status = 0;
	rs->too_big = false;
	rs->location[0] = rs->ctype[0] = rs->dcd[0] = rs->www[0] = rs->retry_after[0] = '\0';
	errbuf[0] = '\0';
	curl_easy_setopt(r->c, CURLOPT_URL, url);
	curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(r->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(r->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(r->c, CURLOPT_USERAGENT, "ebpfctl");
	curl_easy_setopt(r->c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(r->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(r->c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(r->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* blob storage redirects: curl drops Authorization on another host */
	curl_easy_setopt(r->c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
	curl_easy_setopt(r->c, CURLOPT_MAXREDIRS, 5L);
	if (r->o->ca_file)
		curl_easy_setopt(r->c, CURLOPT_CAINFO, r->o->ca_file);
	if (r->o->insecure) {
		curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->o->progress && r->progress_what) {
		curl_easy_setopt(r->c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(r->c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(r->c, CURLOPT_XFERINFODATA, r);
	}
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(r->c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(r->c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(r->c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(r->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(r->c);
	r->last_cc = cc;
	if (rs->too_big)
		return rerr_set(r->err, -EFBIG, "%s: registry %s sent more than %llu bytes for %s", r->what, r->host,
				(unsigned long long)rs->max, url);
	if (cc != CURLE_OK)
		return curl_err(r, cc, errbuf);
	curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &rs->status);
	return 0;
}

/* Plain HTTP to a TLS port: Go's servers (docker-registry, zot) answer 400
 * "Client sent an HTTP request to an HTTPS server", nginx 400 "The plain
 * HTTP request was sent to HTTPS port", others close the connection. */
static bool speaks_tls(struct reg *r, int e, const struct resp *rs, bool head)
{
	if (e)
		return r->last_cc == CURLE_GOT_NOTHING || r->last_cc == CURLE_RECV_ERROR ||
		       r->last_cc == CURLE_WEIRD_SERVER_REPLY;
	/* a HEAD's answer has no body to tell by */
	return rs->status == 400 && (head || (rs->body.buf && memmem(rs->body.buf, rs->body.len, "HTTPS", 5)));
}

/* A request to the registry: PATH is under base (or a full URL); one 401
 * is answered with credentials (Basic) or a token (Bearer) and retried, a
 * second with an insufficient scope once more. */
static int request(struct reg *r, const char *method, const char *path, const char *const *extra,
		   const void *body, size_t len, struct resp *rs, bool follow)
{
	char url[4096];
	int e;

	for (int attempt = 0;; attempt++) {
		struct curl_slist *h = NULL;
		bool full = !strncmp(path, "http://", 7) || !strncmp(path, "https://", 8);

		snprintf(url, sizeof(url), "%s%s", full ? "" : r->base, path);
		for (int i = 0; extra && extra[i]; i++)
			h = curl_slist_append(h, extra[i]);
		if (r->auth)
			h = curl_slist_append(h, r->auth);
		e = perform(r, method, url, h, body, len, rs, follow);
		curl_slist_free_all(h);
		if (r->fallback_ok && !full && speaks_tls(r, e, rs, !strcmp(method, "HEAD"))) {
			memset(r->err, 0, sizeof(*r->err));
			snprintf(r->base, sizeof(r->base), "https://%s", r->host);
			r->fallback_ok = false;
			rinfo("registry %s speaks TLS: using HTTPS", r->host);
			attempt--;
			continue;
		}
		if (r->fallback_ok && !e)
			rinfo("registry %s does not speak TLS: using plain HTTP (loopback)", r->host);
		if (e)
			return e;
		r->fallback_ok = false;
		if (rs->status != 401 || attempt >= 2 || !rs->www[0])
			return 0;
		if (!strncasecmp(rs->www, "Basic", 5)) {
			if (!r->user[0] || attempt)
				return 0;
			if (!strncmp(r->base, "http://", 7) && !r->warned_plain) {
				rwarn("registry %s: sending credentials over plain HTTP", r->host);
				r->warned_plain = true;
			}
			free(r->auth);
			if (basic_header(r, &r->auth))
				return rerr_set(r->err, -ENOMEM, "out of memory");
		} else if (!strncasecmp(rs->www, "Bearer", 6)) {
			char why[64];

			challenge_param(rs->www, "error", why, sizeof(why));
			if (attempt && strcmp(why, "insufficient_scope"))
				return 0;
			e = fetch_token(r, rs->www);
			if (e)
				return e;
		} else {
			return 0;
		}
	}
}

static int reg_init(struct reg *r, const struct reg_opts *o, const char *host, const char *repo, bool push,
		    const char *what, struct rerr *err)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->err = err;
	r->what = what;
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->repo, sizeof(r->repo), "%s", repo ? repo : "");
	if (repo)
		snprintf(r->scope, sizeof(r->scope), "repository:%s:%s", repo, push ? "pull,push" : "pull");
	r->fallback_ok = !o->plain_http && !o->ca_file && reg_is_loopback(host);
	snprintf(r->base, sizeof(r->base), "%s://%s", o->plain_http || r->fallback_ok ? "http" : "https", host);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r->c = curl_easy_init();
	if (!r->c)
		return rerr_set(err, -ENOMEM, "cannot start libcurl");
	find_creds(r);
	return 0;
}

static void reg_fini(struct reg *r)
{
	if (r->c)
		curl_easy_cleanup(r->c);
	free(r->auth);
	memset(r->pass, 0, sizeof(r->pass));
}

/* "application/json; charset=utf-8" -> "application/json" */
static void base_type(const char *ct, char *out, size_t size)
{
	snprintf(out, size, "%.*s", (int)strcspn(ct, "; "), ct);
}

/* ---- pull ---- */

struct fetched {
	char digest[OCI_DIGEST_LEN + 1];
	void *buf;
	size_t len;
};

struct pull {
	struct reg *r;
	struct fetched *v;
	int n;
};

static bool manifest_type(const char *mt)
{
	return !strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, OCI_MT_DOCKER_MANIFEST) ||
	       !strcmp(mt, OCI_MT_DOCKER_LIST);
}

static int keep_fetched(struct pull *p, const char *digest, const void *buf, size_t len)
{
	struct fetched *v = realloc(p->v, sizeof(*v) * (p->n + 1));

	if (!v)
		return -ENOMEM;
	p->v = v;
	v += p->n;
	strcpy(v->digest, digest);
	v->buf = malloc(len ? len : 1);
	if (!v->buf)
		return -ENOMEM;
	memcpy(v->buf, buf, len);
	v->len = len;
	p->n++;
	return 0;
}

/* GET a manifest (by tag or digest) or a blob, verify its digest. */
static int fetch(struct reg *r, bool manifest, const char *ref, const char *want, uint64_t want_size, size_t max,
		 struct resp *rs, char *digest)
{
	const char *accept[] = { ACCEPT_MANIFESTS, NULL };
	char path[600], what[96];
	int e;

	snprintf(path, sizeof(path), "/v2/%s/%s/%s", r->repo, manifest ? "manifests" : "blobs", ref);
	snprintf(what, sizeof(what), "%s %.19s", manifest ? "manifest" : "blob", want ? want + 7 : ref);
	r->progress_what = manifest ? NULL : what;
	r->progress_total = want_size != UINT64_MAX ? want_size : 0;
	rs->max = max;
	e = request(r, "GET", path, manifest ? accept : NULL, NULL, 0, rs, !manifest);
	r->progress_what = NULL;
	if (e)
		return e;
	if (rs->status != 200)
		return http_err(r, rs, manifest ? "sending the manifest" : "sending a blob");
	oci_digest(rs->body.buf ? rs->body.buf : "", rs->body.len, digest);
	if (want && strcmp(want, digest))
		return rerr_set(r->err, -EBADMSG, "%s: registry %s sent %s %s with the wrong content (its digest is %s)",
				r->what, r->host, manifest ? "manifest" : "blob", want, digest);
	if (manifest && rs->dcd[0] && strcmp(rs->dcd, digest))
		return rerr_set(r->err, -EBADMSG,
				"%s: registry %s: the manifest's Docker-Content-Digest %s is not its content's (%s)",
				r->what, r->host, rs->dcd, digest);
	if (want_size != UINT64_MAX && rs->body.len != want_size)
		return rerr_set(r->err, -EBADMSG, "%s: registry %s sent %zu bytes for %s, the manifest says %llu",
				r->what, r->host, rs->body.len, want ? want : ref, (unsigned long long)want_size);
	return 0;
}

static int pull_get(void *ctx, const struct oci_desc *d, size_t max, void **buf, size_t *len, struct rerr *err)
{
	struct pull *p = ctx;
	struct resp rs = {};
	char digest[OCI_DIGEST_LEN + 1];
	int e;

	for (int i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].digest, d->digest))
			continue;
		*buf = malloc(p->v[i].len ? p->v[i].len : 1);
		if (!*buf)
			return rerr_set(err, -ENOMEM, "out of memory");
		memcpy(*buf, p->v[i].buf, p->v[i].len);
		*len = p->v[i].len;
		return 0;
	}
	e = fetch(p->r, manifest_type(d->media_type), d->digest, d->digest, d->size, max, &rs, digest);
	if (!e && keep_fetched(p, digest, rs.body.buf ? rs.body.buf : "", rs.body.len))
		e = rerr_set(err, -ENOMEM, "out of memory");
	if (e) {
		sb_free(&rs.body);
		return e;
	}
	*len = rs.body.len;
	*buf = rs.body.buf ? (void *)rs.body.buf : malloc(1);
	return *buf ? 0 : rerr_set(err, -ENOMEM, "out of memory");
}

int reg_pull(struct oci_store *st, const struct oci_ref *ref, const struct reg_opts *o, char *digest,
	     struct rerr *err)
{
	char name[600], repo[256], d[OCI_DIGEST_LEN + 1], body_mt[128], ct[128];
	struct oci_artifact a = {};
	struct oci_desc root = {};
	struct pull p = {};
	struct resp rs = {};
	struct reg r;
	cJSON *j;
	int e;

	oci_ref_name(ref, name, sizeof(name));
	oci_ref_repo(ref, repo, sizeof(repo));
	e = reg_init(&r, o, oci_ref_registry(ref), repo, false, name, err);
	if (e)
		goto out;
	p.r = &r;
	e = fetch(&r, true, ref->digest[0] ? ref->digest : ref->tag, ref->digest[0] ? ref->digest : NULL,
		  UINT64_MAX, OCI_MAX_MANIFEST, &rs, d);
	if (e)
		goto out;
	base_type(rs.ctype, ct, sizeof(ct));
	j = cJSON_ParseWithLength(rs.body.buf ? rs.body.buf : "", rs.body.len);
	snprintf(body_mt, sizeof(body_mt), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mediaType")) ?: "");
	cJSON_Delete(j);
	/* distribution spec: a body mediaType must be what it was sent as */
	if (body_mt[0] && strcmp(body_mt, ct)) {
		e = rerr_set(err, -EBADMSG, "%s: registry %s sent a %s manifest as %s", name, r.host, body_mt,
			     ct[0] ? ct : "no Content-Type");
		goto out;
	}
	snprintf(root.media_type, sizeof(root.media_type), "%s", body_mt[0] ? body_mt : ct);
	strcpy(root.digest, d);
	root.size = rs.body.len;
	if (keep_fetched(&p, d, rs.body.buf ? rs.body.buf : "", rs.body.len)) {
		e = rerr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	{
		struct oci_src src = { pull_get, &p };

		e = oci_artifact_read(&src, name, &root, &a, err);
	}
	if (e)
		goto out;
	/* everything checked: now the store (children first, the name last) */
	for (int i = p.n - 1; i >= 0 && !e; i--)
		e = oci_store_put(st, p.v[i].buf, p.v[i].len, p.v[i].digest, NULL, err);
	if (!e)
		e = oci_store_tag(st, name, &root, err);
	if (!e && digest)
		strcpy(digest, root.digest);
out:
	oci_artifact_free(&a);
	for (int i = 0; i < p.n; i++)
		free(p.v[i].buf);
	free(p.v);
	sb_free(&rs.body);
	reg_fini(&r);
	return e;
}

/* ---- push ---- */

static void add_digest(char *url, size_t size, const char *loc, const char *digest)
{
	snprintf(url, size, "%s%cdigest=sha256%%3A%s", loc, strchr(loc, '?') ? '&' : '?', digest + 7);
}

/* Another repository of this registry that, as the store knows, has the
 * blob (a name of it there whose manifest lists the digest): the blob can be
 * mounted from there instead of uploaded, as docker and skopeo do. */
static bool mount_source(struct reg *r, struct oci_store *st, const char *digest, char *from, size_t size)
{
	struct oci_entry *e = NULL;
	struct rerr err = {};
	bool found = false;
	int n = 0;

	if (oci_store_list(st, &e, &n, &err))
		return false;
	for (int i = 0; i < n && !found; i++) {
		struct oci_ref ref;
		char repo[256];
		void *buf;
		size_t len;

		memset(&err, 0, sizeof(err));
		if (oci_ref_parse(e[i].ref, &ref, &err) || strcmp(oci_ref_registry(&ref), r->host))
			continue;
		oci_ref_repo(&ref, repo, sizeof(repo));
		if (!strcmp(repo, r->repo) || oci_store_get(st, e[i].desc.digest, e[i].desc.size, OCI_MAX_MANIFEST, &buf,
							 &len, &err))
			continue;
		found = memmem(buf, len, digest, OCI_DIGEST_LEN) != NULL;
		if (found)
			snprintf(from, size, "%s", repo);
		free(buf);
	}
	oci_entries_free(e, n);
	return found;
}

static int push_blob(struct reg *r, struct oci_store *st, const struct oci_desc *d, const char *title)
{
	char from[256];
	const char *octet[] = { "Content-Type: application/octet-stream", NULL, NULL };
	size_t chunk = r->o->chunk_size ? r->o->chunk_size : DEFAULT_CHUNK, len;
	char path[600], loc[2048], url[2300], what[96], range[64];
	struct resp rs = { .max = 1 << 20 };
	void *buf = NULL;
	int e;

	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", r->repo, d->digest);
	e = request(r, "HEAD", path, NULL, NULL, 0, &rs, true);
	if (e)
		goto out;
	if (rs.status == 200) {
		rinfo("%s: blob %.19s exists", r->what, d->digest + 7);
		goto out;
	}
	if (mount_source(r, st, d->digest, from, sizeof(from))) {
		char *f = curl_easy_escape(r->c, from, 0);

		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/?mount=sha256%%3A%s&from=%s", r->repo, d->digest + 7,
			 f ? f : from);
		curl_free(f);
		/* the token needs pull on the source too: the registry says so
		 * with insufficient_scope, and request() asks again */
		e = request(r, "POST", path, NULL, NULL, 0, &rs, false);
		if (e)
			goto out;
		if (rs.status == 201) {
			rinfo("%s: blob %.19s mounted from %s", r->what, d->digest + 7, from);
			goto out;
		}
		/* 202: not mounted, an upload session instead */
	} else {
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", r->repo);
		e = request(r, "POST", path, NULL, NULL, 0, &rs, false);
		if (e)
			goto out;
	}
	if (rs.status != 202 || !rs.location[0]) {
		e = http_err(r, &rs, "starting an upload");
		goto out;
	}
	e = oci_store_get(st, d->digest, d->size, OCI_MAX_PROGRAM, &buf, &len, r->err);
	if (e)
		goto out;
	snprintf(what, sizeof(what), "%s %.12s", title ? title : "blob", d->digest + 7);
	r->progress_what = what;
	r->progress_total = len;
	for (size_t off = 0; len > chunk && off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		snprintf(loc, sizeof(loc), "%s", rs.location);
		snprintf(range, sizeof(range), "Content-Range: %zu-%zu", off, off + n - 1);
		r->progress_base = off;
		octet[1] = range;
		e = request(r, "PATCH", loc, octet, (char *)buf + off, n, &rs, false);
		if (!e && (rs.status != 202 || !rs.location[0]))
			e = http_err(r, &rs, "taking a chunk");
		if (e)
			goto out;
	}
	octet[1] = NULL;
	r->progress_base = 0;
	if (len > chunk)
		r->progress_what = NULL;	/* the closing PUT has no body: the bar is full */
	snprintf(loc, sizeof(loc), "%s", rs.location);
	add_digest(url, sizeof(url), loc, d->digest);
	if (len > chunk)
		e = request(r, "PUT", url, octet, NULL, 0, &rs, false);
	else
		e = request(r, "PUT", url, octet, buf, len, &rs, false);
	if (!e && rs.status != 201)
		e = http_err(r, &rs, "storing a blob");
out:
	r->progress_what = NULL;
	r->progress_base = 0;
	free(buf);
	sb_free(&rs.body);
	return e;
}

static int push_manifest(struct reg *r, struct oci_store *st, const struct oci_desc *d, const char *tag, int depth)
{
	char path[600], ctype[200], mt[128];
	const char *hdr[] = { ctype, NULL };
	struct resp rs = { .max = 1 << 20 };
	const cJSON *c;
	void *buf;
	size_t len;
	cJSON *j;
	int e, kind;

	e = oci_store_get(st, d->digest, d->size, OCI_MAX_MANIFEST, &buf, &len, r->err);
	if (e)
		return e;
	j = cJSON_ParseWithLength(buf, len);
	kind = oci_manifest_kind(j, d->media_type);
	snprintf(mt, sizeof(mt), "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mediaType")) ?:
		 (d->media_type[0] ? d->media_type : kind == 2 ? OCI_MT_INDEX : OCI_MT_MANIFEST));
	if (kind == 1) {
		struct oci_desc bd;

		c = cJSON_GetObjectItemCaseSensitive(j, "config");
		e = oci_desc_from_json(c, &bd) ? -EBADMSG : push_blob(r, st, &bd, "config.json");
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "layers")) {
			if (e)
				break;
			e = oci_desc_from_json(c, &bd) ? -EBADMSG : push_blob(r, st, &bd, "program.o");
		}
	} else if (kind == 2 && depth == 0) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
			struct oci_desc md;

			if (oci_desc_from_json(c, &md) ? (e = -EBADMSG) : 0)
				break;
			if (!oci_store_has(st, md.digest)) {
				e = rerr_set(r->err, -ENOENT, "%s: the index lists %s, which is not in the store", r->what,
					     md.digest);
				rerr_hint(r->err, "only this machine's entry of a pulled index is stored");
				break;
			}
			e = push_manifest(r, st, &md, md.digest, 1);
			if (e)
				break;
		}
	} else {
		e = -EBADMSG;
	}
	cJSON_Delete(j);
	if (e == -EBADMSG && !r->err->msg[0])
		e = rerr_set(r->err, e, "%s: stored manifest %s is not a valid OCI manifest or index", r->what, d->digest);
	if (e)
		goto out;
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", mt);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", r->repo, tag);
	e = request(r, "PUT", path, hdr, buf, len, &rs, false);
	if (!e && rs.status != 201)
		e = http_err(r, &rs, "storing the manifest");
	if (!e && rs.dcd[0] && strcmp(rs.dcd, d->digest))
		e = rerr_set(r->err, -EBADMSG, "%s: registry %s stored the manifest as %s, not %s", r->what, r->host,
			     rs.dcd, d->digest);
out:
	free(buf);
	sb_free(&rs.body);
	return e;
}

int reg_push(struct oci_store *st, const char *name, const struct oci_ref *ref, const struct reg_opts *o,
	     char *digest, struct rerr *err)
{
	struct oci_desc d;
	char repo[256];
	struct reg r;
	int e;

	if (oci_store_lookup(st, name, &d))
		return rerr_set(err, -ENOENT, "%s: not in the store", name);
	oci_ref_repo(ref, repo, sizeof(repo));
	e = reg_init(&r, o, oci_ref_registry(ref), repo, true, name, err);
	if (!e)
		e = push_manifest(&r, st, &d, ref->digest[0] ? ref->digest : ref->tag, 0);
	if (!e && digest)
		strcpy(digest, d.digest);
	reg_fini(&r);
	return e;
}

/* ---- login / logout ---- */

static int write_config(const char *path, cJSON *j, struct rerr *err)
{
	char dir[PATH_MAX], *s, *slash;
	struct strbuf text = {};
	int e;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return rerr_set(err, -errno, "%s: %s", dir, strerror(errno));
	}
	s = cJSON_Print(j);
	if (!s)
		return rerr_set(err, -ENOMEM, "out of memory");
	sb_puts(&text, s);
	sb_putc(&text, '\n');
	free(s);
	/* credentials stay private */
	e = text.err ? -ENOMEM : write_file_atomic(path, sb_cstr(&text), text.len, 0600);
	sb_free(&text);
	return e ? rerr_set(err, e, "%s: %s", path, strerror(-e)) : 0;
}

static const char *config_key(const char *host)
{
	char k[256];

	norm_key(host, k, sizeof(k));
	return !strcmp(k, "index.docker.io") ? "https://index.docker.io/v1/" : host;
}

int reg_login(const char *registry, const struct reg_opts *o, char *saved_in, size_t size, struct rerr *err)
{
	struct resp rs = { .max = 1 << 20 };
	gnutls_datum_t in, out = {};
	char up[520], what[300], host[256];
	cJSON *j, *auths, *e_;
	struct reg r;
	int e;

	norm_key(registry, host, sizeof(host));
	if (!strcmp(host, "index.docker.io"))
		snprintf(host, sizeof(host), "registry-1.docker.io");
	snprintf(what, sizeof(what), "login %s", registry);
	e = reg_init(&r, o, host, NULL, false, what, err);
	if (e)
		goto out;
	e = request(&r, "GET", "/v2/", NULL, NULL, 0, &rs, true);
	if (e)
		goto out;
	if (rs.status == 401) {
		e = rerr_set(err, -EACCES, "%s: invalid username or password", what);
		goto out;
	}
	if (rs.status != 200) {
		e = http_err(&r, &rs, "the login");
		goto out;
	}
	docker_config_path(saved_in, size);
	j = read_json_file(saved_in);
	if (!j)
		j = cJSON_CreateObject();
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (!cJSON_IsObject(auths)) {
		cJSON_DeleteItemFromObjectCaseSensitive(j, "auths");
		auths = cJSON_AddObjectToObject(j, "auths");
	}
	snprintf(up, sizeof(up), "%s:%s", o->user, o->password ? o->password : "");
	in.data = (unsigned char *)up;
	in.size = strlen(up);
	if (gnutls_base64_encode2(&in, &out) < 0) {
		cJSON_Delete(j);
		e = rerr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(auths, config_key(registry));
	e_ = cJSON_AddObjectToObject(auths, config_key(registry));
	cJSON_AddItemToObject(e_, "auth", cJSON_CreateString(strndupa((char *)out.data, out.size)));
	gnutls_free(out.data);
	memset(up, 0, sizeof(up));
	e = write_config(saved_in, j, err);
	cJSON_Delete(j);
out:
	sb_free(&rs.body);
	reg_fini(&r);
	return e;
}

int reg_logout(const char *registry, char *removed_from, size_t size, struct rerr *err)
{
	char want[256], key[256];
	cJSON *j, *auths, *e_;
	bool found = false;

	docker_config_path(removed_from, size);
	norm_key(registry, want, sizeof(want));
	j = read_json_file(removed_from);
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	for (e_ = auths ? auths->child : NULL; e_;) {
		cJSON *next = e_->next;

		norm_key(e_->string, key, sizeof(key));
		if (!strcmp(key, want)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(auths, e_));
			found = true;
		}
		e_ = next;
	}
	if (!found) {
		cJSON_Delete(j);
		return rerr_set(err, -ENOENT, "logout %s: not logged in (%s has no credentials for it)", registry,
				removed_from);
	}
	found = write_config(removed_from, j, err) == 0;
	cJSON_Delete(j);
	return found ? 0 : err->code;
}
