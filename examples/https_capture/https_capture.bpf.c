// SPDX-License-Identifier: GPL-2.0
/*
 * https_capture: the plaintext of TLS connections, read where it is still
 * plain: uprobes on OpenSSL's SSL_write() (the data going out, at entry) and
 * SSL_read() (the data coming in, at return, once it is there), as in the
 * cilium/ebpf guide's "HTTPS capture"; SSL_write_ex()/SSL_read_ex() too,
 * which OpenSSL 3's own tools and BIOs use.  No certificates, no proxy.
 *
 *   ebpfctl build https_capture.bpf.c
 *   sudo ebpfctl run https_capture.bpf.o
 *
 * One JSON line per SSL_write/SSL_read: pid, comm, direction, how many bytes
 * the call moved, and the first DATA_MAX of them as text (JSON-escaped; text
 * ends at the first NUL byte).  tls_bytes counts the bytes per command and
 * direction (ebpf_solo_io_tls_bytes_total{comm,direction} on /metrics).
 *
 * The probes attach to OpenSSL 3's libssl.so.3, found on the library path
 * (Debian: /usr/lib/x86_64-linux-gnu/libssl.so.3).  Another libssl, or a
 * program linked statically:
 *   --attach ssl_write=/path/libssl.so:SSL_write --attach ssl_read=... (each of the six)
 * Programs that bring their own TLS (Go's crypto/tls, rustls, BoringSSL
 * builds) are not seen: there is no SSL_write to probe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ebpfctl_helpers.h"

#define DATA_MAX 256

/* Printed by name: "WRITE" (sent) or "READ" (received). */
enum direction { WRITE = 1, READ = 2 };

/* --set target_pid=N: only this process (0: every process) */
const volatile u32 target_pid = 0;

struct event {
	u32 pid;
	enum direction direction;
	u32 len;		/* bytes this call moved */
	u32 cut;		/* of those, not in data (beyond DATA_MAX - 1) */
	char comm[16];
	char data[DATA_MAX];	/* the first bytes, as text */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__type(value, struct event);
} tls SEC(".maps.print");
EBPFCTL_LOSS_COUNTER(tls);

struct bytes_key {
	char comm[16];
	enum direction direction;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bytes_key);
	__type(value, u64);
} tls_bytes SEC(".maps.counter");

/* SSL_read's buffer (and SSL_read_ex's count), from entry to return, per thread */
struct read_args {
	u64 buf;
	u64 readbytes;		/* size_t *: SSL_read_ex only */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, struct read_args);
} read_bufs SEC(".maps");

static __always_inline bool wanted(void)
{
	return !target_pid || (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline void record(enum direction dir, const void *buf, int n)
{
	struct bytes_key k = { .direction = dir };
	struct event *e;
	u64 *total, len;
	u32 copy;

	if (n <= 0)
		return;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	total = bpf_map_lookup_elem(&tls_bytes, &k);
	if (total) {
		__sync_fetch_and_add(total, (u64)n);
	} else {
		len = n;
		bpf_map_update_elem(&tls_bytes, &k, &len, BPF_NOEXIST);
	}
	e = ebpfctl_ringbuf_reserve(tls, sizeof(*e), 0);
	if (!e)
		return;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->direction = dir;
	e->len = n;
	copy = n < DATA_MAX - 1 ? n : DATA_MAX - 1;
	e->cut = n - copy;
	__builtin_memcpy(e->comm, k.comm, sizeof(e->comm));
	/* clang knows copy < DATA_MAX and drops a mask; the verifier does not */
	barrier_var(copy);
	copy &= DATA_MAX - 1;
	if (bpf_probe_read_user(e->data, copy, buf))
		copy = 0;
	e->data[copy & (DATA_MAX - 1)] = '\0';
	bpf_ringbuf_submit(e, 0);
}

/* int SSL_write(SSL *ssl, const void *buf, int num): the plaintext is there at entry */
SEC("uprobe/libssl.so.3:SSL_write")
int BPF_KPROBE(ssl_write, void *ssl, const void *buf, int num)
{
	if (wanted())
		record(WRITE, buf, num);
	return 0;
}

/* int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written) */
SEC("uprobe/libssl.so.3:SSL_write_ex")
int BPF_KPROBE(ssl_write_ex, void *ssl, const void *buf, size_t num)
{
	if (wanted())
		record(WRITE, buf, num > 0x7fffffff ? 0x7fffffff : (int)num);
	return 0;
}

static __always_inline void read_entry(void *buf, size_t *readbytes)
{
	u64 id = bpf_get_current_pid_tgid();
	struct read_args a = { (u64)buf, (u64)readbytes };

	if (wanted())
		bpf_map_update_elem(&read_bufs, &id, &a, BPF_ANY);
}

/* int SSL_read(SSL *ssl, void *buf, int num): filled by the time it returns */
SEC("uprobe/libssl.so.3:SSL_read")
int BPF_KPROBE(ssl_read, void *ssl, void *buf, int num)
{
	read_entry(buf, NULL);
	return 0;
}

SEC("uretprobe/libssl.so.3:SSL_read")
int BPF_KRETPROBE(ssl_read_ret, int ret)
{
	u64 id = bpf_get_current_pid_tgid();
	struct read_args *a = bpf_map_lookup_elem(&read_bufs, &id);

	if (!a)
		return 0;
	record(READ, (const void *)a->buf, ret);
	bpf_map_delete_elem(&read_bufs, &id);
	return 0;
}

/* int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes): 1 and
 * *readbytes on success */
SEC("uprobe/libssl.so.3:SSL_read_ex")
int BPF_KPROBE(ssl_read_ex, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	read_entry(buf, readbytes);
	return 0;
}

SEC("uretprobe/libssl.so.3:SSL_read_ex")
int BPF_KRETPROBE(ssl_read_ex_ret, int ret)
{
	u64 id = bpf_get_current_pid_tgid(), n = 0;
	struct read_args *a = bpf_map_lookup_elem(&read_bufs, &id);

	if (!a)
		return 0;
	if (ret == 1 && !bpf_probe_read_user(&n, sizeof(n), (void *)a->readbytes))
		record(READ, (const void *)a->buf, n > 0x7fffffff ? 0x7fffffff : (int)n);
	bpf_map_delete_elem(&read_bufs, &id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
