/* SPDX-License-Identifier: MIT */
#ifndef EBPFCTL_ATTACH_H
#define EBPFCTL_ATTACH_H

#include <stdbool.h>

struct bpf_program;

enum attach_how {
	ATTACH_AUTO,		/* libbpf attaches it from the section name */
	ATTACH_NEEDS_TARGET,	/* a target libbpf cannot infer (xdp, bare uprobe...) */
	ATTACH_NONE,		/* never attached: run by other means (syscall) */
};

struct attach_info {
	enum attach_how how;
	const char *kind;	/* "tracepoint", "uprobe", ... for messages */
	const char *target;	/* the part after the first '/', "" if none */
	const char *missing;	/* for ATTACH_NEEDS_TARGET: what is missing */
	bool tracefs;		/* attach reads tracefs (classic tracepoints) */
	bool iter;
};

/* Classify a program by its ELF section name (libbpf 1.1's section_defs). */
void attach_classify(const char *sec, struct attach_info *ai);

#endif
