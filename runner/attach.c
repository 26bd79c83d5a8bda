// SPDX-License-Identifier: MIT
/* Which programs libbpf 1.1 can auto-attach, and what the rest lack.  The
 * table mirrors libbpf's section_defs so messages can name the kind. */
#include <string.h>
#include "attach.h"

struct sec_kind {
	const char *prefix;	/* matched exactly or followed by '/' */
	const char *kind;
	const char *missing;	/* NULL: auto-attachable once a target is given */
	bool tracefs;
	bool iter;
	bool none;
};

static const struct sec_kind kinds[] = {
	{ "tracepoint", "tracepoint", .tracefs = true },
	{ "tp", "tracepoint", .tracefs = true },
	{ "raw_tracepoint", "raw tracepoint" },
	{ "raw_tp", "raw tracepoint" },
	{ "raw_tracepoint.w", "raw tracepoint" },
	{ "raw_tp.w", "raw tracepoint" },
	{ "tp_btf", "BTF tracepoint" },
	{ "fentry", "fentry" },
	{ "fexit", "fexit" },
	{ "fmod_ret", "fmod_ret" },
	{ "fentry.s", "fentry" },
	{ "fexit.s", "fexit" },
	{ "fmod_ret.s", "fmod_ret" },
	{ "lsm", "lsm" },
	{ "lsm.s", "lsm" },
	{ "kprobe", "kprobe" },
	{ "kretprobe", "kretprobe" },
	{ "kprobe.multi", "kprobe.multi" },
	{ "kretprobe.multi", "kretprobe.multi" },
	{ "ksyscall", "ksyscall" },
	{ "kretsyscall", "kretsyscall" },
	{ "uprobe", "uprobe" },
	{ "uretprobe", "uretprobe" },
	{ "uprobe.s", "uprobe" },
	{ "uretprobe.s", "uretprobe" },
	{ "usdt", "usdt" },
	{ "iter", "iter", .iter = true },
	{ "iter.s", "iter", .iter = true },
	{ "xdp", "xdp", "a network interface" },
	{ "xdp.frags", "xdp", "a network interface" },
	{ "tc", "tc", "a network interface and direction" },
	{ "classifier", "tc", "a network interface and direction" },
	{ "action", "tc action", "a network interface and direction" },
	{ "cgroup", "cgroup", "a cgroup" },
	{ "cgroup_skb", "cgroup_skb", "a cgroup" },
	{ "lsm_cgroup", "lsm_cgroup", "a cgroup" },
	{ "sockops", "sockops", "a cgroup" },
	{ "sk_skb", "sk_skb", "a sockmap" },
	{ "sk_msg", "sk_msg", "a sockmap" },
	{ "sk_lookup", "sk_lookup", "a network namespace" },
	{ "sk_reuseport", "sk_reuseport", "a socket" },
	{ "socket", "socket filter", "a socket" },
	{ "flow_dissector", "flow_dissector", "a network namespace" },
	{ "perf_event", "perf_event", "a perf event (type and CPU)" },
	{ "lwt_in", "lwt", "a route" },
	{ "lwt_out", "lwt", "a route" },
	{ "lwt_xmit", "lwt", "a route" },
	{ "lwt_seg6local", "lwt", "a route" },
	{ "struct_ops", "struct_ops", .none = true },
	{ "struct_ops.s", "struct_ops", .none = true },
	{ "syscall", "syscall", .none = true },
	{ "netfilter", "netfilter", "a netfilter hook" },
};

/* Auto-attach kinds whose bare section (no "/target") cannot attach. */
static const char *bare_missing(const char *kind)
{
	if (!strcmp(kind, "uprobe") || !strcmp(kind, "uretprobe"))
		return "a binary and function (SEC(\"uprobe/PATH:FUNCTION\"))";
	if (!strcmp(kind, "usdt"))
		return "a binary, provider and probe (SEC(\"usdt/PATH:PROVIDER:NAME\"))";
	if (!strcmp(kind, "tracepoint"))
		return "a tracepoint (SEC(\"tracepoint/CATEGORY/NAME\"))";
	if (!strcmp(kind, "raw tracepoint") || !strcmp(kind, "BTF tracepoint"))
		return "a tracepoint name";
	if (!strncmp(kind, "kprobe", 6) || !strncmp(kind, "kretprobe", 9))
		return "a kernel function (SEC(\"kprobe/FUNCTION\"))";
	if (!strcmp(kind, "ksyscall") || !strcmp(kind, "kretsyscall"))
		return "a syscall name";
	if (!strcmp(kind, "iter"))
		return "an iterator target";
	return NULL;
}

void attach_classify(const char *sec, struct attach_info *ai)
{
	const struct sec_kind *best = NULL;
	size_t best_len = 0;

	*ai = (struct attach_info){ .how = ATTACH_NEEDS_TARGET, .kind = sec, .target = "",
				    .missing = "a known section name (see libbpf's program types)" };
	if (sec[0] == '?')
		sec++;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(sec, kinds[i].prefix, n) || (sec[n] && sec[n] != '/'))
			continue;
		if (n > best_len) {
			best = &kinds[i];
			best_len = n;
		}
	}
	if (!best)
		return;
	ai->kind = best->kind;
	ai->target = sec[best_len] == '/' ? sec + best_len + 1 : "";
	ai->tracefs = best->tracefs;
	ai->iter = best->iter;
	if (best->none) {
		ai->how = ATTACH_NONE;
		ai->missing = NULL;
	} else if (best->missing) {
		ai->missing = best->missing;
	} else if (!*ai->target && bare_missing(best->kind)) {
		ai->missing = bare_missing(best->kind);
	} else {
		/* fentry/fexit/lsm/tp_btf resolve their target at load time */
		ai->how = ATTACH_AUTO;
		ai->missing = NULL;
	}
}
