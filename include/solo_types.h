/* SPDX-License-Identifier: MIT */
/*
 * solo_types.h - typedefs a probe uses to ask ebpfctl for special rendering.
 *
 * Use one of these types for a member of an event, key or value struct and
 * ebpfctl renders it specially in JSON lines and Prometheus label values.
 * The runner matches the TYPEDEF NAME anywhere in the member's typedef chain
 * (so `typedef duration lat_t;` still renders as a duration), and only when
 * the type has the size given below; otherwise the value renders as what it
 * really is (bumblebee's 4-byte `ipv6_addr` prints as its integer).  A
 * bitfield member (`duration d : 40;`) is always a plain number.
 *
 * This header includes nothing and uses only builtin C types, so it works
 * after vmlinux.h as well as after <linux/types.h>.  None of the names below
 * is a type or macro in vmlinux.h, the kernel uapi headers or glibc (they do
 * appear as struct member names there, which does not collide).  Repeating
 * an identical typedef is legal C11, so `ipv4_addr` and `duration` also
 * coexist with bumblebee's solo_types.h (whose ipv6_addr differs: include
 * one or the other).
 */
#ifndef EBPFCTL_SOLO_TYPES_H
#define EBPFCTL_SOLO_TYPES_H

/*
 * IPv4 address in network byte order, as the kernel stores it
 * (e.g. sk->__sk_common.skc_daddr).  4 bytes.
 *   JSON "127.0.0.1", label 127.0.0.1
 */
typedef unsigned int ipv4_addr;

/*
 * IPv6 address, 16 bytes in network order; laid out like the kernel's
 * struct in6_addr, so BPF_CORE_READ_INTO(&e->daddr, sk,
 * __sk_common.skc_v6_daddr) fills it and e->daddr.u6_addr32[0] works.
 *   RFC 5952 text: "2001:db8::1", "::1", "::", "::ffff:1.2.3.4" for an
 *   IPv4-mapped address.  Lowercase hex, the longest run of two or more zero
 *   groups becomes "::" (the first one on a tie).
 */
typedef union {
	unsigned char u6_addr8[16];
	unsigned short u6_addr16[8];
	unsigned int u6_addr32[4];
} ipv6_addr;

/*
 * A duration in nanoseconds (e.g. bpf_ktime_get_ns() - start).  8 bytes.
 * Read as a signed 64-bit value, like Go's time.Duration, whatever the sign
 * of the underlying type.
 *   JSON and labels: Go's Duration.String() text: "0s", "1ns", "1.5µs"
 *   (micro sign U+00B5), "1.5ms", "2h3m4.5s", "-1.5µs".
 *   As a metric value (gauge/hist value field): seconds.
 */
typedef unsigned long long duration;

/*
 * A bpf_ktime_get_ns() timestamp (CLOCK_MONOTONIC ns).  8 bytes.
 *   JSON and labels: wall-clock time, RFC 3339 UTC with 9 fraction digits,
 *   "2026-11-22T10:00:00.123456789Z", computed with the REALTIME-MONOTONIC
 *   offset the runner measures at start.  bpf_ktime_get_boot_ns() values
 *   agree unless the machine has been suspended since boot.  Read unsigned
 *   and added without wrapping: every value has its date (2^64 - 1 ns after
 *   boot is in the 27th century).
 */
typedef unsigned long long ktime;

/*
 * An errno value, positive (2) or negative as kernel functions return it
 * (-2).  Any integer or enum size works (1, 2, 4 or 8 bytes).
 *   JSON "ENOENT", label ENOENT; the sign is dropped.  0 and unknown values
 *   render as the plain number.  Kernel-internal codes (ERESTARTSYS,
 *   ENOTSUPP, ...) are named too.
 */
typedef int errno_code;

/*
 * A signal number.  Any integer or enum size works (1, 2, 4 or 8 bytes).
 *   JSON "SIGKILL", label SIGKILL; 0, real-time signals and unknown values
 *   render as the plain number.
 */
typedef int signal_num;

