/* SPDX-License-Identifier: MIT */
/* stack_id members as symbolized frames (DESIGN.md section 8): the resolver
 * btf_fmt calls for JSON and label text, and the --folded writer.  Each
 * object with a BPF_MAP_TYPE_STACK_TRACE map registers it; a stack_id of
 * that object's records is looked up there.  The symbolizer (stacks.c) is
 * single-threaded: calls are serialized with a mutex (the event thread and
 * the scrape thread both render). */
#ifndef EBPFCTL_STACKFMT_H
#define EBPFCTL_STACKFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "rerr.h"
#include "strbuf.h"

struct btf;
struct stackfmt;

int stackfmt_new(const char *host_root, struct stackfmt **out);
void stackfmt_free(struct stackfmt *sf);
/* The STACK_TRACE map of the object whose BTF is btf (the first one wins). */
int stackfmt_add_map(struct stackfmt *sf, const struct btf *btf, int fd, uint32_t value_size);
/* Read kallsyms now (before capabilities are dropped: with kptr_restrict=1
 * only CAP_SYSLOG sees its addresses). */
void stackfmt_preload(struct stackfmt *sf);
/* fmt_stack_fn (btf_fmt.h); ctx is the struct stackfmt. */
size_t stackfmt_render(void *ctx, const struct btf *btf, int64_t id, uint32_t pid, bool text, char *w,
		       size_t room);

/* --folded: a hash/array counter map whose key has stack_id members is
 * written as `comm;user frames;kernel frames count` lines, outermost frame
 * first, identical lines merged.  true when em is such a map. */
bool stackfmt_folded_map(const struct export_map *em);
/* Write every such map to path (temp file + rename): 0 or -errno. */
int stackfmt_write_folded(struct stackfmt *sf, const struct export_map *const *maps, int n, const char *path,
			  struct rerr *err);

#endif
