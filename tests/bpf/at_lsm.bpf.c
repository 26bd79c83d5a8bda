// BPF LSM: the file_open hook, reporting the opened file's name (CO-RE reads through local
// definitions of the few kernel types needed, so no vmlinux.h).  Always allows the open.
#include "at_event.h"

struct qstr {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct path {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
} __attribute__((preserve_access_index));

SEC("lsm/file_open")
int BPF_PROG(at_lsm, struct file *file)
{
	struct at_event *e = at_reserve("lsm");
	const unsigned char *name;

	if (!e)
		return 0;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
