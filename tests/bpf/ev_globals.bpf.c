// --set targets of every settable kind, echoed back in an event.
#include "common.h"

enum mode { MODE_OFF = 0, MODE_FAST = 3, MODE_SLOW = 9 };

const volatile u8 g_u8 = 1;
const volatile s16 g_s16 = -2;
const volatile u64 g_u64 = 3;
const volatile s64 g_s64 = -4;
const volatile _Bool g_bool = 0;
const volatile enum mode g_mode = MODE_OFF;
const volatile char g_name[16] = "default";
u32 g_data = 5;		/* .data */
u32 g_bss;		/* .bss */
/* not settable from a command line: not listed as settable */
struct g_pair { u32 a, b; };
const volatile struct g_pair g_pair = {};
const volatile u32 g_arr[2] = {};

struct gevent {
	u8 u8v;
	s16 s16v;
	u64 u64v;
	s64 s64v;
	_Bool flag;
	enum mode mode;
	char name[16];
	u32 data;
	u32 bss;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, struct gevent);
} gevents SEC(".maps.print");

SEC("tp_btf/sys_enter")
int globals_emit(u64 *ctx)
{
	struct gevent *e;

	if (!from_target() || g_pair.a + g_arr[1] == 12345)
		return 0;	/* (read so that they are in the object) */
	e = bpf_ringbuf_reserve(&gevents, sizeof(*e), 0);
	if (!e)
		return 0;
	e->u8v = g_u8;
	e->s16v = g_s16;
	e->u64v = g_u64;
	e->s64v = g_s64;
	e->flag = g_bool;
	e->mode = g_mode;
	for (int i = 0; i < 16; i++)
		e->name[i] = g_name[i];
	e->data = g_data;
	e->bss = g_bss;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
