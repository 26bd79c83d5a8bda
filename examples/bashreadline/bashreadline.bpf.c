// SPDX-License-Identifier: GPL-2.0
/*
 * bashreadline: every command line typed into an interactive bash, from a
 * uretprobe on bash's readline() (user space, no kernel tracepoint needed).
 *
 *   ebpfctl build bashreadline.bpf.c
 *   sudo ebpfctl run bashreadline.bpf.o
 *
 * The probe attaches to /bin/bash (the same file as /usr/bin/bash on
 * merged-/usr systems).  Debian's and Ubuntu's bash export readline from the
 * binary; where bash uses a shared libreadline, change the section to
 * uretprobe//usr/lib/x86_64-linux-gnu/libreadline.so.8:readline.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* --set target_uid=N: only this user's shells (-1: all) */
const volatile u32 target_uid = -1;

struct event {
	u32 pid;
	u32 uid;
	char line[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} commands SEC(".maps.print");

SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(readline_return, const char *line)
{
	u32 uid = (u32)bpf_get_current_uid_gid();
	struct event *e;

	if (!line || (target_uid != (u32)-1 && uid != target_uid))
		return 0;
	e = bpf_ringbuf_reserve(&commands, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = uid;
	if (bpf_probe_read_user_str(e->line, sizeof(e->line), line) < 0)
		e->line[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
