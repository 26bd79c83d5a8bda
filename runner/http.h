/* SPDX-License-Identifier: MIT */
/* The /metrics endpoint: libmicrohttpd with its own internal polling thread,
 * so a slow scrape never stalls event reading.  GET/HEAD /metrics (gzip when
 * accepted), a small / page, 404 elsewhere, 405 for other methods; explicit
 * connection limit, per-connection timeout and memory limit. */
#ifndef EBPFCTL_HTTP_H
#define EBPFCTL_HTTP_H

#include <stdbool.h>
#include "rerr.h"

struct metrics;
struct http_server;

/* Listen on addr ("HOST:PORT", "[v6addr]:PORT"; port 0 picks a free one)
 * and serve m.  The server thread starts with SIGINT, SIGTERM and SIGPIPE
 * blocked, so signals reach the runner's thread.  Errors: a malformed
 * address is a usage error; a busy port is
 * "metrics address 0.0.0.0:9091: Address already in use" + hint. */
struct webcfg;

struct http_opts {
	const char *addr;	/* HOST:PORT to bind, unless fd >= 0 */
	int fd;			/* a socket already listening (systemd socket activation), or -1 */
	struct webcfg *web;	/* --web-config, loaded (the server owns it); NULL: plain HTTP, no auth */
	const char *web_path;	/* its file, re-read when it changes */
	bool ready;		/* start healthy and ready (everything is attached already) */
};

int http_start(const struct http_opts *o, struct metrics *m, struct http_server **out, struct rerr *err);
/* GET /-/healthy answers 200 while healthy, /-/ready 200 while ready (503
 * otherwise), as Prometheus serves them.  Both start as http_opts.ready says:
 * a connection waiting in a passed socket's backlog is answered at once. */
void http_set_health(struct http_server *s, bool healthy, bool ready);
/* The port actually bound (useful with port 0). */
int http_port(const struct http_server *s);
void http_stop(struct http_server *s);

#endif
