// SPDX-License-Identifier: MIT
/* attach_classify(): every section name family libbpf 1.1 knows, plus the
 * tc/ and tcx/ names it does not, maps to the right kind, target path and
 * flag (table-driven). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "attach.h"

struct row {
	const char *sec;
	enum attach_how how;
	enum attach_tgt tgt;
	const char *kind;
	const char *target;
	bool retprobe, egress, tracefs, iter;
};

static const struct row rows[] = {
	{ "tracepoint/syscalls/sys_enter_openat", ATTACH_AUTO, TGT_TRACEPOINT, "tracepoint",
	  "syscalls/sys_enter_openat", .tracefs = true },
	{ "tp/sched/sched_switch", ATTACH_AUTO, TGT_TRACEPOINT, "tracepoint", "sched/sched_switch", .tracefs = true },
	{ "tracepoint", ATTACH_NEEDS_TARGET, TGT_TRACEPOINT, "tracepoint", "", .tracefs = true },
	{ "raw_tp/sys_enter", ATTACH_AUTO, TGT_RAW_TP, "raw tracepoint", "sys_enter" },
	{ "raw_tracepoint.w/x", ATTACH_AUTO, TGT_RAW_TP, "raw tracepoint", "x" },
	{ "tp_btf/sched_switch", ATTACH_AUTO, TGT_BTF, "BTF tracepoint", "sched_switch" },
	{ "fentry/vfs_read", ATTACH_AUTO, TGT_BTF, "fentry", "vfs_read" },
	{ "fentry", ATTACH_AUTO, TGT_BTF, "fentry", "" },
	{ "fexit.s/x", ATTACH_AUTO, TGT_BTF, "fexit", "x" },
	{ "lsm/file_open", ATTACH_AUTO, TGT_BTF, "lsm", "file_open" },
	{ "kprobe/do_sys_openat2", ATTACH_AUTO, TGT_KPROBE, "kprobe", "do_sys_openat2" },
	{ "kretprobe/do_sys_openat2", ATTACH_AUTO, TGT_KPROBE, "kretprobe", "do_sys_openat2", .retprobe = true },
	{ "kprobe", ATTACH_NEEDS_TARGET, TGT_KPROBE, "kprobe", "" },
	{ "ksyscall/getpgid", ATTACH_AUTO, TGT_KSYSCALL, "ksyscall", "getpgid" },
	{ "kretsyscall/getpgid", ATTACH_AUTO, TGT_KSYSCALL, "kretsyscall", "getpgid", .retprobe = true },
	{ "uprobe/libc.so.6:getpgid", ATTACH_AUTO, TGT_UPROBE, "uprobe", "libc.so.6:getpgid" },
	{ "uretprobe.s/x:y", ATTACH_AUTO, TGT_UPROBE, "uretprobe", "x:y", .retprobe = true },
	{ "uprobe", ATTACH_NEEDS_TARGET, TGT_UPROBE, "uprobe", "" },
	{ "usdt/p:prov:name", ATTACH_AUTO, TGT_USDT, "usdt", "p:prov:name" },
	{ "usdt", ATTACH_NEEDS_TARGET, TGT_USDT, "usdt", "" },
	{ "iter/task", ATTACH_AUTO, TGT_LIBBPF, "iter", "task", .iter = true },
	{ "xdp", ATTACH_NEEDS_TARGET, TGT_XDP, "xdp", "" },
	{ "xdp.frags", ATTACH_NEEDS_TARGET, TGT_XDP, "xdp", "" },
	{ "tc", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "" },
	{ "classifier", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "" },
	{ "tc/ingress", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "ingress" },
	{ "tc/egress", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "egress", .egress = true },
	{ "tcx/ingress", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "ingress" },
	{ "tcx/egress", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "egress", .egress = true },
	{ "cgroup_skb/egress", ATTACH_NEEDS_TARGET, TGT_CGROUP, "cgroup_skb", "egress" },
	{ "cgroup/connect4", ATTACH_NEEDS_TARGET, TGT_CGROUP, "cgroup", "connect4" },
	{ "cgroup/sysctl", ATTACH_NEEDS_TARGET, TGT_CGROUP, "cgroup", "sysctl" },
	{ "sockops", ATTACH_NEEDS_TARGET, TGT_CGROUP, "sockops", "" },
	{ "perf_event", ATTACH_NEEDS_TARGET, TGT_PERF, "perf_event", "" },
	{ "socket", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "socket filter", "" },
	{ "sk_msg", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "sk_msg", "" },
	{ "sk_skb/stream_verdict", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "sk_skb", "stream_verdict" },
	{ "sk_lookup", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "sk_lookup", "" },
	{ "flow_dissector", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "flow_dissector", "" },
	{ "struct_ops/x", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "struct_ops", "x" },
	{ "netfilter", ATTACH_NEEDS_TARGET, TGT_NOFLAG, "netfilter", "" },
	{ "syscall", ATTACH_NONE, TGT_LIBBPF, "syscall", "" },
	{ "?tracepoint/a/b", ATTACH_AUTO, TGT_TRACEPOINT, "tracepoint", "a/b", .tracefs = true },
	/* a prefix must be followed by '/' or end the name */
	{ "xdpx", ATTACH_NEEDS_TARGET, TGT_LIBBPF, "xdpx", "" },
	{ "tcx", ATTACH_NEEDS_TARGET, TGT_TC, "tc", "" },
};

static void test_classify_table(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct attach_info ai;

		attach_classify(r->sec, &ai);
		if (ai.how != r->how || ai.tgt != r->tgt || strcmp(ai.kind, r->kind) || strcmp(ai.target, r->target) ||
		    ai.retprobe != r->retprobe || ai.egress != r->egress || ai.tracefs != r->tracefs ||
		    ai.iter != r->iter)
			fail_msg("%s: how %d tgt %d kind '%s' target '%s' ret %d egress %d", r->sec, ai.how, ai.tgt,
				 ai.kind, ai.target, ai.retprobe, ai.egress);
		if (ai.how == ATTACH_NEEDS_TARGET)
			assert_non_null(ai.missing);
	}
}

static void test_new_tc_names(void **state)
{
	static const struct {
		const char *sec;
		bool is_new;
	} t[] = {
		{ "tc/ingress", true }, { "tc/egress", true }, { "tcx/ingress", true }, { "tcx/egress", true },
		{ "?tc/egress", true }, { "tc", false }, { "classifier", false }, { "tc/other", false },
		{ "tcx", false }, { "xdp", false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (attach_sec_is_new_tc(t[i].sec) != t[i].is_new)
			fail_msg("%s: expected %d", t[i].sec, t[i].is_new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_new_tc_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
