// SPDX-License-Identifier: GPL-2.0
/* ELF-rewrite fixture: only plain .maps, so no rewrite is needed (the
 * rewriter must hand the buffer back untouched and still list the maps). */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counter_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} other SEC(".maps");

SEC("raw_tp/sys_enter")
int on_enter(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counter_calls, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counter_calls, &pid, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&other, &zero);
	if (v)
		(*v)++;
	return 0;
}
