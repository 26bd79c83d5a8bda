// SPDX-License-Identifier: MIT
/* Go's time.ParseDuration syntax, plus a bare number meaning seconds. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runner.h"

static const struct {
	const char *unit;
	double ns;
} units[] = {
	/* longest first so "ms" is not read as "m" */
	{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
	{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
};

int parse_duration(const char *s, uint64_t *ns)
{
	double total = 0;
	const char *p = s;
	char *end;
	bool neg = false;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	/* bare number: seconds */
	if (*p) {
		double v = strtod(p, &end);

		if (end != p && !*end && isdigit((unsigned char)*p) && strspn(p, "0123456789.") == strlen(p)) {
			total = v * 1e9;
			goto done;
		}
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		double v;
		size_t best = 0;
		double mult = 0;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		v = strtod(p, &end);
		if (end == p || (end > p && end[-1] == '.' && end - p == 1))
			return -EINVAL;
		/* strtod accepts exponents and hex; Go does not */
		for (const char *q = p; q < end; q++)
			if (!isdigit((unsigned char)*q) && *q != '.')
				return -EINVAL;
		p = end;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (n > best && !strncmp(p, units[i].unit, n)) {
				best = n;
				mult = units[i].ns;
			}
		}
		if (!best)
			return -EINVAL;
		p += best;
		total += v * mult;
	}
done:
	if (neg && total > 0)
		return -ERANGE;
	if (!(total >= 1) || total > 1.8e19 || isnan(total))
		return -ERANGE;
	*ns = (uint64_t)llround(total);
	return 0;
}
