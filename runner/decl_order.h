/* SPDX-License-Identifier: MIT */
/* Source declaration order of an object's global variables (maps): from
 * DWARF when the object has it, else from the DECL_ORDER_SEC note that
 * `ebpfctl build` writes before stripping DWARF. */
#ifndef EBPFCTL_DECL_ORDER_H
#define EBPFCTL_DECL_ORDER_H

#include <stddef.h>
#include <stdint.h>

#define DECL_ORDER_SEC ".ebpfctl.decl_order"

struct decl {
	char *name;
	uint64_t file;		/* DW_AT_decl_file */
	uint64_t line;		/* DW_AT_decl_line */
	size_t seq;
};

struct decl_order {
	struct decl *v;		/* sorted: declaration order */
	size_t n, cap;
};

/* Fill d (empty when the object records no order).  0 or -errno. */
int decl_order_read(const void *elf, size_t len, struct decl_order *d);
/* Write the order recorded in the object file OBJ to PATH, one name per
 * line: DECL_ORDER_SEC's contents.  -ENOENT when it records none. */
int decl_order_write(const char *obj, const char *path);
/* Position of NAME in declaration order, or -1. */
int decl_order_rank(const struct decl_order *d, const char *name);
void decl_order_free(struct decl_order *d);

#endif
