// uprobe and uretprobe on libc's getpgid: argument on entry, process group on return.
#include "at_event.h"

SEC("uprobe/libc.so.6:getpgid")
int BPF_KPROBE(at_uprobe, int pid)
{
	at_emit("uprobe", pid, 0);
	return 0;
}

SEC("uretprobe/libc.so.6:getpgid")
int BPF_KRETPROBE(at_uretprobe, int ret)
{
	at_emit("uretprobe", 0, ret);
	return 0;
}
