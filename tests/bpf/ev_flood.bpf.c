// A flood through include/ebpfctl_helpers.h: see ev_flood.h.
#include "ev_flood.h"
