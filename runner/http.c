// SPDX-License-Identifier: MIT
/* /metrics over libmicrohttpd 0.9.75.  We bind the listen socket ourselves:
 * MHD only logs bind errors, while "Address already in use" must become a
 * clear error with a hint.  Every resource limit is set explicitly because
 * MHD's defaults are unbounded (no timeout, no connection cap). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include <zlib.h>
#include <gnutls/gnutls.h>
#include "http.h"
#include "webconfig.h"
#include "metrics.h"
#include "strbuf.h"

/* Prometheus uses one connection; HA pairs, people and load tests more.  The
 * per-IP bound keeps one flooding (or slowloris) client from taking them all. */
#define HTTP_CONN_LIMIT 256
#define HTTP_PER_IP_LIMIT 64
#define HTTP_CONN_TIMEOUT_S 15		/* idle keep-alive / slow clients */
#define HTTP_CONN_MEMORY (64 * 1024)	/* request headers and MHD's buffers */

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

static const char index_html[] =
	"<html><head><title>ebpfctl</title></head><body>\n"
	"<h1>ebpfctl</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n"
	"</body></html>\n";

struct http_server {
	struct MHD_Daemon *d;
	struct metrics *m;
	int port;
	size_t size_hint;	/* last body size: render into one allocation */
	bool healthy, ready;	/* /-/healthy, /-/ready (relaxed atomics) */
	bool passed;		/* the listen socket came from systemd */
	/* --web-config: re-read at each new connection when the file or a file
	 * it names changed, as exporter-toolkit reads it per connection.  A
	 * connection keeps the configuration it started with (its TLS session
	 * uses that one's credentials): replaced ones live on in `old` until
	 * their last connection closes. */
	const char *web_path;
	struct webcfg *web;
	struct webcfg **old;
	int n_old, cap_old;
	bool web_warned;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	rdebug("http: %s", buf);
}

/* http_server_config.headers of --web-config, on every response */
static void add_headers(const struct http_server *s, struct MHD_Response *r)
{
	for (int i = 0; s->web && i < s->web->n_headers; i++)
		MHD_add_response_header(r, s->web->headers[i].name, s->web->headers[i].value);
}

