/* The event every attach-type fixture (at_*.bpf.c) prints: which program ran, for which
 * process, with the traced call's argument and return value where the type has them. */
#ifndef AT_EVENT_H
#define AT_EVENT_H
#include "common.h"
#include <asm/ptrace.h>	/* struct pt_regs (uapi, x86_64 layout) */
#include <bpf/bpf_core_read.h>

struct at_event {
	u32 pid;
	char kind[16];
	s64 arg;	/* first argument of the traced call */
	s64 ret;	/* its return value (return probes) */
	char name[32];	/* lsm/file_open: the opened file's name */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct at_event);
} at_events SEC(".maps.print");

/* Reserve an event for KIND (a string literal of at most 15 chars); NULL when the current
 * process is not the target or the ring is full. */
#define at_reserve(KIND) ({						\
	struct at_event *__e = NULL;					\
	if (from_target())						\
		__e = bpf_ringbuf_reserve(&at_events, sizeof(*__e), 0);	\
	if (__e) {							\
		__builtin_memset(__e, 0, sizeof(*__e));			\
		__e->pid = bpf_get_current_pid_tgid() >> 32;		\
		__builtin_memcpy(__e->kind, KIND, sizeof(KIND));	\
	}								\
	__e;								\
})

/* A syscall's first argument, read from the user pt_regs a syscall wrapper gets.  CO-RE
 * matches fields by name and the kernel calls the register "di" where uapi says "rdi", so
 * libbpf's PT_REGS_PARM1_CORE (and BPF_KSYSCALL) cannot be used without vmlinux.h; the
 * ___k flavour is matched against the kernel's struct pt_regs. */
struct pt_regs___k {
	unsigned long di;
} __attribute__((preserve_access_index));
#define at_syscall_arg1(UREGS) BPF_CORE_READ((const struct pt_regs___k *)(UREGS), di)

/* Emit KIND with ARG and RET. */
#define at_emit(KIND, ARG, RET) do {					\
	struct at_event *__e = at_reserve(KIND);			\
	if (__e) {							\
		__e->arg = (ARG);					\
		__e->ret = (RET);					\
		bpf_ringbuf_submit(__e, 0);				\
	}								\
} while (0)
#endif
