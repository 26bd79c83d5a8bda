/* SPDX-License-Identifier: MIT */
/* Loss counters a probe keeps itself (include/ebpfctl_helpers.h): globals
 * named __ebpfctl_lost_<map>, 8-byte integers in any data section (the
 * helpers' own is .data.ebpfctl_lost), found by the object's BTF DATASEC
 * VARs and read through a read-only mmap of their internal map, so a scrape
 * reads them without a system call (spec/metrics.md, "Counting lost
 * records"). */
#ifndef EBPFCTL_LOSS_H
#define EBPFCTL_LOSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_map;

#define LOSS_PREFIX "__ebpfctl_lost_"

struct loss_counter {
	char *map;			/* the ring buffer / perf event array it counts for */
	struct bpf_map *dmap;		/* the internal map of its data section */
	uint32_t off;			/* offset in that section */
	const volatile uint64_t *p;	/* after loss_map(): the live value */
	bool claimed;
};

struct loss_mapping {
	struct bpf_map *dmap;
	void *addr;
	size_t len;
};

struct loss_set {
	struct loss_counter *c;
	int n;
	struct loss_mapping *mm;
	int nmm;
	const char *object;		/* for messages with several objects, else NULL */
};

/* After open (BTF and internal maps exist): find every __ebpfctl_lost_*
 * global.  One that is not an 8-byte integer is warned about and skipped.
 * OBJECT names the object in warnings (NULL with one object).  0 or -ENOMEM. */
int loss_scan(struct bpf_object *obj, const char *object, struct loss_set *ls);
/* After load: map each counter's section read-only.  A section that cannot
 * be mapped costs its counters (warned about); 0 or -ENOMEM. */
int loss_map(struct loss_set *ls);
/* The counter of event map NAME (marked claimed), or NULL. */
const struct loss_counter *loss_claim(struct loss_set *ls, const char *name);
/* Warn once per counter no exported event map claimed. */
void loss_warn_unclaimed(const struct loss_set *ls);
/* The counter's value now (0 for NULL or an unmapped counter). */
uint64_t loss_read(const struct loss_counter *c);
/* What a map reports as lost: KERNEL (perf lost records; 0 for a ring
 * buffer) or the probe's count, whichever is larger.  Every record the
 * kernel drops from a perf buffer is also a failed bpf_perf_event_output()
 * the probe counts, so the two are never added. */
static inline uint64_t loss_total(uint64_t kernel, const struct loss_counter *c)
{
	uint64_t p = loss_read(c);

	return p > kernel ? p : kernel;
}
void loss_free(struct loss_set *ls);

#endif
