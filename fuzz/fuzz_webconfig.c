// SPDX-License-Identifier: MIT
/* --web-config FILE (runner/webconfig.c): the exporter-toolkit YAML, parsed
 * with libyaml, checked strictly, certificates loaded with GnuTLS.
 *
 * webcfg_load takes a path (file names in the configuration are relative to
 * its directory), so each input is written to DIR/web.yml, DIR being
 * /tmp/ebpfctl-fuzz-webcfg.<pid> (removed at exit; a later run removes
 * those of runs that crashed), which also holds a matching certificate and
 * key (server.crt, server.key), a key that does not match (other.key) and a
 * CA file (ca.crt = the same self-signed certificate), so the seeds reach
 * the TLS checks.  The key pair is a throwaway made for this target only.
 *
 * Input: the YAML text (seeds: the forms the docs and tests use).
 * Oracles: 0 with a configuration, or a negative errno with a message that
 * names the file; a TLS configuration holds the certificate and key text;
 * every user has a 60-character bcrypt hash of cost 4..16 and no ':' in the
 * name; header values hold no line break; the GnuTLS priority string
 * always starts "NORMAL:-VERS-ALL" and names only versions 1.0..1.3. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include "webconfig.h"
#include "fuzz.h"

static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBfzCCASWgAwIBAgIUSvXmBx53dAVi0FqK19XDe4KetkcwCgYIKoZIzj0EAwIw\n"
	"FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzE0MTY0MloYDzIxMjYxMTA5\n"
	"MTQxNjQyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAARcdBGDLL9/QyhTMOyMP8+ahrEYTjMUKJ9GXt+8QuO6hFJjQG5gthd0\n"
	"HOhAnj4Dayvvi95VydSC66DNWzZe7feBo1MwUTAdBgNVHQ4EFgQUfdt+PAfjMfBd\n"
	"vnRwFXUvmo23uqgwHwYDVR0jBBgwFoAUfdt+PAfjMfBdvnRwFXUvmo23uqgwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEArRKGkvqjnMevekBnFVeN\n"
	"6q8EZPuQW5sJG+lBYEshroYCIFYsJLQwQq71GZ5tLjbfSCfFYCpwUcaKYesSuDw7\n"
	"/pvH\n"
	"-----END CERTIFICATE-----\n";
/* throwaway test key (fuzzing only) */
static const char key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJc/EefMZx3d5Xd9z\n"
	"cSqmDoNhiftPN7dDYIAvsEOZuu6hRANCAARcdBGDLL9/QyhTMOyMP8+ahrEYTjMU\n"
	"KJ9GXt+8QuO6hFJjQG5gthd0HOhAnj4Dayvvi95VydSC66DNWzZe7feB\n"
	"-----END PRIVATE KEY-----\n";
static const char other_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglyM09VowJKZj+R/L\n"
	"jx4n+IYux1elufD9KQc1NVy8qpehRANCAARC54upe5ACkrK6kGDL97XGu0QvR+do\n"
	"xjKcCZfbG1nU4cWR9nbyPhb9H5aBI2c+YMIk0rA5CaFrsh1faQ2H12vU\n"
	"-----END PRIVATE KEY-----\n";

#define DIR_PREFIX "/tmp/ebpfctl-fuzz-webcfg."
static char dir[64];
static char path[128];

static void put(const char *name, const void *p, size_t n)
{
	char file[128];
	int fd;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
		fprintf(fz_stderr(), "fuzz_webconfig: cannot write %s\n", file);
		abort();
	}
	close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A crash or a kill skips atexit: remove the directories of dead runs. */
static void sweep(void)
{
	DIR *d = opendir("/tmp");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[300];
		long pid;

		if (strncmp(e->d_name, "ebpfctl-fuzz-webcfg.", 20) || (pid = atol(e->d_name + 20)) <= 0 ||
		    !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "/tmp/%s", e->d_name);
		nftw(p, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
	if (d)
		closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silent();
	sweep();
	snprintf(dir, sizeof(dir), DIR_PREFIX "%ld", (long)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(fz_stderr(), "fuzz_webconfig: mkdir %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	atexit(cleanup);
	put("server.crt", cert_pem, strlen(cert_pem));
	put("ca.crt", cert_pem, strlen(cert_pem));
	put("server.key", key_pem, strlen(key_pem));
	put("other.key", other_key_pem, strlen(other_key_pem));
	put("empty", "", 0);
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct webcfg *c = NULL;
	struct rerr err = {};
	char prio[256];
	int r;

	put("web.yml", data, size);
	r = webcfg_load(path, &c, &err);
	if (r) {
		FZ_CHECK(r < 0 && !c, "returned %d", r);
		FZ_CHECK(!strncmp(err.msg, "--web-config ", 13) && strstr(err.msg, path), "message '%s'", err.msg);
		return 0;
	}
	FZ_CHECK(c, "no configuration");
	if (c->tls)
		FZ_CHECK(c->cert_pem && c->key_pem, "TLS without a certificate or key");
	for (int i = 0; i < c->n_users; i++) {
		const char *h = c->users[i].value;
		int cost;

		FZ_CHECK(c->users[i].name && h && strlen(h) == 60 && h[0] == '$' && h[1] == '2', "user %d hash '%s'", i,
			 h);
		cost = (h[4] - '0') * 10 + (h[5] - '0');
		FZ_CHECK(cost >= 4 && cost <= WEBCFG_MAX_BCRYPT_COST, "user '%s': cost %d", c->users[i].name, cost);
		FZ_CHECK(!strchr(c->users[i].name, ':'), "user '%s'", c->users[i].name);
	}
	for (int i = 0; i < c->n_headers; i++)
		FZ_CHECK(c->headers[i].name && c->headers[i].value && !strpbrk(c->headers[i].value, "\r\n"),
			 "header %d", i);
	webcfg_priorities(c, prio, sizeof(prio));
	FZ_CHECK(!strncmp(prio, "NORMAL:-VERS-ALL", 16), "priorities '%s'", prio);
	for (const char *p = prio + 16; *p; p += 13)
		FZ_CHECK(!strncmp(p, ":+VERS-TLS1.", 12) && p[12] >= '0' && p[12] <= '3', "priorities '%s'", prio);
	webcfg_free(c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	fz_check_silent();
	return 0;
}
