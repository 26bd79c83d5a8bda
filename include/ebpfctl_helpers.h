/* SPDX-License-Identifier: MIT */
/*
 * ebpfctl_helpers.h - count what you drop.
 *
 * The kernel does not count the records bpf_ringbuf_output() and
 * bpf_ringbuf_reserve() could not place (the ring was full): only the probe
 * knows.  Declare a loss counter next to the map and write through these
 * helpers; ebpfctl finds the counter by its name and reports it as
 * ebpfctl_events_lost_total{map="events"} and in the exit summary
 * ("warning: map 'events': 12 events lost"), so that
 *
 *     records produced = records delivered + ebpfctl_events_lost_total
 *
 * holds exactly (spec/metrics.md, "Counting lost records").
 *
 *     #include "vmlinux.h"		(or <linux/bpf.h>)
 *     #include <bpf/bpf_helpers.h>
 *     #include "ebpfctl_helpers.h"
 *
 *     struct {
 *             __uint(type, BPF_MAP_TYPE_RINGBUF);
 *             __uint(max_entries, 1 << 20);
 *             __type(value, struct event);
 *     } events SEC(".maps.print");
 *     EBPFCTL_LOSS_COUNTER(events);
 *
 *     e = ebpfctl_ringbuf_reserve(events, sizeof(*e), 0);
 *     if (!e)
 *             return 0;		   (counted: nothing else to do)
 *     ...
 *     bpf_ringbuf_submit(e, 0);
 *
 *     or, with a record on the stack:
 *     ebpfctl_ringbuf_output(events, &e, sizeof(e), 0);
 *
 * The helpers take the map's NAME (events, not &events), return what the
 * kernel helper returned, and on failure add 1 to the map's counter with one
 * atomic add (BPF_XADD, which every kernel with BPF has; no map lookup).  Each
 * argument is evaluated once; MAP must be the map's identifier.  A record the
 * probe reserves and then discards (bpf_ringbuf_discard) is not lost.  Use
 * them for every write to the map: a plain bpf_ringbuf_output() that fails
 * is not counted.  A helper used without EBPFCTL_LOSS_COUNTER(map) does not
 * compile ("use of undeclared identifier '__ebpfctl_lost_events'").
 *
 * Perf event arrays work the same way with ebpfctl_perf_output(); there the
 * kernel also counts full-buffer drops, but only reports them with the next
 * record it manages to write to that CPU's buffer (and never for the last
 * drops of a run), and not at all the records written while no reader has
 * opened that CPU's buffer (-ENOENT): ebpfctl reports the larger of the
 * kernel's count and the probe's, never their sum.
 *
 * The counter is a global `unsigned long long __ebpfctl_lost_<map>` in the
 * section ".data.ebpfctl_lost" (one small internal map per object, which
 * ebpfctl maps read-only: a scrape reads it without a system call).  It is
 * not a --set global.  ebpfctl accepts such a counter in any data section
 * (.data, .bss), so one can be declared by hand; without one, nothing
 * changes: the map's ebpfctl_events_lost_total stays what the kernel reports
 * (0 for a ring buffer).
 *
 * This header includes nothing and uses only builtin C types; its macros need
 * the helper declarations of <bpf/bpf_helpers.h> (or an equivalent) where
 * they are used, so include it after that, with vmlinux.h or the uapi
 * headers alike.
 */
#ifndef EBPFCTL_HELPERS_H
#define EBPFCTL_HELPERS_H

/* The section the counters live in, and the prefix ebpfctl looks for. */
#define EBPFCTL_LOSS_SECTION ".data.ebpfctl_lost"
#define EBPFCTL_LOSS_PREFIX "__ebpfctl_lost_"

/* The loss counter of ring buffer or perf event array MAP: a global the
 * probe defines once, at file scope, after the map. */
#define EBPFCTL_LOSS_COUNTER(map)                                                          \
	unsigned long long __ebpfctl_lost_##map __attribute__((section(EBPFCTL_LOSS_SECTION), \
							       used, aligned(8))) = 0

/* Add 1 to MAP's counter: a BPF_ATOMIC add, its result unused (BPF_XADD). */
#define ebpfctl_count_lost(map) ((void)__sync_fetch_and_add(&__ebpfctl_lost_##map, 1))

/* bpf_ringbuf_output(&map, data, size, flags), counting a failure. */
#define ebpfctl_ringbuf_output(map, data, size, flags)                                     \
	({                                                                                  \
		long __ebpfctl_r = bpf_ringbuf_output(&(map), (data), (size), (flags));      \
		if (__ebpfctl_r)                                                            \
			ebpfctl_count_lost(map);                                            \
		__ebpfctl_r;                                                                \
	})

/* bpf_ringbuf_reserve(&map, size, flags), counting a NULL. */
#define ebpfctl_ringbuf_reserve(map, size, flags)                                          \
	({                                                                                  \
		void *__ebpfctl_p = bpf_ringbuf_reserve(&(map), (size), (flags));            \
		if (!__ebpfctl_p)                                                           \
			ebpfctl_count_lost(map);                                            \
		__ebpfctl_p;                                                                \
	})

/* bpf_perf_event_output(ctx, &map, flags, data, size), counting a failure. */
#define ebpfctl_perf_output(ctx, map, flags, data, size)                                   \
	({                                                                                  \
		long __ebpfctl_r = bpf_perf_event_output((ctx), &(map), (flags), (data), (size)); \
		if (__ebpfctl_r)                                                            \
			ebpfctl_count_lost(map);                                            \
		__ebpfctl_r;                                                                \
	})

#endif
