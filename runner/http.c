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
#include "http.h"
#include "metrics.h"
#include "strbuf.h"

#define HTTP_CONN_LIMIT 64		/* Prometheus uses one; leave room for people */
#define HTTP_PER_IP_LIMIT 16
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
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	rdebug("http: %s", buf);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
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
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
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
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_METRICS);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
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
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "404 page not found\n");
	if (!get_or_head)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     "405 method not allowed (GET or HEAD)\n");
	/* first call: headers only; answer on the next one */
	if (!*state) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;	/* a GET body is ignored */
		return MHD_YES;
	}
	if (is_root)
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", index_html);
	if (is_healthy)
		return __atomic_load_n(&s->healthy, __ATOMIC_RELAXED)
			       ? reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ebpfctl is Healthy.\n")
			       : reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				       "ebpfctl is not healthy: the event loop is not running.\n");
	if (is_ready)
		return __atomic_load_n(&s->ready, __ATOMIC_RELAXED)
			       ? reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ebpfctl is Ready.\n")
			       : reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
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

static int start_on(int fd, const char *addr, struct metrics *m, struct http_server **out, struct rerr *err);

int http_start(const char *addr, struct metrics *m, struct http_server **out, struct rerr *err)
{
	int fd = -1, port = 0, e;

	*out = NULL;
	e = listen_on(addr, &fd, &port, err);
	if (e)
		return e;
	e = start_on(fd, addr, m, out, err);
	if (!e)
		(*out)->port = port;
	return e;
}

int http_start_fd(int fd, const char *addr, struct metrics *m, struct http_server **out, struct rerr *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fl = fcntl(fd, F_GETFL), e;

	*out = NULL;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		e = -errno;
		return rerr_set(err, e, "metrics socket %s: %s", addr, strerror(-e));
	}
	e = start_on(fd, addr, m, out, err);
	if (!e && !getsockname(fd, (struct sockaddr *)&ss, &sl))
		(*out)->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							      : ((struct sockaddr_in *)&ss)->sin_port);
	return e;
}

void http_set_health(struct http_server *s, bool healthy, bool ready)
{
	if (!s)
		return;
	__atomic_store_n(&s->healthy, healthy, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ready, ready, __ATOMIC_RELAXED);
}

static int start_on(int fd, const char *addr, struct metrics *m, struct http_server **out, struct rerr *err)
{
	struct http_server *s;
	sigset_t block, old;

	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return rerr_set(err, -ENOMEM, "metrics address %s: out of memory", addr);
	}
	s->m = m;
	/* MHD's thread inherits our mask: keep the runner's signals off it */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				handle, s,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->d) {
		close(fd);
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
	/* joins MHD's thread and closes the listen socket */
	MHD_stop_daemon(s->d);
	free(s);
}
