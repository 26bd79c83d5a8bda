/* SPDX-License-Identifier: MIT */
/* Read a regular file whole into a malloc'd buffer. */
#ifndef EBPFCTL_READFILE_H
#define EBPFCTL_READFILE_H

#include <stddef.h>

/* 0, or -errno (-EISDIR for a directory, -EINVAL for a device or FIFO). */
int read_whole_file(const char *path, void **buf, size_t *len);

#endif
