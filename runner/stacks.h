/* SPDX-License-Identifier: MIT */
/* Stack trace symbolizer (DESIGN section 8): reads BPF_MAP_TYPE_STACK_TRACE
 * entries and turns their addresses into text frames.
 *
 * Kernel addresses come from <host_root>/proc/kallsyms, loaded on first use
 * into a sorted array of text symbols (t T w W) and searched by bisection.
 * A frame prints as "vfs_read+0x1a", "vfs_read" when the address is the
 * symbol itself, and "sym+0x10 [mod]" / "sym [mod]" for module symbols
 * (kallsyms' own "[mod]" suffix, also used for BPF programs "[bpf]").
 * When /proc/kallsyms cannot be read, or shows every address as 0
 * (kernel.kptr_restrict, or not root), or an address is below every symbol
 * or more than 1 MiB past the nearest one, the frame prints as hex
 * "0xffffffff81000000".  An address that misses reloads kallsyms, at most
 * once every 10 s, so modules and BPF programs loaded later are found.
 *
 * User addresses are resolved with elfutils' libdwfl from the process's
 * /proc/PID/maps, opening each mapped file through /proc/PID/root (so
 * processes in containers resolve against their own files) and reading
 * .symtab, .dynsym and separate debuginfo found the standard way
 * (build-id under /usr/lib/debug, .gnu_debuglink; debuginfod only if the
 * environment enables it, DEBUGINFOD_URLS).  A frame prints as
 * "main+0x12", "main" at the symbol itself, "libc.so.6+0x1234" when the
 * address is in a mapped file but no symbol covers it (the offset is the
 * ELF virtual address, ready for addr2line -e), and hex "0x7f..." when the
 * address is in no mapped file or the process cannot be read.
 * One Dwfl is kept per pid for the 64 most recently used pids (LRU): a
 * process that exits keeps resolving from its cached Dwfl (the files stay
 * readable by path), and an unreadable pid is retried at most once a
 * second; an address outside every known module re-reads the maps at most
 * once a second (dlopen).  A pid that was reused by exec or a new process
 * while cached resolves against the old layout until one such miss.
 * Each cached Dwfl holds an open fd and the symbol table of every module
 * it has resolved an address in: a few hundred fds at most, and some MB
 * per process for big binaries with debuginfo.  The vDSO is found through
 * /proc/PID/auxv only when host_root is "/"; elsewhere its frames are hex.
 *
 * Addresses are symbolized as given: callers that want the call site
 * rather than the return address of caller frames pass ip - 1.
 *
 * Not thread-safe: one struct stacks is used from one thread at a time.
 * The library never prints; problems go to rwarn()/rdebug() once. */
#ifndef EBPFCTL_STACKS_H
#define EBPFCTL_STACKS_H

#include <stdint.h>
#include "strbuf.h"

struct stacks;

/* host_root NULL or "" means "/": <host_root>/proc/kallsyms and
 * <host_root>/proc/PID/... are read.  Nothing is read yet.  0 or -ENOMEM. */
int stacks_new(const char *host_root, struct stacks **out);
void stacks_free(struct stacks *s);

/* Append the kernel frame for addr to out (formats above). */
void stacks_ksym(struct stacks *s, uint64_t addr, struct strbuf *out);

/* Append the user frame for addr in process pid to out (formats above). */
void stacks_usym(struct stacks *s, uint32_t pid, uint64_t addr, struct strbuf *out);

/* Copy the stack stack_id of a BPF_MAP_TYPE_STACK_TRACE map (value_size
 * bytes: value_size / 8 u64 instruction pointers, zero-terminated when
 * shorter) into ips.  value_size must be the map's own (bpf_map_info): the
 * kernel writes that many bytes whatever the caller says.  Returns the
 * number of frames (at most max; deeper frames are dropped), -ENOENT for
 * an id that was never written, was overwritten away, or is negative (a
 * bpf_get_stackid() error), -EINVAL for a value_size that is not a
 * positive multiple of 8 or max < 1, or the lookup's -errno.  Maps created
 * with BPF_F_STACK_BUILD_ID hold struct bpf_stack_build_id entries instead
 * and are not read here. */
int stacks_read(int map_fd, uint32_t value_size, int64_t stack_id, uint64_t *ips, int max);

/* Append frame as one element of a folded stack line ("comm;f1;f2 count",
 * as flamegraph.pl and inferno read it): ';' becomes ':' (it would split
 * the frame) and every control character (newline, tab, ...) becomes a
 * space (a newline would end the line).  Spaces are kept: those tools take
 * the count after the last space.  NULL or "" appends "[unknown]". */
void stacks_folded_frame(struct strbuf *out, const char *frame);

#endif
