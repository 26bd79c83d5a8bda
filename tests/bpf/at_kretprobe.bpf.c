// kretprobe on the getpgid(2) syscall wrapper: the return value is the process group.
#include "at_event.h"

SEC("kretprobe/__x64_sys_getpgid")
int BPF_KRETPROBE(at_kretprobe, long ret)
{
	at_emit("kretprobe", 0, ret);
	return 0;
}
