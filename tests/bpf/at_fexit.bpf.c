// fexit on the getpgid(2) syscall wrapper: argument and return value in one program.
#include "at_event.h"

SEC("fexit/__x64_sys_getpgid")
int BPF_PROG(at_fexit, const struct pt_regs *uregs, long ret)
{
	at_emit("fexit", at_syscall_arg1(uregs), ret);
	return 0;
}
