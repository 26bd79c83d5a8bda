/* SPDX-License-Identifier: MIT */
/* Probe scaffolds for `ebpfctl init`: a commented probe.bpf.c generated from a
 * (program type, map type, output type) combination. */
#ifndef EBPFCTL_SCAFFOLD_H
#define EBPFCTL_SCAFFOLD_H

#include <stdbool.h>
#include "rerr.h"
#include "strbuf.h"

enum scaffold_prog { SCAFFOLD_NETWORK, SCAFFOLD_FILE, SCAFFOLD_PROCESS, SCAFFOLD_SYSCALL, SCAFFOLD_NPROG };
enum scaffold_map { SCAFFOLD_RINGBUF, SCAFFOLD_HASH, SCAFFOLD_NMAP };
enum scaffold_out { SCAFFOLD_PRINT, SCAFFOLD_COUNTER, SCAFFOLD_GAUGE, SCAFFOLD_HIST, SCAFFOLD_NOUT };

struct scaffold_choice {
	const char *name;
	const char *summary;
};

extern const struct scaffold_choice scaffold_progs[SCAFFOLD_NPROG];
extern const struct scaffold_choice scaffold_maps[SCAFFOLD_NMAP];
extern const struct scaffold_choice scaffold_outputs[SCAFFOLD_NOUT];

/* Index of name in a choice table, -1 if absent. */
int scaffold_lookup(const struct scaffold_choice *table, int n, const char *name);

/* Whether the combination can be generated; if not, *why says what to pick
 * instead (a sentence without a trailing period). */
bool scaffold_supported(int prog, int map, int out, const char **why);

/* Append the probe source for the combination to sb.  file_name is the base
 * name shown in the comments' build/run commands. */
int scaffold_generate(int prog, int map, int out, const char *file_name, struct strbuf *sb,
		      struct rerr *err);

#endif
