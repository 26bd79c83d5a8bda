// SPDX-License-Identifier: MIT
/* The map-kind table: section suffixes and bumblebee name prefixes. */
#include <string.h>
#include <linux/bpf.h>
#include "export.h"

static const char *const kind_names[] = {
	[OUT_PRINT] = "print",
	[OUT_COUNTER] = "counter",
	[OUT_GAUGE] = "gauge",
	[OUT_HIST] = "hist",
};

const char *out_kind_name(enum out_kind kind)
{
	if (kind <= OUT_NONE || kind > OUT_HIST)
		return NULL;
	return kind_names[kind];
}

int out_kind_from_suffix(const char *suffix)
{
	if (!suffix || !*suffix)
		return OUT_NONE;
	for (int k = OUT_PRINT; k <= OUT_HIST; k++)
		if (!strcmp(suffix, kind_names[k]))
			return k;
	return -1;
}

enum out_kind out_kind_from_prefix(const char *name, const char **rest)
{
	for (int k = OUT_PRINT; k <= OUT_HIST; k++) {
		size_t n = strlen(kind_names[k]);

		/* "counter_" alone has no metric name left: not the convention */
		if (!strncmp(name, kind_names[k], n) && name[n] == '_' && name[n + 1]) {
			if (rest)
				*rest = name + n + 1;
			return k;
		}
	}
	if (rest)
		*rest = name;
	return OUT_NONE;
}

bool out_map_type_supported(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return true;
	default:
		return false;
	}
}
