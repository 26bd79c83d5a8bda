// SPDX-License-Identifier: MIT
/* $PATH lookups (pathsearch.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "pathsearch.h"

bool path_is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Look name up in $PATH like execvp would; 0 and the full path, or -ENOENT. */
int path_search(const char *name, char *buf, size_t sz)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		size_t n;

		end = strchrnul(p, ':');
		n = end - p;
		if (n == 0) {
			/* empty PATH element means the current directory */
			if ((size_t)snprintf(buf, sz, "./%s", name) < sz && path_is_exec(buf))
				return 0;
		} else if ((size_t)snprintf(buf, sz, "%.*s/%s", (int)n, p, name) < sz &&
			   path_is_exec(buf)) {
			return 0;
		}
		if (!*end)
			break;
	}
	return -ENOENT;
}

/* Highest N of an executable <prefix>N on $PATH, -1 if none. */
int path_newest_versioned(const char *prefix)
{
	const char *path = getenv("PATH");
	size_t plen = strlen(prefix);
	char dir[PATH_MAX], full[PATH_MAX + 256];
	const char *p, *end;
	struct dirent *de;
	int best = -1;
	DIR *d;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(dir, sizeof(dir), "%.*s", (int)(end - p), p) < sizeof(dir) &&
		    (d = opendir(*dir ? dir : "."))) {
			while ((de = readdir(d))) {
				const char *num = de->d_name + plen;
				char *rest;
				long v;

				if (strncmp(de->d_name, prefix, plen) || *num < '0' || *num > '9')
					continue;
				v = strtol(num, &rest, 10);
				if (*rest || v > 9999 || v <= best)
					continue;
				snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", de->d_name);
				if (path_is_exec(full))
					best = v;
			}
			closedir(d);
		}
		if (!*end)
			break;
	}
	return best;
}
