// SPDX-License-Identifier: MIT
/* Which programs libbpf 1.1 can auto-attach, and what the rest lack.  The
 * table mirrors libbpf's section_defs so messages can name the kind. */
#include <string.h>
#include "attach.h"

struct sec_kind {
	const char *prefix;	/* matched exactly or followed by '/' */
	const char *kind;
	const char *missing;	/* NULL: auto-attachable once a target is given */
	enum attach_tgt tgt;
	bool tracefs;
	bool iter;
	bool none;
	bool ret;
};

#define NET_IFACE "a network interface"
#define A_CGROUP "a cgroup"

static const struct sec_kind kinds[] = {
	{ "tracepoint", "tracepoint", .tgt = TGT_TRACEPOINT, .tracefs = true },
	{ "tp", "tracepoint", .tgt = TGT_TRACEPOINT, .tracefs = true },
	{ "raw_tracepoint", "raw tracepoint", .tgt = TGT_RAW_TP },
	{ "raw_tp", "raw tracepoint", .tgt = TGT_RAW_TP },
	{ "raw_tracepoint.w", "raw tracepoint", .tgt = TGT_RAW_TP },
	{ "raw_tp.w", "raw tracepoint", .tgt = TGT_RAW_TP },
	{ "tp_btf", "BTF tracepoint", .tgt = TGT_BTF },
	{ "fentry", "fentry", .tgt = TGT_BTF },
	{ "fexit", "fexit", .tgt = TGT_BTF },
	{ "fmod_ret", "fmod_ret", .tgt = TGT_BTF },
	{ "fentry.s", "fentry", .tgt = TGT_BTF },
	{ "fexit.s", "fexit", .tgt = TGT_BTF },
	{ "fmod_ret.s", "fmod_ret", .tgt = TGT_BTF },
	{ "lsm", "lsm", .tgt = TGT_BTF },
	{ "lsm.s", "lsm", .tgt = TGT_BTF },
	{ "kprobe", "kprobe", .tgt = TGT_KPROBE },
	{ "kretprobe", "kretprobe", .tgt = TGT_KPROBE, .ret = true },
	{ "kprobe.multi", "kprobe.multi" },
	{ "kretprobe.multi", "kretprobe.multi" },
	{ "ksyscall", "ksyscall", .tgt = TGT_KSYSCALL },
	{ "kretsyscall", "kretsyscall", .tgt = TGT_KSYSCALL, .ret = true },
	{ "uprobe", "uprobe", .tgt = TGT_UPROBE },
	{ "uretprobe", "uretprobe", .tgt = TGT_UPROBE, .ret = true },
	{ "uprobe.s", "uprobe", .tgt = TGT_UPROBE },
	{ "uretprobe.s", "uretprobe", .tgt = TGT_UPROBE, .ret = true },
	{ "usdt", "usdt", .tgt = TGT_USDT },
	{ "iter", "iter", .iter = true },
	{ "iter.s", "iter", .iter = true },
	{ "xdp", "xdp", NET_IFACE, TGT_XDP },
	{ "xdp.frags", "xdp", NET_IFACE, TGT_XDP },
	{ "tc", "tc", NET_IFACE, TGT_TC },
	{ "tcx", "tc", NET_IFACE, TGT_TC },
	{ "classifier", "tc", NET_IFACE, TGT_TC },
	{ "action", "tc action", "a tc action", TGT_NOFLAG },
	{ "cgroup", "cgroup", A_CGROUP, TGT_CGROUP },
	{ "cgroup_skb", "cgroup_skb", A_CGROUP, TGT_CGROUP },
	{ "lsm_cgroup", "lsm_cgroup", A_CGROUP, TGT_CGROUP },
	{ "sockops", "sockops", A_CGROUP, TGT_CGROUP },
	{ "sk_skb", "sk_skb", "a sockmap", TGT_NOFLAG },
	{ "sk_msg", "sk_msg", "a sockmap", TGT_NOFLAG },
	{ "sk_lookup", "sk_lookup", "a network namespace", TGT_NOFLAG },
	{ "sk_reuseport", "sk_reuseport", "a socket", TGT_NOFLAG },
	{ "socket", "socket filter", "a socket", TGT_NOFLAG },
	{ "flow_dissector", "flow_dissector", "a network namespace", TGT_NOFLAG },
	{ "perf_event", "perf_event", "a perf event (type and CPU)", TGT_PERF },
	{ "lwt_in", "lwt", "a route", TGT_NOFLAG },
	{ "lwt_out", "lwt", "a route", TGT_NOFLAG },
	{ "lwt_xmit", "lwt", "a route", TGT_NOFLAG },
	{ "lwt_seg6local", "lwt", "a route", TGT_NOFLAG },
	{ "struct_ops", "struct_ops", "a struct_ops map registration", TGT_NOFLAG },
	{ "struct_ops.s", "struct_ops", "a struct_ops map registration", TGT_NOFLAG },
	{ "syscall", "syscall", .none = true },
	{ "netfilter", "netfilter", "a netfilter hook", TGT_NOFLAG },
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
	ai->tgt = best->tgt;
	ai->retprobe = best->ret;
	ai->egress = best->tgt == TGT_TC && !strcmp(ai->target, "egress");
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

bool attach_sec_is_new_tc(const char *sec)
{
	static const char *const names[] = { "tc/ingress", "tc/egress", "tcx/ingress", "tcx/egress" };

	if (sec[0] == '?')
		sec++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(sec, names[i]))
			return true;
	return false;
}
