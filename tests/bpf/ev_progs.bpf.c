// Program handling: a tail-call target that must load but not attach, a
// SEC("?...") program that must not load (the verifier would reject it), an
// iter/ program read every --interval, and a uprobe on libc's getppid.
#include "common.h"

struct pevent {
	u32 pid;
	char via[12];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct pevent);
} progs_events SEC(".maps.print");

static __always_inline void emit(const char *via)
{
	struct pevent *e = bpf_ringbuf_reserve(&progs_events, sizeof(*e), 0);

	if (!e)
		return;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	__builtin_memset(e->via, 0, sizeof(e->via));
	for (int i = 0; i < 11 && via[i]; i++)
		e->via[i] = via[i];
	bpf_ringbuf_submit(e, 0);
}

/* The dispatcher marks each tail call; if ebpfctl attached the target
 * directly, unmarked runs would emit "direct": the test checks none do. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} via_tail SEC(".maps");

SEC("raw_tp/sys_enter")
int tail_target(struct bpf_raw_tracepoint_args *ctx)
{
	u32 k = 0, *mark = bpf_map_lookup_elem(&via_tail, &k);

	if (!mark)
		return 0;
	if (from_target() && ctx->args[1] == 110)
		emit(*mark ? "tail" : "direct");
	*mark = 0;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__array(values, int(void *));
} jump SEC(".maps") = {
	.values = { [0] = (void *)&tail_target },
};

SEC("raw_tp/sys_enter")
int dispatcher(struct bpf_raw_tracepoint_args *ctx)
{
	u32 k = 0, *mark = bpf_map_lookup_elem(&via_tail, &k);

	if (mark)
		*mark = 1;
	bpf_tail_call(ctx, &jump, 0);
	return 0;
}

SEC("uprobe/libc.so.6:getppid")
int BPF_KPROBE(libc_getppid)
{
	if (from_target())
		emit("uprobe");
	return 0;
}

/* Never loaded: reads past the context, which the verifier rejects. */
SEC("?raw_tp/sys_enter")
int not_loaded(struct bpf_raw_tracepoint_args *ctx)
{
	return *(volatile int *)((char *)ctx + 4096);
}

struct bpf_iter_meta {
	void *seq;
	u64 session_id;
	u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_map;
struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
} __attribute__((preserve_access_index));

struct bpf_map {
	u32 id;
	char name[16];
} __attribute__((preserve_access_index));

SEC("iter/bpf_map")
int dump_maps(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;
	char name[16];

	if (!map)
		return 0;
	/* 6.1's verifier wants bpf_strncmp on memory it can size: copy first */
	bpf_probe_read_kernel_str(name, sizeof(name), map->name);
	if (!bpf_strncmp(name, 12, "progs_events"))
		BPF_SEQ_PRINTF(ctx->meta->seq, "map %s\n", name);
	return 0;
}
