// ksyscall/kretsyscall: libbpf finds the syscall's kernel function (the __x64_sys_ wrapper)
// itself.  BPF_KSYSCALL needs vmlinux.h (see at_event.h), so the wrapper's user pt_regs is
// read directly.
#include "at_event.h"

SEC("ksyscall/getpgid")
int BPF_KPROBE(at_ksyscall, const struct pt_regs *uregs)
{
	at_emit("ksyscall", at_syscall_arg1(uregs), 0);
	return 0;
}

SEC("kretsyscall/getpgid")
int BPF_KRETPROBE(at_kretsyscall, long ret)
{
	at_emit("kretsyscall", 0, ret);
	return 0;
}
