/* SPDX-License-Identifier: MIT */
/* Names for the special types that need the running system (solo_types.h,
 * DESIGN.md section 15): kernel addresses (ksym), interface indexes
 * (ifindex), cgroup ids (cgroup_id) and user ids (user_id).  syscall_nr
 * and net_port need nothing and live in the formatter.
 *
 * Where each comes from, under host_root ("" or NULL: "/"):
 * - ksym: <host_root>/proc/kallsyms, through stacks.c ("sym+0xoff",
 *   "sym+0xoff [mod]", hex when unknown or hidden by kptr_restrict);
 * - ifindex: if_nameindex(3) in ebpfctl's own network namespace (on a node,
 *   the host's: the DaemonSet uses hostNetwork);
 * - cgroup_id: the cgroup v2 hierarchy (its mount from /proc/mounts or
 *   <host_root>/proc/1/mounts), every directory's inode number being its id
 *   (what bpf_get_current_cgroup_id() returns); the path shown is relative
 *   to the hierarchy's root, "/" for the root itself;
 * - user_id: <host_root>/etc/passwd (not NSS: in a container the node's
 *   users are the host's file).
 *
 * Everything is cached.  An id not in the cache loads its table again at
 * most once a second, so an unknown id costs one lookup a second, not one
 * per event; the interface and user tables are also reloaded every 10 s
 * (renames, new users), the cgroup tree on a miss only (ids are never
 * reused while the kernel runs).  Thread-safe (the event thread and the
 * scrape thread render); the library never prints. */
#ifndef EBPFCTL_NAMES_H
#define EBPFCTL_NAMES_H

#include <stddef.h>
#include <stdint.h>

enum names_kind { NAMES_KSYM, NAMES_IFINDEX, NAMES_CGROUP, NAMES_USER };

struct names;

/* Nothing is read until the first lookup of each kind.  0 or -ENOMEM. */
int names_new(const char *host_root, struct names **out);
void names_free(struct names *n);
/* The name of v into buf (NUL-terminated, truncated to size - 1 bytes);
 * returns its length, 0 when v has no name (then the caller shows the
 * number).  ksym always names (hex at worst). */
size_t names_lookup(struct names *n, enum names_kind kind, uint64_t v, char *buf, size_t size);

/* Read kallsyms now (while its addresses are visible: before CAP_SYSLOG
 * is dropped). */
void names_preload_ksym(struct names *n);

/* The formatter's callback (fmt_set_name_resolver): ctx is a struct names. */
size_t names_resolve(void *ctx, int kind, uint64_t v, char *buf, size_t size);

#endif
