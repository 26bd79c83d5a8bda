// Programs whose section names no target: ebpfctl run --attach PROG=TARGET gives it.
// Each is in its own object (at_bare_*.bpf.o, built with -DBARE_<KIND>) so a kernel that
// refuses one type (kprobes, fentry here) does not stop the others.
#include "at_event.h"

#ifdef BARE_UPROBE
SEC("uprobe")
int BPF_KPROBE(bare_up, int pid)
{
	at_emit("uprobe", pid, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(bare_uret, int ret)
{
	at_emit("uretprobe", 0, ret);
	return 0;
}
#endif

#ifdef BARE_TP
SEC("tracepoint")
int bare_tp(struct { u64 pad; s32 nr; u64 pid; } *ctx)
{
	at_emit("tracepoint", ctx->pid, 0);
	return 0;
}
#endif

#ifdef BARE_KPROBE
SEC("kprobe")
int BPF_KPROBE(bare_kp, const struct pt_regs *uregs)
{
	at_emit("kprobe", at_syscall_arg1(uregs), 0);
	return 0;
}
#endif

#ifdef BARE_FENTRY
SEC("fentry")
int BPF_PROG(bare_fentry, const struct pt_regs *uregs)
{
	at_emit("fentry", at_syscall_arg1(uregs), 0);
	return 0;
}
#endif
