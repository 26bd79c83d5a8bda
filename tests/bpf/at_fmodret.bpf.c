// fmod_ret on an LSM hook function (allowed without error injection): returning 0 leaves
// the call alone.  Fires when the target opens a file.
#include "at_event.h"

struct file;

SEC("fmod_ret/security_file_open")
int BPF_PROG(at_fmodret, struct file *file, int ret)
{
	at_emit("fmod_ret", 0, ret);
	return 0;
}
