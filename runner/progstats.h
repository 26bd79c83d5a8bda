/* SPDX-License-Identifier: MIT */
/* What each loaded program costs the kernel (DESIGN.md section 8):
 * ebpfctl_program_info always, run count and run time from bpf_prog_info
 * while the kernel's BPF stats are on (--bpf-stats turns them on for the
 * run).  Read at each scrape from the HTTP thread; programs are added
 * before the server starts and never removed while it runs. */
#ifndef EBPFCTL_PROGSTATS_H
#define EBPFCTL_PROGSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "strbuf.h"

struct progstats_prog {
	char *object;		/* label value; NULL: a run with one object */
	char *object_name;	/* always set: the object's name */
	char *name;
	char *type;		/* libbpf's program type name ("tracepoint") */
	int fd;
};

struct progstats {
	struct progstats_prog *progs;
	int n;
	/* this run holds a BPF_ENABLE_STATS fd: the sysctl still reads 0 then
	 * (it shows only its own setting), but the kernel counts */
	bool enabled;
};

int progstats_add(struct progstats *ps, const char *object, bool label_object, const char *name,
		  const char *type, int fd);
void progstats_free(struct progstats *ps);
/* The kernel counts run time: kernel.bpf_stats_enabled is 1 or ps->enabled. */
bool progstats_on(const struct progstats *ps);
/* Turn BPF_STATS_RUN_TIME on for as long as the returned fd is open (it
 * goes back off when the last holder closes it).  fd or -errno. */
int progstats_enable(void);
/* Append the families (text format 0.0.4). */
void progstats_render(const struct progstats *ps, struct strbuf *out);
/* Run count and time of one program: 0 or -errno. */
int progstats_read(int fd, uint64_t *runs, uint64_t *run_ns);

#endif
