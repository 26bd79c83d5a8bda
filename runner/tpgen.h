/* SPDX-License-Identifier: MIT */
/* Zero-code tracepoints (DESIGN.md section 16): a probe source that captures
 * the named fields of one classic tracepoint into a ring buffer print map
 * named "events", from the tracepoint's format file in tracefs. */
#ifndef EBPFCTL_TPGEN_H
#define EBPFCTL_TPGEN_H

#include <stdbool.h>
#include "rerr.h"
#include "strbuf.h"

/* Bound of every string a generated probe reads (char * and __data_loc). */
#define TPGEN_STR_MAX	256
/* Bound of a __data_loc array of anything but char. */
#define TPGEN_ARRAY_MAX	64

struct tp_field {
	char name[64];
	char type[128];		/* as the format file declares it */
	unsigned int offset, size;
	bool is_signed;
};

struct tp_format {
	char category[64];
	char name[128];
	struct tp_field *fields;	/* the tracepoint's own (no common_*) */
	int n_fields;
};

/* Read CATEGORY:NAME's format (CATEGORY/NAME works too), mounting tracefs for
 * the moment when none is mounted.  Unknown tracepoints are usage errors with
 * the valid names in the hint. */
int tpgen_load(const char *spec, struct tp_format *fmt, struct rerr *err);
void tpgen_free(struct tp_format *fmt);
/* Parse a format file's text (tpgen_load's second half; for tests). */
int tpgen_parse(const char *text, struct tp_format *fmt, struct rerr *err);

/* The probe source for FIELDS (a comma-separated list; NULL or "": every
 * field).  An unknown field is a usage error listing the valid ones.
 * how_made goes into the header comment (the command line). */
int tpgen_source(const struct tp_format *fmt, const char *fields, const char *how_made, struct strbuf *out,
		 struct rerr *err);

#endif
