/* SPDX-License-Identifier: MIT */
#ifndef EBPFCTL_GLOBALS_H
#define EBPFCTL_GLOBALS_H

#include "rerr.h"
#include "runner.h"

struct bpf_object;

/* Write each NAME=VALUE into the object's .rodata/.data/.bss image (after
 * open, before load), parsed by the global's BTF type.  Unknown names and
 * values that do not parse are usage errors listing the settable globals. */
int globals_apply(struct bpf_object *obj, const struct runner_set *sets, int n, struct rerr *err);

#endif
