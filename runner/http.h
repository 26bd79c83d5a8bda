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
int http_start(const char *addr, struct metrics *m, struct http_server **out, struct rerr *err);
/* The same on a socket already listening (systemd socket activation): fd
 * is owned by the server from then on; addr only names it in messages. */
int http_start_fd(int fd, const char *addr, struct metrics *m, struct http_server **out, struct rerr *err);
/* GET /-/healthy answers 200 while healthy, /-/ready 200 while ready (503
 * otherwise), as Prometheus serves them.  Both start false. */
void http_set_health(struct http_server *s, bool healthy, bool ready);
/* The port actually bound (useful with port 0). */
int http_port(const struct http_server *s);
void http_stop(struct http_server *s);

#endif