/*
 * A bpf_get_stackid() result: an id in the object's BPF_MAP_TYPE_STACK_TRACE
 * map, or a negative errno when there was no stack to record.  Any integer
 * size works (4 or 8 bytes).  The object needs one STACK_TRACE map (not
 * exported); with several, the first declared is read.
 *   JSON: the symbolized frames, innermost first:
 *     ["vfs_read+0x1a","ksys_read+0x6b","do_syscall_64+0x3b"]; [] for a
 *     negative or unknown id.  Kernel frames from /proc/kallsyms ("sym+0xoff",
 *     "sym+0xoff [module]"), user frames from the process's binaries for the
 *     record's pid or tgid member ("main+0x12", "libc.so.6+0x1234"), hex
 *     when nothing is known.
 *   Labels: the same frames outermost first, joined by ';' (as in a folded
 *     stack).
 *   ebpfctl run --folded FILE writes counter maps keyed by stack ids as
 *   folded stacks (`comm;frame;...;frame count`) for flame graph tools.
 */
typedef long long stack_id;

/*
 * A kernel address (a function pointer, bpf_get_func_ip(), a kprobe's
 * PT_REGS_IP).  8 bytes, an integer type.
 *   JSON "vfs_read+0x1a" (always a string), label vfs_read+0x1a: the
 *   nearest text symbol of <host_root>/proc/kallsyms, "sym" at the symbol
 *   itself, "sym+0x10 [mod]" in a module; "0xffffffff81000000" when no
 *   symbol covers it or kallsyms hides addresses (kernel.kptr_restrict).
 */
typedef unsigned long long ksym;

/*
 * A system call number (a raw_syscalls:sys_enter "id", ctx->args of a
 * syscall tracepoint's __syscall_nr).  Any integer or enum size works.
 *   JSON "openat", label openat: the x86_64 name (the table of Linux 6.17;
 *   other architectures have none yet); negative and unknown numbers render
 *   as the plain number.
 */
typedef long syscall_nr;

/*
 * A network interface index (skb->ifindex, ctx->ingress_ifindex).  Any
 * integer size works.
 *   JSON "eth0", label eth0: the name in ebpfctl's network namespace
 *   (if_nameindex; the host's on a node); 0 and unknown indexes render as
 *   the plain number.  Renames show within 10 s.
 */
typedef unsigned int ifindex;

/*
 * A cgroup v2 id (bpf_get_current_cgroup_id(), bpf_skb_cgroup_id()).
 * 8 bytes, an integer type.
 *   JSON "/system.slice/ssh.service", label /system.slice/ssh.service: the
 *   cgroup's path relative to the cgroup v2 root ("/" for the root), found
 *   by walking the hierarchy under --host-root (an id is the inode number
 *   of its directory); a cgroup created later is found at its first
 *   appearance (looked up by id, or by walking the tree again at most once
 *   a second); ids never named (a cgroup removed before its first event,
 *   cgroup v1 ids, random values) render as the plain number, and a cgroup
 *   removed after it was named keeps its name (ids are never reused).  At
 *   most 1000 new ids a second are looked up: a flood of unknown ids
 *   renders the rest as numbers until it passes.  Paths longer than 1023
 *   bytes are cut.
 */
typedef unsigned long long cgroup_id;

/*
 * A user id (bpf_get_current_uid_gid() & 0xffffffff, inode i_uid).  Any
 * integer size works.
 *   JSON "root", label root: the first name <host_root>/etc/passwd gives
 *   that uid (not NSS: in a container the node's users are the host's
 *   file; re-read within 10 s of a change); unknown ids render as the plain
 *   number.
 */
typedef unsigned int user_id;

/*
 * A TCP/UDP port in network byte order, as the kernel stores it
 * (sk->__sk_common.skc_dport, a udphdr's dest).  2 bytes, an integer type.
 *   JSON 443 (a number), label 443: converted to host order.  For a port
 *   already in host order (skc_num) use a plain integer.
 */
typedef unsigned short net_port;

#endif /* EBPFCTL_SOLO_TYPES_H */
