/* SPDX-License-Identifier: MIT */
/* Finding tools on $PATH as execvp does: shared by `build` (clang,
 * llvm-strip) and `doctor`, which must find exactly what build would. */
#ifndef EBPFCTL_PATHSEARCH_H
#define EBPFCTL_PATHSEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* A regular file we may execute. */
bool path_is_exec(const char *path);
/* name looked up in $PATH (an empty element is the current directory);
 * 0 and the full path in buf, or -ENOENT. */
int path_search(const char *name, char *buf, size_t sz);
/* Highest N of an executable <prefix>N on $PATH ("clang-" -> 14), -1 if none. */
int path_newest_versioned(const char *prefix);

#endif
