// SPDX-License-Identifier: MIT
/* The --set fuzz target's object (fuzz/fuzz_set.c): one global of every
 * type --set parses (and some it refuses), in .rodata, .data and .bss. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef __u32 pid_filter;
typedef unsigned long long duration;
enum mode { MODE_OFF, MODE_FAST = 3, MODE_SLOW = 9 };
enum sign { NEG = -5, ZERO = 0, BIG = 0x7fffffff };
enum wide { W_SMALL = 1, W_HUGE = 0xffffffffffffULL };
struct pair { __u32 a, b; };

const volatile __u8 g_u8 = 1;
const volatile __s8 g_s8 = -1;
const volatile __u16 g_u16 = 2;
const volatile __s16 g_s16 = -2;
const volatile __u32 g_u32 = 3;
const volatile __s32 g_s32 = -3;
const volatile __u64 g_u64 = 4;
const volatile __s64 g_s64 = -4;
const volatile _Bool g_bool = 0;
const volatile char g_char = 'c';
const volatile enum mode g_mode = MODE_OFF;
const volatile enum sign g_sign = ZERO;
const volatile enum wide g_wide = W_SMALL;
const volatile float g_float = 1.5f;
const volatile double g_double = 2.5;
const volatile char g_name[16] = "default";
const volatile char g_one[1] = "";
const volatile unsigned char g_bytes[4] = { 1, 2, 3, 4 };
const volatile pid_filter g_pid = 0;
const volatile duration g_dur = 0;
const volatile unsigned __int128 g_u128 = 0;
const volatile __u32 g_arr[3] = { 1, 2, 3 };
const volatile struct pair g_pair = { 1, 2 };
const volatile __u32 *const volatile g_ptr = 0;
const volatile __u64 __ebpfctl_lost_x = 0;	/* loss counters are not settable */
__u32 g_data = 5;				/* .data */
__u64 g_bss;					/* .bss */
char g_buf[8] = "d";				/* .data char array */

SEC("tracepoint/syscalls/sys_enter_getpid")
int use_all(void *ctx)
{
	/* every global is used, so clang keeps it */
	g_bss = g_u8 + g_s8 + g_u16 + g_s16 + g_u32 + g_s32 + g_u64 + g_s64 + g_bool + g_char + g_mode + g_sign +
		g_wide + *(const volatile __u32 *)&g_float + *(const volatile __u64 *)&g_double + g_name[0] + g_one[0] + g_bytes[0] + g_pid + g_dur +
		(__u64)g_u128 + g_arr[0] + g_pair.a + (__u64)g_ptr + __ebpfctl_lost_x + g_data + g_buf[0];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
