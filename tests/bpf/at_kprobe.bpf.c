// kprobe on the getpgid(2) syscall wrapper.  The wrapper's only argument is the user's
// pt_regs, so the syscall's own argument is read from there.
#include "at_event.h"

SEC("kprobe/__x64_sys_getpgid")
int BPF_KPROBE(at_kprobe, const struct pt_regs *uregs)
{
	at_emit("kprobe", at_syscall_arg1(uregs), 0);
	return 0;
}
