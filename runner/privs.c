// SPDX-License-Identifier: MIT
/* Capabilities after attach, with libcap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "privs.h"

/* "cap_bpf", "CAP_BPF" or "bpf" -> the value */
static int cap_by_name(const char *name, cap_value_t *v)
{
	char buf[64];

	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	if (!*name || strlen(name) >= sizeof(buf) - 4)
		return -EINVAL;
	strcpy(buf, "cap_");
	for (size_t i = 0; name[i]; i++)
		buf[4 + i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	buf[4 + strlen(name)] = '\0';
	return cap_from_name(buf, v) ? -EINVAL : 0;
}

/* Calls fn for each name of a comma-separated list. */
static int for_each_name(const char *list, int (*fn)(void *ctx, cap_value_t v), void *ctx, struct rerr *err)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int e = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", ", &save); tok && !e; tok = strtok_r(NULL, ", ", &save)) {
		cap_value_t v;

		if (cap_by_name(tok, &v)) {
			e = rerr_usage(err, -EINVAL, "--capabilities-keep %s: unknown capability '%s'", list, tok);
			rerr_hint(err, "names as in capabilities(7): cap_bpf, cap_perfmon, cap_net_admin, ...; or none");
			break;
		}
		e = fn ? fn(ctx, v) : 0;
	}
	free(copy);
	return e;
}

int privs_check_keep(const char *keep, struct rerr *err)
{
	if (!keep || !strcmp(keep, "auto") || !strcmp(keep, "none"))
		return 0;
	return for_each_name(keep, NULL, NULL, err);
}

struct keepset {
	bool k[64];
};

static int mark(void *ctx, cap_value_t v)
{
	struct keepset *ks = ctx;

	if (v >= 0 && v < 64)
		ks->k[v] = true;
	return 0;
}

int privs_drop(const char *keep, const struct privs_need *need, struct rerr *err)
{
	struct keepset ks = {};
	cap_value_t list[64];
	int n = 0, e = 0, last = (int)cap_max_bits();
	bool can_bound;
	cap_t caps;

	if (!keep || !strcmp(keep, "auto")) {
		ks.k[CAP_NET_ADMIN] = need->net_admin;
		ks.k[CAP_SYS_ADMIN] = need->sys_admin;
		ks.k[CAP_SYS_PTRACE] = need->sys_ptrace;
		ks.k[CAP_SYSLOG] = need->syslog;
		ks.k[CAP_DAC_OVERRIDE] = need->dac_override;
		ks.k[CAP_DAC_READ_SEARCH] = need->dac_read_search;
	} else if (strcmp(keep, "none")) {
		e = for_each_name(keep, mark, &ks, err);
		if (e)
			return e;
	}
	caps = cap_get_proc();
	if (!caps)
		return rerr_set(err, -errno, "cannot read this process's capabilities: %s", strerror(errno));
	/* keep only what the process has now and we want */
	for (int c = 0; c < last && c < 64; c++) {
		cap_flag_value_t has = CAP_CLEAR;

		cap_get_flag(caps, (cap_value_t)c, CAP_PERMITTED, &has);
		if (ks.k[c] && has == CAP_SET)
			list[n++] = (cap_value_t)c;
	}
	{
		cap_flag_value_t setpcap = CAP_CLEAR;

		cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
		can_bound = setpcap == CAP_SET;
	}
	/* the bounding set first: dropping from it needs CAP_SETPCAP */
	if (can_bound)
		for (int c = 0; c < last; c++)
			if ((c >= 64 || !ks.k[c]) && CAP_IS_SUPPORTED(c) && cap_drop_bound((cap_value_t)c) && errno != EINVAL) {
				e = -errno;
				rerr_set(err, e, "cannot drop capability %s from the bounding set: %s", cap_to_name(c),
					 strerror(-e));
				goto out;
			}
	cap_clear(caps);
	if (n && (cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) ||
		  cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET))) {
		e = -errno;
		goto out;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (cap_set_proc(caps)) {
		e = -errno;
		rerr_set(err, e, "cannot drop capabilities: %s", strerror(-e));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char *nm = cap_to_name(list[i]);

		rinfo("capabilities: keeping %s", nm ? nm : "?");
		cap_free(nm);
	}
	if (!n)
		rinfo("capabilities: all dropped");
out:
	cap_free(caps);
	return e;
}

bool privs_bpf_capable(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t admin = CAP_CLEAR, bpf = CAP_CLEAR, perfmon = CAP_CLEAR;

	if (!caps)
		return false;
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &admin);
	if (CAP_IS_SUPPORTED(CAP_BPF))
		cap_get_flag(caps, CAP_BPF, CAP_EFFECTIVE, &bpf);
	if (CAP_IS_SUPPORTED(CAP_PERFMON))
		cap_get_flag(caps, CAP_PERFMON, CAP_EFFECTIVE, &perfmon);
	cap_free(caps);
	return admin == CAP_SET || (bpf == CAP_SET && perfmon == CAP_SET);
}