static enum MHD_Result reply(const struct http_server *s, struct MHD_Connection *c, unsigned int status,
			     const char *type, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_headers(s, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Accept-Encoding names gzip (or *) with a non-zero q. */
static bool accepts_gzip(const char *h)
{
	while (h && *h) {
		const char *end = strchr(h, ',');
		size_t n = end ? (size_t)(end - h) : strlen(h);
		char tok[64];
		char *semi, *name = tok, *e;
		double q = 1;

		if (n >= sizeof(tok))
			n = sizeof(tok) - 1;
		memcpy(tok, h, n);
		tok[n] = '\0';
		semi = strchr(tok, ';');
		if (semi) {
			char *qp = strstr(semi, "q=");

			*semi = '\0';
			if (qp)
				q = strtod(qp + 2, NULL);
		}
		while (*name == ' ' || *name == '\t')
			name++;
		e = name + strlen(name);
		while (e > name && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if ((!strcasecmp(name, "gzip") || !strcmp(name, "*")) && q > 0)
			return true;
		h = end ? end + 1 : NULL;
	}
	return false;
}

static int gzip_body(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream zs = {};
	uLong cap;
	char *buf;
	int rc;

	/* level 1: metrics text is repetitive, so even the fastest level gives
	 * most of the gain for a fraction of the CPU */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *c)
{
	struct strbuf sb = {};
	struct MHD_Response *r;
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gz = accepts_gzip(ae);
	enum MHD_Result ret;
	char *body;
	size_t len;

	sb_reserve(&sb, s->size_hint + s->size_hint / 8 + 4096);
	if (metrics_render(s->m, &sb) || sb.err) {
		sb_free(&sb);
		return reply(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
			     "ebpfctl: out of memory rendering metrics\n");
	}
	s->size_hint = sb.len;
	body = sb.buf ? sb.buf : strdup("");
	len = sb.len;
	if (gz && len) {
		char *z;
		size_t zl;

		if (!gzip_body(body, len, &z, &zl)) {
			free(body);
			body = z;
			len = zl;
		} else {
			gz = false;
		}
	}
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	add_headers(s, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_METRICS);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static bool user_ok(const struct http_server *s, struct MHD_Connection *c)
{
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = user && pass && webcfg_check_user(s->web, user, pass);

	if (pass)
		memset(pass, 0, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

/* The configuration a connection started with (its socket context). */
static const struct webcfg *conn_web(const struct http_server *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci && ci->socket_context ? ci->socket_context : s->web;
}

/* The handshake already refused what GnuTLS could (see on_connection);
 * this is the check for every request, whatever the handshake did. */
static bool client_cert_ok(const struct http_server *s, struct MHD_Connection *c)
{
	const struct webcfg *w = conn_web(s, c);
	const union MHD_ConnectionInfo *ci;
	unsigned int n = 0, status = 1;
	gnutls_session_t sess;
	bool has;

	if (!w->tls || w->client_auth == WEBCFG_NO_CLIENT_CERT || w->client_auth == WEBCFG_REQUEST_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	sess = (gnutls_session_t)ci->tls_session;
	has = gnutls_certificate_get_peers(sess, &n) && n;
	if (w->client_auth == WEBCFG_REQUIRE_ANY_CLIENT_CERT)
		return has;
	if (!has)
		return w->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN;
	return !gnutls_certificate_verify_peers2(sess, &status) && !status;
}

static void web_release(struct http_server *s, struct webcfg *w)
{
	if (--w->refs > 0 || w == s->web)
		return;
	for (int i = 0; i < s->n_old; i++)
		if (s->old[i] == w) {
			s->old[i] = s->old[--s->n_old];
			break;
		}
	webcfg_free(w);
}

/* The file or one it names changed: load it again.  TLS cannot be turned on
 * or off without a restart (the daemon was started with or without it), so
 * such an edit keeps the previous configuration, as a broken one does. */
static void web_reload(struct http_server *s)
{
	struct webcfg *n = NULL, **grown;
	struct rerr err = {};

	if (webcfg_load(s->web_path, &n, &err)) {
		if (!s->web_warned)
			rwarn("%s (keeping the previous configuration)", err.msg);
		s->web_warned = true;
		return;
	}
	if (n->tls != s->web->tls) {
		if (!s->web_warned)
			rwarn("--web-config %s: TLS turned %s: that needs a restart (keeping the previous configuration)",
			      s->web_path, n->tls ? "on" : "off");
		s->web_warned = true;
		webcfg_free(n);
		return;
	}
	if (s->web->refs > 0) {
		if (s->n_old == s->cap_old) {
			grown = realloc(s->old, (size_t)(s->cap_old * 2 + 4) * sizeof(*s->old));
			if (!grown) {
				webcfg_free(n);	/* try again at the next connection */
				return;
			}
			s->old = grown;
			s->cap_old = s->cap_old * 2 + 4;
		}
		s->old[s->n_old++] = s->web;
	} else {
		webcfg_free(s->web);
	}
	s->web = n;
	s->web_warned = false;
}

/* A new connection: re-read a changed --web-config, and give the TLS
 * session the current configuration's credentials (certificate, key, client
 * CA), versions and client-certificate policy, so a rotated certificate is
 * served from the next connection on.  The handshake itself demands and
 * verifies the client certificate where the configuration says so, as Go's
 * crypto/tls does. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t sess;
	struct webcfg *w;

	if (!s->web)
		return;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_ctx)
			web_release(s, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	if (webcfg_changed(s->web))
		web_reload(s);
	w = s->web;
	w->refs++;
	*socket_ctx = w;
	if (!w->tls)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	sess = (gnutls_session_t)ci->tls_session;
	gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, w->cred);
	gnutls_priority_set(sess, w->prio);
	switch (w->client_auth) {
	case WEBCFG_NO_CLIENT_CERT:
		gnutls_certificate_server_set_request(sess, GNUTLS_CERT_IGNORE);
		break;
	case WEBCFG_REQUEST_CLIENT_CERT:
	case WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN:
		gnutls_certificate_server_set_request(sess, GNUTLS_CERT_REQUEST);
		break;
	default:
		gnutls_certificate_server_set_request(sess, GNUTLS_CERT_REQUIRE);
	}
	if (w->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN || w->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT)
		gnutls_session_set_verify_cert(sess, NULL, 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	static int seen;
	struct http_server *s = cls;
	bool get_or_head = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool is_metrics = !strcmp(url, "/metrics"), is_root = !strcmp(url, "/");
	bool is_healthy = !strcmp(url, "/-/healthy"), is_ready = !strcmp(url, "/-/ready");

	if (!is_metrics && !is_root && !is_healthy && !is_ready)
		return reply(s, c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "404 page not found\n");
	if (!get_or_head)
		return reply(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     "405 method not allowed (GET or HEAD)\n");
	/* first call: headers only; answer on the next one */
	if (!*state) {
		*state = &seen;
		return MHD_YES;
	}
	if (s->web && !client_cert_ok(s, c))
		return reply(s, c, MHD_HTTP_FORBIDDEN, "text/plain; charset=utf-8",
			     "403 a valid client certificate is required\n");
	if (s->web && s->web->n_users && !user_ok(s, c)) {
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen("401 Unauthorized\n"),
									 (void *)"401 Unauthorized\n",
									 MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;

		if (!r)
			return MHD_NO;
		add_headers(s, r);
		ret = MHD_queue_basic_auth_fail_response(c, "ebpfctl", r);
		MHD_destroy_response(r);
		return ret;
	}
	if (*upload_size) {
		*upload_size = 0;	/* a GET body is ignored */
		return MHD_YES;
	}
	if (is_root)
		return reply(s, c, MHD_HTTP_OK, "text/html; charset=utf-8", index_html);
	if (is_healthy)
		return __atomic_load_n(&s->healthy, __ATOMIC_RELAXED)
			       ? reply(s, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ebpfctl is Healthy.\n")
			       : reply(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				       "ebpfctl is not healthy: the event loop is not running.\n");
	if (is_ready)
		return __atomic_load_n(&s->ready, __ATOMIC_RELAXED)
			       ? reply(s, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ebpfctl is Ready.\n")
			       : reply(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				       "ebpfctl is not ready: its programs are not all attached.\n");
	return serve_metrics(s, c);
}

/* "HOST:PORT" or "[V6]:PORT" -> host, port; -EINVAL if malformed. */
static int split_addr(const char *addr, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon, *h = addr, *hend;
	char *end;
	long p;

	if (addr[0] == '[') {
		hend = strchr(addr, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		h = addr + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hend = colon;
		/* a bare IPv6 address needs brackets to tell the port apart */
		if (memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL;
	}
	if ((size_t)(hend - h) >= hl || strlen(colon + 1) >= pl || !colon[1])
		return -EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || p < 0 || p > 65535 || colon[1] == '-' || colon[1] == '+')
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int listen_on(const char *addr, int *out_fd, int *out_port, struct rerr *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[16];
	int fd, one = 1, rc, e;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port)))
		return rerr_usage(err, -EINVAL, "run: --metrics-addr '%s': expected HOST:PORT, e.g. 0.0.0.0:9091 or "
				  "[::1]:9091", addr);
	rc = getaddrinfo(host[0] ? host : "0.0.0.0", port, &hints, &res);
	if (rc) {
		rerr_set(err, -EINVAL, "metrics address %s: %s", addr,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		rerr_hint(err, "use an address of this machine, e.g. --metrics-addr 127.0.0.1:9091");
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		e = -errno;
		freeaddrinfo(res);
		return rerr_set(err, e, "metrics address %s: %s", addr, strerror(-e));
	}
	/* a restart must not wait for TIME_WAIT; two listeners still conflict */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		e = -errno;
		close(fd);
		freeaddrinfo(res);
		rerr_set(err, e, "metrics address %s: %s", addr, strerror(-e));
		if (e == -EADDRINUSE)
			rerr_hint(err, "another process listens there: pick another with --metrics-addr HOST:PORT, "
				  "or run without the endpoint with --no-metrics");
		else if (e == -EACCES)
			rerr_hint(err, "ports below 1024 need root or CAP_NET_BIND_SERVICE; or use --no-metrics");
		else if (e == -EADDRNOTAVAIL)
			rerr_hint(err, "HOST must be an address of this machine (or 0.0.0.0); or use --no-metrics");
		return e;
	}
	freeaddrinfo(res);
	*out_port = 0;
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		*out_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							    : ((struct sockaddr_in *)&ss)->sin_port);
	*out_fd = fd;
	return 0;
}

void http_set_health(struct http_server *s, bool healthy, bool ready)
{
	if (!s)
		return;
	__atomic_store_n(&s->healthy, healthy, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ready, ready, __ATOMIC_RELAXED);
}

int http_start(const struct http_opts *o, struct metrics *m, struct http_server **out, struct rerr *err)
{
	const char *addr = o->addr ? o->addr : "(LISTEN_FDS)";
	struct MHD_OptionItem opt[16];
	struct http_server *s;
	sigset_t block, old;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	char prio[128];
	int fd = o->fd, port = 0, n = 0, e;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		webcfg_free(o->web);	/* ours, whatever happens */
		return rerr_set(err, -ENOMEM, "metrics address %s: out of memory", addr);
	}
	if (fd >= 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
			e = -errno;
			webcfg_free(o->web);
			free(s);
			return rerr_set(err, e, "metrics socket %s: %s", addr, strerror(-e));
		}
		if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
			port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							      : ((struct sockaddr_in *)&ss)->sin_port);
	} else {
		e = listen_on(addr, &fd, &port, err);
		if (e) {
			webcfg_free(o->web);
			free(s);
			return e;
		}
	}
	s->m = m;
	s->port = port;
	s->passed = o->fd >= 0;
	s->healthy = s->ready = o->ready;
	if (s->passed)
		flags |= MHD_USE_ITC;	/* MHD_quiesce_daemon() needs it with a polling thread */
	s->web = o->web;
	s->web_path = o->web_path;
#define OPT(o_, v_, p_) (opt[n++] = (struct MHD_OptionItem){ (o_), (intptr_t)(v_), (void *)(p_) })
	OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT_S, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
	if (s->web && s->web->tls) {
		flags |= MHD_USE_TLS;
		webcfg_priorities(s->web, prio, sizeof(prio));
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->web->cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->web->key_pem);
		/* what MHD starts each session with; on_connection replaces it
		 * (credentials, priorities, client certificates) with the current
		 * configuration's */
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, prio);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	/* MHD's thread inherits our mask: keep the runner's signals off it */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->d) {
		close(fd);
		webcfg_free(s->web);
		free(s);
		return rerr_set(err, -EIO, "metrics address %s: cannot start the HTTP server (run with -v for details)",
				addr);
	}
	*out = s;
	return 0;
}

int http_port(const struct http_server *s)
{
	return s ? s->port : 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* a socket systemd passed (LISTEN_FDS) stays systemd's: MHD would
	 * shutdown() it, which breaks the socket unit; take it back first */
	if (s->passed) {
		MHD_socket fd = MHD_quiesce_daemon(s->d);

		MHD_stop_daemon(s->d);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	} else {
		/* joins MHD's thread and closes the listen socket */
		MHD_stop_daemon(s->d);
	}
	/* MHD_stop_daemon closed every connection (their CLOSED notices
	 * released what they held); free whatever is left regardless */
	for (int i = 0; i < s->n_old; i++)
		webcfg_free(s->old[i]);
	free(s->old);
	webcfg_free(s->web);
	free(s);
}
