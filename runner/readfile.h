/* SPDX-License-Identifier: MIT */
/* Read a regular file whole into a malloc'd buffer; make a directory and its parents. */
#ifndef EBPFCTL_READFILE_H
#define EBPFCTL_READFILE_H

#include <stddef.h>
#include <sys/types.h>

/* 0, or -errno (-EISDIR for a directory, -EINVAL for a device or FIFO). */
int read_whole_file(const char *path, void **buf, size_t *len);

/* mkdir -p: PATH and its missing parents; 0 when it is (now) a directory. */
int mkdir_p(const char *path, mode_t mode);

/* Write a file whole, atomically: a temp file beside it (of MODE), renamed
 * over PATH once written; 0 or -errno, and no temp file left on failure. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);

#endif
