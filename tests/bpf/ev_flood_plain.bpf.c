// ev_flood.h with the plain kernel helpers: no loss counters (what a probe
// without ebpfctl_helpers.h gets: the same families, ring buffer losses at 0).
#define FLOOD_PLAIN
#include "ev_flood.h"
