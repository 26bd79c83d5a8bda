/* SPDX-License-Identifier: MIT */
/* What the loader knows about each exported map: shared by the event
 * consumer, the map poller (print) and the metrics renderer. */
#ifndef EBPFCTL_EXPORT_H
#define EBPFCTL_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

struct btf;

enum out_kind {
	OUT_NONE = 0,
	OUT_PRINT,
	OUT_COUNTER,
	OUT_GAUGE,
	OUT_HIST,
};

/* "print" -> OUT_PRINT ...; NULL for anything else. */
const char *out_kind_name(enum out_kind kind);
/* Parse a .maps suffix ("print"...); returns OUT_NONE for "" and -1 if unknown. */
int out_kind_from_suffix(const char *suffix);
/* Bumblebee name prefix ("counter_x" -> OUT_COUNTER, *rest = "x"); OUT_NONE if none. */
enum out_kind out_kind_from_prefix(const char *name, const char **rest);

/* Map types that can carry an output kind (DESIGN.md section 4). */
bool out_map_type_supported(uint32_t type);
#define OUT_SUPPORTED_TYPES \
	"ringbuf, perf_event_array, hash, lru_hash, percpu_hash, lru_percpu_hash, array, percpu_array"

struct export_map {
	char *name;		/* the map's real name: used in JSON lines */
	char *metric_name;	/* name used in metric families (bumblebee prefix dropped) */
	enum out_kind kind;
	uint32_t type;		/* enum bpf_map_type */
	int fd;			/* valid after load */
	uint32_t key_size;
	uint32_t value_size;	/* for RINGBUF/PERF_EVENT_ARRAY: size of the event type */
	uint32_t max_entries;
	uint32_t key_type_id;	/* BTF ids in btf; 0 if none */
	uint32_t value_type_id;	/* for RINGBUF/PERF_EVENT_ARRAY: the event type */
	const struct btf *btf;	/* the object's BTF (bpf_object__btf) */
	bool percpu;		/* PERCPU_HASH, LRU_PERCPU_HASH, PERCPU_ARRAY */
	int ncpu;		/* libbpf_num_possible_cpus() */
	bool is_event;		/* RINGBUF or PERF_EVENT_ARRAY */
	/* the object's name when the run has several (JSON lines carry it
	 * right after "time"); NULL with one object */
	const char *object;
};

#endif
