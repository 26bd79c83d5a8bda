// fentry on the getpgid(2) syscall wrapper (a real function with BTF, unlike the wrappers of
// argument-less syscalls, which are aliases).
#include "at_event.h"

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(at_fentry, const struct pt_regs *uregs)
{
	at_emit("fentry", at_syscall_arg1(uregs), 0);
	return 0;
}
