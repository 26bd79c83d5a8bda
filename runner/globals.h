/* SPDX-License-Identifier: MIT */
#ifndef EBPFCTL_GLOBALS_H
#define EBPFCTL_GLOBALS_H

#include <stdbool.h>
#include "rerr.h"
#include "runner.h"

struct bpf_object;

/* Write each NAME=VALUE into the object's .rodata/.data/.bss image (after
 * open, before load), parsed by the global's BTF type.  Values that do not
 * parse are usage errors; so are unknown names (listing the settable
 * globals) unless USED is given: then a name the object does not declare is
 * skipped and used[i] marks each one that was set (several objects). */
int globals_apply(struct bpf_object *obj, const struct runner_set *sets, int n, bool *used,
		  struct rerr *err);

/* Each global --set can write: its name and declared type ("__u32"). */
void globals_each_settable(struct bpf_object *obj, void (*fn)(void *ctx, const char *name, const char *type),
			   void *ctx);

#endif
