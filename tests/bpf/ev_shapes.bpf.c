// Every BTF shape the renderer must decode, with fixed values the e2e test
// compares field by field.  Triggered by getppid() from the test process.
#include "common.h"

enum color { RED = 1, GREEN = 2, BLUE = 42 };
enum neg { MINUS = -5, PLUS = 5 };

struct inner {
	u16 a;
	s16 b;
};

union both {
	u32 word;
	u8 bytes[4];
};

struct event {
	u8 u8v;
	s8 s8v;
	u16 u16v;
	s16 s16v;
	u32 u32v;
	s32 s32v;
	u64 u64v;
	s64 s64v;
	int bf_neg : 5;
	unsigned int bf_pos : 3;
	unsigned int bf_wide : 20;
	_Bool flag;
	char comm[16];
	char bad[8];
	char full[4];		/* no NUL */
	struct inner in;
	union both un;
	enum color color;
	enum color color_unknown;
	enum neg neg;
	u32 arr[3];
	u8 raw[4];
	double dbl;
	float flt;
	void *ptr;
	ipv4_addr v4;
	ipv6_addr v6;
	duration dur;
	u32 __secret;
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct event);
} events SEC(".maps.print");

SEC("tracepoint/syscalls/sys_enter_getppid")
int shapes(void *ctx)
{
	struct event *e;
	u64 bits;
	u32 fbits;

	if (!from_target())
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->u8v = 255;
	e->s8v = -128;
	e->u16v = 65535;
	e->s16v = -32768;
	e->u32v = 4294967295u;
	e->s32v = -2147483647 - 1;
	e->u64v = 18446744073709551615ull;
	e->s64v = -9223372036854775807ll - 1;
	e->bf_neg = -3;
	e->bf_pos = 5;
	e->bf_wide = 1000000;
	e->flag = 1;
	__builtin_memcpy(e->comm, "quote\"back\\\n", 13);
	e->bad[0] = 'a';
	e->bad[1] = (char)0xff;
	e->bad[2] = (char)0xc3;	/* truncated 2-byte sequence */
	e->bad[3] = 'b';
	__builtin_memcpy(e->full, "abcd", 4);
	e->in.a = 7;
	e->in.b = -7;
	e->un.word = 0x04030201;
	e->color = BLUE;
	e->color_unknown = 7;
	e->neg = MINUS;
	e->arr[0] = 1;
	e->arr[1] = 2;
	e->arr[2] = 3;
	e->raw[0] = 0xde;
	e->raw[1] = 0xad;
	e->raw[2] = 0xbe;
	e->raw[3] = 0xef;
	bits = 0x3ff8000000000000ull;	/* 1.5 */
	__builtin_memcpy(&e->dbl, &bits, 8);
	fbits = 0x3e800000;		/* 0.25f */
	__builtin_memcpy(&e->flt, &fbits, 4);
	e->ptr = (void *)0xffff888012345678ull;
	e->v4 = bpf_htonl(0x7f000001);
	e->v6.u6_addr8[0] = 0x20; e->v6.u6_addr8[1] = 0x01; e->v6.u6_addr8[2] = 0x0d; e->v6.u6_addr8[3] = 0xb8; e->v6.u6_addr8[15] = 1;
	e->dur = 1500000;
	e->__secret = 99;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
