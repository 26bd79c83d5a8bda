// The good object tests/e2e/badelf.py patches into malformed ones (test_bad_inputs.py):
// a ring buffer in .maps.print, a hash in .maps.counter, an unexported array in
// plain .maps, a .rodata global and one tracepoint program.  Unpatched it runs.
#include "common.h"

struct bi_event {
	u32 pid;
	u32 seq;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct bi_event);
} bi_events SEC(".maps.print");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} bi_hits SEC(".maps.counter");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} bi_seq SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int bi_emit(void *ctx)
{
	u32 zero = 0, pid = bpf_get_current_pid_tgid() >> 32, *seq;
	u64 one = 1, *n;
	struct bi_event *e;

	if (!from_target())
		return 0;
	n = bpf_map_lookup_elem(&bi_hits, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&bi_hits, &pid, &one, BPF_NOEXIST);
	seq = bpf_map_lookup_elem(&bi_seq, &zero);
	e = bpf_ringbuf_reserve(&bi_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->seq = seq ? (*seq)++ : 0;	/* racy across CPUs: fine for a fixture */
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
