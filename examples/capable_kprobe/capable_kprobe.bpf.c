// SPDX-License-Identifier: GPL-2.0
/*
 * capable_kprobe: every capability check the kernel makes (cap_capable()),
 * with the verdict, as JSON lines, and a counter per capability and verdict.
 * Written with a kprobe/kretprobe pair, as bcc's and bumblebee's capable are:
 * before 6.14 the kernel has no tracepoint for capability checks.
 *
 *   ebpfctl build capable_kprobe.bpf.c
 *   sudo ebpfctl run capable_kprobe.bpf.o
 *   sudo ebpfctl run --set target_pid=1234 capable_kprobe.bpf.o   # one process
 *
 * Needs a kernel with kprobes (CONFIG_KPROBES).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "solo_types.h"

/* Capability names instead of numbers (include/uapi/linux/capability.h). */
enum capability {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
	CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_LINUX_IMMUTABLE,
	CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_ADMIN, CAP_NET_RAW,
	CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_CHROOT,
	CAP_SYS_PTRACE, CAP_SYS_PACCT, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_NICE,
	CAP_SYS_RESOURCE, CAP_SYS_TIME, CAP_SYS_TTY_CONFIG, CAP_MKNOD, CAP_LEASE,
	CAP_AUDIT_WRITE, CAP_AUDIT_CONTROL, CAP_SETFCAP, CAP_MAC_OVERRIDE,
	CAP_MAC_ADMIN, CAP_SYSLOG, CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_AUDIT_READ,
	CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE,
};
enum verdict { ALLOWED, DENIED };
#define CAP_OPT_NOAUDIT 0x2	/* include/linux/security.h */

/* --set target_pid=N: only checks made by this process (0: all) */
const volatile u32 target_pid = 0;

struct event {
	u32 pid;
	u32 uid;
	char comm[16];
	enum capability cap;
	bool audit;		/* false: a probing check (e.g. ns_capable_noaudit) */
	enum verdict verdict;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
	__type(value, struct event);
} checks SEC(".maps.print");

struct check_key {
	enum capability cap;
	enum verdict verdict;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct check_key);
	__type(value, u64);
} capability_checks SEC(".maps.counter");

/* Private: the arguments of the cap_capable() call in progress, per thread. */
struct args {
	int cap;
	unsigned int opts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args);
} inflight SEC(".maps");

SEC("kprobe/cap_capable")
int BPF_KPROBE(cap_capable_entry, const struct cred *cred, struct user_namespace *ns,
	       int cap, unsigned int opts)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = id;
	struct args a = { .cap = cap, .opts = opts };

	if (target_pid && id >> 32 != target_pid)
		return 0;
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);
	return 0;
}

SEC("kretprobe/cap_capable")
int BPF_KRETPROBE(cap_capable_exit, int ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = id;
	struct check_key key = {};
	struct args *a;
	struct event *e;
	u64 one = 1, *n;

	a = bpf_map_lookup_elem(&inflight, &tid);
	if (!a)
		return 0;
	key.cap = a->cap;
	key.verdict = ret == 0 ? ALLOWED : DENIED;
	n = bpf_map_lookup_elem(&capability_checks, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&capability_checks, &key, &one, BPF_NOEXIST);

	e = bpf_ringbuf_reserve(&checks, sizeof(*e), 0);
	if (e) {
		e->pid = id >> 32;
		e->uid = bpf_get_current_uid_gid();
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		e->cap = a->cap;
		e->audit = !(a->opts & CAP_OPT_NOAUDIT);
		e->verdict = key.verdict;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
