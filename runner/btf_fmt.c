// SPDX-License-Identifier: MIT
/*
 * BTF value formatter (DESIGN.md section 5).
 *
 * fmt_plan_new() walks the BTF once and compiles the type into a flat list of
 * ops: constant text (member names, braces, quotes; adjacent pieces merged so
 * `,"pid":` is one memcpy), typed leaves that carry a byte offset, and
 * LOOP/NEXT pairs for arrays.  It also computes the most bytes one value can
 * produce, so fmt_json() reserves once and then writes through a bare pointer:
 * the per-event path allocates nothing, calls no btf__* function and uses
 * snprintf only for floats.
 *
 * Every read is bounded at plan time: members must lie inside their parent,
 * arrays are count x stride of a checked element, and fmt_json() refuses a
 * record shorter than the type, so a walk never leaves the record.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "btf_fmt.h"
#include "enrich.h"

/* Nesting of structs and arrays; clang output never comes near it, and it
 * bounds recursion and the walker's loop stack on malformed BTF. */
#define MAX_DEPTH	32
/* typedef/modifier hops before we call it a loop */
#define MAX_CHAIN	32
/* a value whose worst-case text exceeds this is refused at plan time */
#define MAX_OUT		((size_t)1 << 30)
/* Members visited to compile one plan (or flatten one type): n types whose
 * members share a type make a tree of 2^n, which would take minutes and
 * gigabytes before MAX_OUT tells (-E2BIG); real types use thousands. */
#define MAX_STEPS	((uint32_t)1 << 18)
#define MAX_TEXT	((size_t)1 << 24)	/* a plan's constant text */
#define MAX_SP		4

enum op_code {
	OP_TEXT,		/* only the prefix text */
	OP_U8, OP_U16, OP_U32, OP_U64, OP_U128,
	OP_S8, OP_S16, OP_S32, OP_S64, OP_S128,
	OP_BITS,		/* bitfield or odd-offset integer */
	OP_BOOL,
	OP_F16, OP_F32, OP_F64,
	OP_STR,			/* char[a] */
	OP_ENUM,		/* enum table a */
	OP_PTR,
	OP_IPV4, OP_IPV6, OP_DUR, OP_KTIME, OP_ERRNO, OP_SIGNAL, OP_STACK,
	OP_NAME,		/* ksym, ifindex, cgroup_id, user_id: b = enum fmt_name_kind */
	OP_SYSCALL,		/* syscall_nr */
	OP_PORT,		/* net_port: u16 in network order */
	OP_ENRICH,		/* --enrich: ,"container_id":... of the cgroup id at off */
	OP_ENRICH_FIELD,	/* one of them as a field (b: 0 id, 1 name, 2 pod, 3 namespace) */
	OP_LOOP,		/* array: a elements, b bytes apart; body follows */
	OP_NEXT,		/* end of the body of the LOOP at index a */
};

/*
 * Every op first writes its prefix, text[pre .. pre+pre_len): the constant
 * text before a value (`,"pid":`) rides on the value's op, so a struct
 * member costs one dispatch.  A value op never has text of its own.
 * Integer-like ops (U*, S*, BITS, BOOL, ENUM, ERRNO, SIGNAL, DUR) load either
 * `width` whole bytes (nbits == 0) or `nbits` bits starting `shift` bits into
 * the byte at `off`.
 */
struct fmt_op {
	uint8_t code;
	uint8_t width;
	uint8_t shift;
	uint8_t nbits;
	uint8_t is_signed;
	uint8_t pad[3];
	uint32_t pre;
	uint32_t pre_len;
	uint32_t off;		/* bytes from the current base (record or element) */
	uint32_t a;
	uint32_t b;
};

/* Prefixes up to this long are copied as one fixed-size block: the text
 * pool is padded and the output reservation has this much slack. */
#define PRE_FAST	16

struct enum_ent {
	uint64_t key;		/* value masked to the enum's bits */
	uint32_t json_off;	/* "NAME" with quotes, JSON-escaped, in names */
	uint32_t json_len;
	uint32_t raw_off;	/* NAME as is, for label text */
	uint32_t raw_len;
};

struct enum_tab {
	uint32_t first;		/* into ents, sorted by key */
	uint32_t n;
	uint8_t bits;
};

struct op_list {
	struct fmt_op *v;
	uint32_t n;
	uint32_t cap;
};

struct fmt_plan {
	struct op_list ops;	/* JSON rendering */
	char *text;		/* constant text of the ops */
	size_t text_len, text_cap;
	char *names;		/* enumerator names */
	size_t names_len, names_cap;
	struct enum_ent *ents;
	uint32_t nents, ents_cap;
	struct enum_tab *tabs;
	uint32_t ntabs, tabs_cap;
	size_t size;		/* bytes a record must have */
	size_t max_out;		/* worst-case bytes one fmt_json appends */
	int leaf;		/* op index of a scalar plan's only value op, else -1 */
	bool all_numeric;
	const struct btf *btf;	/* for stack_id: which object's stack map */
};

static fmt_stack_fn stack_fn;
static void *stack_ctx;

void fmt_set_stack_resolver(fmt_stack_fn fn, void *ctx)
{
	stack_fn = fn;
	stack_ctx = ctx;
}

static fmt_name_fn name_fn;
static void *name_ctx;
static unsigned int names_compiled;	/* bit k: a plan with a kind-k name was made */

bool fmt_uses_name(enum fmt_name_kind kind)
{
	return __atomic_load_n(&names_compiled, __ATOMIC_RELAXED) & (1u << kind);
}

void fmt_set_name_resolver(fmt_name_fn fn, void *ctx)
{
	name_fn = fn;
	name_ctx = ctx;
}

static fmt_enrich_fn enrich_fn;
static fmt_enrich_json_fn enrich_json_fn;
static void *enrich_ctx;

void fmt_set_enricher(fmt_enrich_fn fn, fmt_enrich_json_fn json, void *ctx)
{
	enrich_fn = fn;
	enrich_json_fn = json;
	enrich_ctx = ctx;
}

/* worst case of one value: quoted, every byte escaped */
#define ENRICH_VAL_MAX (2 + 6 * (ENRICH_NAME_MAX - 1))
#define ENRICH_JSON_MAX (4 * (ENRICH_VAL_MAX + 24))

static const char *enrich_val(const struct enrich_info *ci, uint32_t which)
{
	return which == 0 ? ci->id : which == 1 ? ci->name : which == 2 ? ci->pod : ci->ns;
}

static int64_t ktime_offset;

void fmt_set_ktime_offset(int64_t realtime_minus_monotonic_ns)
{
	ktime_offset = realtime_minus_monotonic_ns;
}

/* ------------------------------------------------------------------------ */
/* Special types (include/solo_types.h)                                     */

enum special {
	SP_NONE, SP_IPV4, SP_IPV6, SP_DUR, SP_KTIME, SP_ERRNO, SP_SIGNAL, SP_STACK,
	SP_KSYM, SP_SYSCALL, SP_IFINDEX, SP_CGROUP, SP_USER, SP_PORT,
};

static const struct {
	const char *name;
	enum special sp;
	uint32_t size;		/* 0: any integer or enum of 1/2/4/8 bytes */
	bool int_only;		/* with a size: an integer or enum of that size */
} specials[] = {
	{ "ipv4_addr", SP_IPV4, 4 },
	{ "ipv6_addr", SP_IPV6, 16 },
	{ "duration", SP_DUR, 8 },
	{ "ktime", SP_KTIME, 8 },
	{ "errno_code", SP_ERRNO, 0 },
	{ "signal_num", SP_SIGNAL, 0 },
	{ "stack_id", SP_STACK, 0 },
	{ "ksym", SP_KSYM, 8, true },
	{ "syscall_nr", SP_SYSCALL, 0 },
	{ "ifindex", SP_IFINDEX, 0 },
	{ "cgroup_id", SP_CGROUP, 8, true },
	{ "user_id", SP_USER, 0 },
	{ "net_port", SP_PORT, 2, true },
};

#ifdef __x86_64__
#include "syscall_names.h"
#define SYSCALL_NAMES syscall_names_x86_64
#define N_SYSCALL_NAMES (sizeof(syscall_names_x86_64) / sizeof(syscall_names_x86_64[0]))
#else
#define SYSCALL_NAMES ((const char *const *)NULL)
#define N_SYSCALL_NAMES 0
#endif

/* x86_64 syscall names (the table of the running architecture; other
 * architectures have none yet and show numbers) */
static const char *syscall_name(__int128 v)
{
	return v >= 0 && v < (__int128)N_SYSCALL_NAMES ? SYSCALL_NAMES[(size_t)v] : NULL;
}

#define E(x) [x] = #x
/* Host errno.h numbering (the kernel's for this architecture); aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are left out so the primary name wins. */
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG),
	E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI),
	E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
	E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR),
	E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT),
	E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG),
	E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC),
	E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ),
	E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
	E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL),
	E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
	E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
	E(EHWPOISON),
};

/* include/linux/errno.h: never reach user space but do show up in the
 * return values of kernel functions a probe watches. */
static const char *const kerrno_names[] = {
	"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
	"ERESTART_RESTARTBLOCK", "EPROBE_DEFER", "EOPENSTALE", "ENOPARAM",
	NULL, "EBADHANDLE", "ENOTSYNC", "EBADCOOKIE", "ENOTSUPP", "ETOOSMALL",
	"ESERVERFAULT", "EBADTYPE", "EJUKEBOX", "EIOCBQUEUED",
	"ERECALLCONFLICT", "ENOGRACE",
};
#define KERRNO_BASE 512

static const char *const signal_names[] = {
	E(SIGHUP), E(SIGINT), E(SIGQUIT), E(SIGILL), E(SIGTRAP), E(SIGABRT),
	E(SIGBUS), E(SIGFPE), E(SIGKILL), E(SIGUSR1), E(SIGSEGV), E(SIGUSR2),
	E(SIGPIPE), E(SIGALRM), E(SIGTERM),
#ifdef SIGSTKFLT
	E(SIGSTKFLT),
#endif
	E(SIGCHLD), E(SIGCONT), E(SIGSTOP), E(SIGTSTP), E(SIGTTIN),
	E(SIGTTOU), E(SIGURG), E(SIGXCPU), E(SIGXFSZ), E(SIGVTALRM),
	E(SIGPROF), E(SIGWINCH), E(SIGIO),
#ifdef SIGPWR
	E(SIGPWR),
#endif
	E(SIGSYS),
};
#undef E

static const char *errno_name(uint64_t v)
{
	if (v < sizeof(errno_names) / sizeof(errno_names[0]))
		return errno_names[v];
	if (v >= KERRNO_BASE && v - KERRNO_BASE < sizeof(kerrno_names) / sizeof(kerrno_names[0]))
		return kerrno_names[v - KERRNO_BASE];
	return NULL;
}

static const char *signal_name(uint64_t v)
{
	if (v < sizeof(signal_names) / sizeof(signal_names[0]))
		return signal_names[v];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Writers: all take a pointer into space reserved beforehand.              */

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";
static const char hexl[] = "0123456789abcdef";

/* 1..4 digits of v < 10000 */
static inline char *put_small(char *w, uint32_t v)
{
	if (v < 10) {
		*w = (char)('0' + v);
		return w + 1;
	}
	if (v < 100) {
		memcpy(w, digits2 + 2 * v, 2);
		return w + 2;
	}
	if (v < 1000) {
		*w = (char)('0' + v / 100);
		memcpy(w + 1, digits2 + 2 * (v % 100), 2);
		return w + 3;
	}
	memcpy(w, digits2 + 2 * (v / 100), 2);
	memcpy(w + 2, digits2 + 2 * (v % 100), 2);
	return w + 4;
}

/* exactly 4 / 8 digits */
static inline char *put4(char *w, uint32_t v)
{
	memcpy(w, digits2 + 2 * (v / 100), 2);
	memcpy(w + 2, digits2 + 2 * (v % 100), 2);
	return w + 4;
}

static inline char *put8(char *w, uint32_t v)
{
	return put4(put4(w, v / 10000), v % 10000);
}

/* Decimal in 4- and 8-digit chunks: 32-bit arithmetic on the chunks, one
 * or two 64-bit divisions by a constant for the rest. */
static inline char *put_u32(char *w, uint32_t v)
{
	if (v < 10000)
		return put_small(w, v);
	if (v < 100000000)
		return put4(put_small(w, v / 10000), v % 10000);
	return put8(put_small(w, v / 100000000), v % 100000000);
}

static inline char *put_u64(char *w, uint64_t v)
{
	uint64_t hi;

	if (v <= UINT32_MAX)
		return put_u32(w, (uint32_t)v);
	hi = v / 100000000;
	if (hi <= UINT32_MAX)
		return put8(put_u32(w, (uint32_t)hi), (uint32_t)(v % 100000000));
	/* >= 4.3e17: at most 20 digits = 4 + 8 + 8 */
	w = put_small(w, (uint32_t)(hi / 100000000));
	w = put8(w, (uint32_t)(hi % 100000000));
	return put8(w, (uint32_t)(v % 100000000));
}

static inline char *put_s64(char *w, int64_t v)
{
	if (v < 0) {
		*w++ = '-';
		return put_u64(w, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(w, (uint64_t)v);
}

/* exactly n digits, zero padded */
static char *put_pad(char *w, uint64_t v, int n)
{
	char *p = w + n;

	while (p > w) {
		*--p = (char)('0' + v % 10);
		v /= 10;
	}
	return w + n;
}

#define TEN19 10000000000000000000ULL

static char *put_u128(char *w, unsigned __int128 v)
{
	unsigned __int128 q;
	uint64_t lo;

	if (!(v >> 64))
		return put_u64(w, (uint64_t)v);
	q = v / TEN19;
	lo = (uint64_t)(v % TEN19);
	if (q >> 64 || (uint64_t)q >= TEN19) {
		w = put_u64(w, (uint64_t)(q / TEN19));
		w = put_pad(w, (uint64_t)(q % TEN19), 19);
	} else {
		w = put_u64(w, (uint64_t)q);
	}
	return put_pad(w, lo, 19);
}

static char *put_s128(char *w, __int128 v)
{
	if (v < 0) {
		*w++ = '-';
		return put_u128(w, (unsigned __int128)0 - (unsigned __int128)v);
	}
	return put_u128(w, (unsigned __int128)v);
}

static inline char *put_lit(char *w, const char *s, size_t n)
{
	memcpy(w, s, n);
	return w + n;
}

#define PUT_LIT(w, s) put_lit(w, s, sizeof(s) - 1)

static char *put_hex64(char *w, uint64_t v)
{
	char tmp[16];
	int i = 16;

	do {
		tmp[--i] = hexl[v & 15];
		v >>= 4;
	} while (v);
	return put_lit(w, tmp + i, 16 - (size_t)i);
}

/* --- strings --- */

enum { C_PLAIN, C_SHORT, C_CTRL, C_HIGH, C_NUL };

/* how fmt_json_str treats each byte */
static const uint8_t json_cls[256] = {
	[0] = C_NUL,
	[1 ... 7] = C_CTRL,
	['\b'] = C_SHORT, ['\t'] = C_SHORT, ['\n'] = C_SHORT, [0x0b] = C_CTRL,
	['\f'] = C_SHORT, ['\r'] = C_SHORT,
	[0x0e ... 0x1f] = C_CTRL,
	['"'] = C_SHORT, ['\\'] = C_SHORT,
	[0x7f] = C_CTRL,	/* DEL: escaped too, it is a control character */
	[0x80 ... 0xff] = C_HIGH,
};

static const char short_esc[128] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	['"'] = '"', ['\\'] = '\\',
};

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* Nonzero when any of the 8 bytes may need attention; false positives only
 * send the word to the byte loop, there are no false negatives. */
static inline uint64_t json_special8(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\'), d = x ^ (ONES * 0x7f);

	return (x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) |
		((b - ONES) & ~b) | ((d - ONES) & ~d)) & HIGHS;
}

static inline uint64_t text_special8(uint64_t x)
{
	return (x | ((x - ONES) & ~x)) & HIGHS;
}

/* Length of the valid UTF-8 sequence at s (r bytes left), 0 if invalid:
 * overlongs, surrogates, > U+10FFFF and truncated sequences are refused. */
static inline int utf8_seq(const uint8_t *s, size_t r)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return r >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		return r >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c < 0xf5) {
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		return r >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* Index of the first flagged byte of a json_special8/text_special8 mask:
 * exact on little-endian, since the borrow tricks only add false positives
 * in bytes more significant than a true one.  On big-endian those are the
 * earlier bytes, so there the whole word goes to the byte loop. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define first_flag(m)	((size_t)__builtin_ctzll(m) / 8)
#define FLAG_SCAN	1	/* bytes the byte loop handles after it */
#else
#define first_flag(m)	((size_t)0)
#define FLAG_SCAN	8
#endif

/* Worst case 6 bytes out per byte in ("\u001f").  The 8-byte stores below
 * happen only with 8 more bytes of input, so they stay inside that budget
 * (at input i the output is at most 6i, and 6i + 8 <= 6n). */
static char *put_json_str(char *w, const uint8_t *s, size_t n)
{
	size_t i = 0, end;

	while (i < n) {
		if (i + 8 <= n) {
			uint64_t x, m;

			memcpy(&x, s + i, 8);
			memcpy(w, &x, 8);
			m = json_special8(x);
			if (!m) {
				w += 8;
				i += 8;
				continue;
			}
			/* copy up to the first byte that needs a look: usually
			 * the terminating NUL, so a string ends here */
			end = first_flag(m);
			w += end;
			i += end;
			end = i + FLAG_SCAN;
		} else {
			end = n;
		}
		while (i < end) {
			uint8_t c = s[i];
			int k;

			switch (json_cls[c]) {
			case C_PLAIN:
				*w++ = (char)c;
				i++;
				break;
			case C_NUL:
				return w;
			case C_SHORT:
				w[0] = '\\';
				w[1] = short_esc[c];
				w += 2;
				i++;
				break;
			case C_CTRL:
				w = PUT_LIT(w, "\\u00");
				w[0] = hexl[c >> 4];
				w[1] = hexl[c & 15];
				w += 2;
				i++;
				break;
			default:
				k = utf8_seq(s + i, n - i);
				if (k) {
					w = put_lit(w, (const char *)s + i, (size_t)k);
					i += (size_t)k;
				} else {
					/* \xHH, its backslash JSON-escaped */
					w = PUT_LIT(w, "\\\\x");
					w[0] = hexl[c >> 4];
					w[1] = hexl[c & 15];
					w += 2;
					i++;
				}
				break;
			}
		}
	}
	return w;
}

/* Label text: invalid bytes as \xHH, nothing else touched.  4 bytes per byte. */
static char *put_text_str(char *w, const uint8_t *s, size_t n)
{
	size_t i = 0, end;

	while (i < n) {
		if (i + 8 <= n) {
			uint64_t x, m;

			memcpy(&x, s + i, 8);
			memcpy(w, &x, 8);
			m = text_special8(x);
			if (!m) {
				w += 8;
				i += 8;
				continue;
			}
			end = first_flag(m);
			w += end;
			i += end;
			end = i + FLAG_SCAN;
		} else {
			end = n;
		}
		while (i < end) {
			uint8_t c = s[i];
			int k;

			if (!c)
				return w;
			if (c < 0x80) {
				*w++ = (char)c;
				i++;
				continue;
			}
			k = utf8_seq(s + i, n - i);
			if (k) {
				w = put_lit(w, (const char *)s + i, (size_t)k);
				i += (size_t)k;
			} else {
				w = PUT_LIT(w, "\\x");
				w[0] = hexl[c >> 4];
				w[1] = hexl[c & 15];
				w += 2;
				i++;
			}
		}
	}
	return w;
}

/* --- floats --- */

#if defined(__FLT16_MAX__)
#define HAVE_F16 1
#endif

static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;

	if (e == 0x1f)
		v = m ? NAN : INFINITY;
	else if (e)
		v = ldexp(1024 + m, e - 25);
	else
		v = ldexp(m, -24);
	return h & 0x8000 ? -v : v;
}

static bool round_trips(const char *s, double v, int bytes)
{
	double d = strtod(s, NULL);

	if (bytes == 8)
		return d == v;
	if (bytes == 4)
		return (float)d == (float)v;
#ifdef HAVE_F16
	return (_Float16)d == (_Float16)v;
#else
	return false;
#endif
}

/* significant digits of a %g mantissa, trailing zeros of "100000" excluded */
static int sig_digits(const char *s)
{
	int n = 0, last = 0;
	bool lead = true;

	for (; *s && *s != 'e' && *s != 'E'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (lead && *s == '0')
			continue;
		lead = false;
		n++;
		if (*s != '0')
			last = n;
	}
	return last ? last : 1;
}

/*
 * Shortest %.Ng (N = 1..17) that reads back as the same value, for a double,
 * float or half.  Any decimal of at most DIG (DBL_DIG/FLT_DIG/3) significant
 * digits survives decimal->binary->%.DIGg, so when %.DIGg round-trips its
 * significant digits are the shortest N; above DIG only DIG+1.. need trying.
 * This equals trying every N from 1 and costs 2-3 snprintf calls.  The
 * guarantee needs full precision, so subnormals try every N from 1.
 */
static int shortest_g(char *buf, size_t cap, double v, int bytes)
{
	double tiny = bytes == 8 ? DBL_MIN : bytes == 4 ? FLT_MIN : 6.103515625e-05;
	int lo = bytes == 8 ? DBL_DIG : bytes == 4 ? FLT_DIG : 3;
	int hi = bytes == 8 ? 17 : bytes == 4 ? 9 : 5;
	int p, n = 0, k;

	if (v != 0 && fabs(v) < tiny)
		lo = 1;

	for (p = lo; p <= hi; p++) {
		n = snprintf(buf, cap, "%.*g", p, v);
		if (p == hi || round_trips(buf, v, bytes))
			break;
	}
	if (p == lo && lo > 1) {
		k = sig_digits(buf);
		if (k < lo)
			n = snprintf(buf, cap, "%.*g", k, v);
	}
	/* a program that set LC_NUMERIC must still get JSON */
	for (k = 0; k < n; k++)
		if (buf[k] == ',')
			buf[k] = '.';
	return n;
}

#define FLOAT_MAX_OUT 32

static char *put_float(char *w, double v, int bytes, bool text)
{
	char buf[40];
	int n;

	if (isnan(v))
		return text ? PUT_LIT(w, "NaN") : PUT_LIT(w, "null");
	if (isinf(v)) {
		if (!text)
			return PUT_LIT(w, "null");
		return v > 0 ? PUT_LIT(w, "+Inf") : PUT_LIT(w, "-Inf");
	}
	n = shortest_g(buf, sizeof(buf), v, bytes);
	return put_lit(w, buf, (size_t)n);
}

/* --- special types --- */

static char *put_ipv4(char *w, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*w++ = '.';
		w = put_u32(w, a[i]);
	}
	return w;
}

static char *put_ipv6(char *w, const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	int i, bs = -1, bl = 0, cs = -1, cl = 0;
	uint16_t g[8];

	if (!memcmp(a, mapped, 12)) {
		w = PUT_LIT(w, "::ffff:");
		return put_ipv4(w, a + 12);
	}
	for (i = 0; i < 8; i++) {
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
		if (g[i]) {
			cs = -1;
			cl = 0;
			continue;
		}
		if (cs < 0)
			cs = i;
		if (++cl > bl) {	/* strictly longer: the first run wins ties */
			bs = cs;
			bl = cl;
		}
	}
	if (bl < 2)		/* RFC 5952 4.2.2: one zero group stays "0" */
		bs = -1;
	for (i = 0; i < 8; i++) {
		if (i == bs) {
			w = PUT_LIT(w, "::");
			i += bl - 1;
			continue;
		}
		if (i && i != bs + bl)
			*w++ = ':';
		w = put_hex64(w, g[i]);
	}
	return w;
}

/* Go's fmtFrac: the fraction of v/10^prec without trailing zeros, written
 * backwards from *pi into buf; returns v/10^prec. */
static uint64_t go_frac(char *buf, int *pi, uint64_t v, int prec)
{
	bool print = false;
	int i;

	for (i = 0; i < prec; i++) {
		int digit = (int)(v % 10);

		print = print || digit;
		if (print)
			buf[--*pi] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--*pi] = '.';
	return v;
}

static void go_int(char *buf, int *pi, uint64_t v)
{
	do {
		buf[--*pi] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
}

#define DUR_MAX_OUT 32

/* Go's time.Duration.String(), byte for byte. */
static char *put_duration(char *w, int64_t d)
{
	char buf[DUR_MAX_OUT];
	int i = sizeof(buf);
	uint64_t u = (uint64_t)d;
	bool neg = d < 0;

	if (neg)
		u = (uint64_t)0 - u;
	if (u < 1000000000ULL) {
		int prec;

		buf[--i] = 's';
		if (!u) {
			buf[--i] = '0';
			return put_lit(w, buf + i, sizeof(buf) - (size_t)i);
		} else if (u < 1000) {
			prec = 0;
			buf[--i] = 'n';
		} else if (u < 1000000) {
			prec = 3;
			buf[--i] = '\xb5';	/* U+00B5 micro sign, UTF-8 c2 b5 */
			buf[--i] = '\xc2';
		} else {
			prec = 6;
			buf[--i] = 'm';
		}
		u = go_frac(buf, &i, u, prec);
		go_int(buf, &i, u);
	} else {
		buf[--i] = 's';
		u = go_frac(buf, &i, u, 9);
		go_int(buf, &i, u % 60);
		u /= 60;
		if (u) {
			buf[--i] = 'm';
			go_int(buf, &i, u % 60);
			u /= 60;
			if (u) {
				buf[--i] = 'h';
				go_int(buf, &i, u);
			}
		}
	}
	if (neg)
		buf[--i] = '-';
	return put_lit(w, buf + i, sizeof(buf) - (size_t)i);
}

#define RFC3339_MAX_OUT 32

/* days since 1970-01-01 -> civil date (H. Hinnant's algorithm) */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static inline char *put2(char *w, unsigned v)
{
	memcpy(w, digits2 + 2 * v, 2);
	return w + 2;
}

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"; int64 ns spans 1677..2262 */
/* ns since the epoch: 128 bits, so a ktime (an unsigned 64-bit count) plus
 * the boot offset never wraps (the largest, 2^64 - 1, is in 2608). */
static char *put_rfc3339(char *w, __int128 ns)
{
	int64_t secs = (int64_t)(ns / 1000000000), frac = (int64_t)(ns % 1000000000), days, sod, y;
	unsigned m, d;

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	w = put_pad(w, (uint64_t)y, 4);
	*w++ = '-';
	w = put2(w, m);
	*w++ = '-';
	w = put2(w, d);
	*w++ = 'T';
	w = put2(w, (unsigned)(sod / 3600));
	*w++ = ':';
	w = put2(w, (unsigned)(sod / 60 % 60));
	*w++ = ':';
	w = put2(w, (unsigned)(sod % 60));
	*w++ = '.';
	w = put_pad(w, (uint64_t)frac, 9);
	*w++ = 'Z';
	return w;
}

/* ------------------------------------------------------------------------ */
/* Loading leaves                                                           */

static inline uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static unsigned __int128 ld128(const uint8_t *p)
{
	unsigned __int128 v;

	memcpy(&v, p, 16);
	return v;
}

static inline unsigned __int128 mask_bits(int bits)
{
	return bits >= 128 ? ~(unsigned __int128)0 : ((unsigned __int128)1 << bits) - 1;
}

static inline int op_bits(const struct fmt_op *op)
{
	return op->nbits ? op->nbits : op->width * 8;
}

/* bytes a bitfield spans: at most 16, checked at plan time */
static inline int span_bytes(const struct fmt_op *op)
{
	return (op->shift + op->nbits + 7) / 8;
}

/* bit position of the field's lowest bit within the span value */
static inline int span_pos(const struct fmt_op *op)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return op->shift;
#else
	return span_bytes(op) * 8 - op->shift - op->nbits;
#endif
}

static unsigned __int128 ld_span(const uint8_t *p, int n)
{
	unsigned __int128 v = 0;
	int i;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = n; i--;)
		v = v << 8 | p[i];
#else
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
#endif
	return v;
}

/* The op's bits, zero-extended. */
static unsigned __int128 ld_raw(const struct fmt_op *op, const uint8_t *p)
{
	if (op->nbits)
		return (ld_span(p, span_bytes(op)) >> span_pos(op)) & mask_bits(op->nbits);
	switch (op->width) {
	case 1: return *p;
	case 2: return ld16(p);
	case 4: return ld32(p);
	case 8: return ld64(p);
	default: return ld128(p);
	}
}

/* The op's value, sign-extended to 128 bits when signed. */
static __int128 ld_val(const struct fmt_op *op, const uint8_t *p)
{
	unsigned __int128 v = ld_raw(op, p);
	int bits = op_bits(op);

	if (op->is_signed && bits < 128 && (v >> (bits - 1)) & 1)
		v |= ~mask_bits(bits);
	return (__int128)v;
}

static double ld_float(const struct fmt_op *op, const uint8_t *p)
{
	float f;
	double d;

	switch (op->code) {
	case OP_F16:
		return half_to_double(ld16(p));
	case OP_F32:
		memcpy(&f, p, 4);
		return f;
	default:
		memcpy(&d, p, 8);
		return d;
	}
}

static char *put_int(char *w, const struct fmt_op *op, const uint8_t *p)
{
	__int128 v = ld_val(op, p);

	if (op->is_signed)
		return op_bits(op) <= 64 ? put_s64(w, (int64_t)v) : put_s128(w, v);
	return op_bits(op) <= 64 ? put_u64(w, (uint64_t)v) : put_u128(w, (unsigned __int128)v);
}

static const struct enum_ent *enum_find(const struct fmt_plan *p, const struct enum_tab *t,
					uint64_t key)
{
	const struct enum_ent *e;
	uint32_t lo = 0, hi = t->n;

	if (!hi)
		return NULL;	/* an enum without enumerators */
	e = p->ents + t->first;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e[mid].key == key)
			return &e[mid];
		if (e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static char *put_named(char *w, const char *name, bool text)
{
	if (!text)
		*w++ = '"';
	w = put_lit(w, name, strlen(name));
	if (!text)
		*w++ = '"';
	return w;
}

/*
 * Every leaf, in JSON (text=false) or label-text form.  The ops whose JSON
 * is always a string (STR, PTR, IPV4, IPV6, DUR, KTIME) get their quotes
 * from the surrounding constant text, so here they write only the body.
 */
static char *put_leaf(const struct fmt_plan *p, const struct fmt_op *op, const uint8_t *q,
		      char *w, bool text)
{
	const struct enum_tab *tab;
	const struct enum_ent *ent;
	const char *name;
	__int128 v;
	uint64_t a;

	switch (op->code) {
	case OP_U8: case OP_U16: case OP_U32: case OP_U64: case OP_U128:
	case OP_S8: case OP_S16: case OP_S32: case OP_S64: case OP_S128:
	case OP_BITS:
		return put_int(w, op, q);
	case OP_BOOL:
		return ld_raw(op, q) ? PUT_LIT(w, "true") : PUT_LIT(w, "false");
	case OP_F16: case OP_F32: case OP_F64:
		return put_float(w, ld_float(op, q), op->code == OP_F64 ? 8 : op->code == OP_F32 ? 4 : 2, text);
	case OP_STR:
		return text ? put_text_str(w, q, op->a) : put_json_str(w, q, op->a);
	case OP_ENUM:
		tab = &p->tabs[op->a];
		ent = enum_find(p, tab, (uint64_t)ld_raw(op, q));
		if (!ent)
			return put_int(w, op, q);
		if (text)
			return put_lit(w, p->names + ent->raw_off, ent->raw_len);
		return put_lit(w, p->names + ent->json_off, ent->json_len);
	case OP_PTR:
		w = PUT_LIT(w, "0x");
		return put_hex64(w, op->width == 4 ? ld32(q) : ld64(q));
	case OP_IPV4:
		return put_ipv4(w, q);
	case OP_IPV6:
		return put_ipv6(w, q);
	case OP_DUR:
		return put_duration(w, (int64_t)ld64(q));
	case OP_KTIME:
		return put_rfc3339(w, (__int128)ld64(q) + ktime_offset);
	case OP_ERRNO:
	case OP_SIGNAL:
		v = ld_val(op, q);
		a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		name = op->code == OP_ERRNO ? errno_name(a) : v >= 0 ? signal_name(a) : NULL;
		if (name)
			return put_named(w, name, text);
		return put_int(w, op, q);
	case OP_STACK: {
		/* op->b: 1 + the record offset of the member holding the pid */
		uint32_t pid = op->b ? ld32(q - op->off + op->b - 1) : 0;
		size_t n = stack_fn ? stack_fn(stack_ctx, p->btf, (int64_t)ld_val(op, q), pid, text, w,
					       STACK_MAX_OUT) : 0;

		if (!stack_fn && !text)
			return PUT_LIT(w, "[]");
		return w + n;
	}
	case OP_NAME: {
		char buf[FMT_NAME_MAX];
		__int128 sv = ld_val(op, q);
		uint64_t u = (uint64_t)sv;
		size_t n = name_fn && sv >= 0 ? name_fn(name_ctx, (int)op->b, u, buf, sizeof(buf)) : 0;

		if (!n && op->b == FMT_NAME_KSYM) {
			/* no symbols known: the address, as a string still */
			if (!text)
				*w++ = '"';
			w = PUT_LIT(w, "0x");
			w = put_hex64(w, u);
			if (!text)
				*w++ = '"';
			return w;
		}
		if (!n)
			return put_int(w, op, q);
		if (text)
			return put_text_str(w, (const uint8_t *)buf, n);
		*w++ = '"';
		w = put_json_str(w, (const uint8_t *)buf, n);
		*w++ = '"';
		return w;
	}
	case OP_SYSCALL:
		name = syscall_name(ld_val(op, q));
		return name ? put_named(w, name, text) : put_int(w, op, q);
	case OP_PORT:
		return put_u64(w, (uint16_t)(q[0] << 8 | q[1]));
	case OP_ENRICH:
		/* an event of no container gains nothing */
		if (!op->a)
			return enrich_json_fn ? w + enrich_json_fn(enrich_ctx, ld64(q), w, ENRICH_JSON_MAX) : w;
		/* keys renamed around the record's own members: the slow way */
		{
			struct enrich_info ci;

			if (!enrich_fn || !enrich_fn(enrich_ctx, ld64(q), &ci))
				return w;
			for (uint32_t k = 0; k < 4; k++) {
				const char *v = enrich_val(&ci, k);

				*w++ = ',';
				*w++ = '"';
				w = put_lit(w, enrich_field_names[k], strlen(enrich_field_names[k]));
				for (uint32_t u = (op->a >> (8 * k)) & 0xff; u; u--)
					*w++ = '_';
				w = PUT_LIT(w, "\":\"");
				w = put_json_str(w, (const uint8_t *)v, strlen(v));
				*w++ = '"';
			}
			return w;
		}
	case OP_ENRICH_FIELD: {
		struct enrich_info ci;
		bool known = enrich_fn && enrich_fn(enrich_ctx, ld64(q), &ci);
		const char *v = known ? enrich_val(&ci, op->b) : "";

		if (text)
			return put_text_str(w, (const uint8_t *)v, strlen(v));
		*w++ = '"';
		w = put_json_str(w, (const uint8_t *)v, strlen(v));
		*w++ = '"';
		return w;
	}
	}
	return w;
}

/* ------------------------------------------------------------------------ */
/* The per-event walk                                                       */

struct frame {
	const uint8_t *base;
	uint32_t i;
};

/* One leaf summed over the CPUs, exactly: integers in 128 bits (bitfields
 * too), floats in double precision shown at their own width. */
static char *put_sum_leaf(const struct fmt_op *op, const uint8_t *q, size_t stride, int ncpu, char *w)
{
	/* unsigned: 128-bit leaves can overflow the sum, which then wraps
	 * (modulo 2^128) instead of being a signed overflow */
	unsigned __int128 acc = 0;
	double f = -0.0;	/* the identity: one CPU's -0 sums to -0 */
	int cpu;

	switch (op->code) {
	case OP_F16: case OP_F32: case OP_F64:
		for (cpu = 0; cpu < ncpu; cpu++)
			f += ld_float(op, q + (size_t)cpu * stride);
		return put_float(w, f, op->code == OP_F64 ? 8 : op->code == OP_F32 ? 4 : 2, false);
	default:
		break;
	}
	for (cpu = 0; cpu < ncpu; cpu++)
		acc += (unsigned __int128)ld_val(op, q + (size_t)cpu * stride);
	if (op->code == OP_DUR) {
		__int128 s = (__int128)acc;	/* 8-byte durations: no wrap */

		return put_duration(w, s > INT64_MAX ? INT64_MAX : s < INT64_MIN ? INT64_MIN : (int64_t)s);
	}
	return op->is_signed ? put_s128(w, (__int128)acc) : put_u128(w, acc);
}

/* The walk over a plan's ops.  ncpu == 0: one record (the event hot path;
 * the compiler drops the per-CPU branch there, ncpu being a constant).
 * ncpu > 0: ncpu images `stride` bytes apart, each leaf summed over them. */
static inline __attribute__((always_inline)) char *walk_json(const struct fmt_plan *p, const uint8_t *data,
							     char *w, size_t stride, int ncpu)
{
	const struct fmt_op *ops = p->ops.v, *op, *lp;
	struct frame st[MAX_DEPTH + 1];
	const uint8_t *base = data, *q;
	uint32_t pc, n = p->ops.n;
	int sp = 0;

	for (pc = 0; pc < n; pc++) {
		op = &ops[pc];
		q = base + op->off;
		if (op->pre_len <= PRE_FAST) {
			memcpy(w, p->text + op->pre, PRE_FAST);
			w += op->pre_len;
		} else {
			w = put_lit(w, p->text + op->pre, op->pre_len);
		}
		if (ncpu && op->code != OP_TEXT && op->code != OP_LOOP && op->code != OP_NEXT) {
			w = put_sum_leaf(op, q, stride, ncpu, w);
			continue;
		}
		switch (op->code) {
		case OP_TEXT:
			break;
		case OP_U8:
			w = put_u32(w, *q);
			break;
		case OP_U16:
			w = put_u32(w, ld16(q));
			break;
		case OP_U32:
			w = put_u32(w, ld32(q));
			break;
		case OP_U64:
			w = put_u64(w, ld64(q));
			break;
		case OP_S8:
			w = put_s64(w, (int8_t)*q);
			break;
		case OP_S16:
			w = put_s64(w, (int16_t)ld16(q));
			break;
		case OP_S32:
			w = put_s64(w, (int32_t)ld32(q));
			break;
		case OP_S64:
			w = put_s64(w, (int64_t)ld64(q));
			break;
		case OP_STR:
			w = put_json_str(w, q, op->a);
			break;
		case OP_LOOP:
			st[sp].base = base;
			st[sp].i = 0;
			sp++;
			base = q;
			break;
		case OP_NEXT:
			lp = &ops[op->a];
			if (++st[sp - 1].i < lp->a) {
				*w++ = ',';
				base += lp->b;
				pc = op->a;	/* the loop's body starts at op->a + 1 */
			} else {
				base = st[--sp].base;
			}
			break;
		default:
			w = put_leaf(p, op, q, w, false);
			break;
		}
	}
	return w;
}

int fmt_json(const struct fmt_plan *plan, const void *data, size_t len, struct strbuf *out)
{
	char *w;

	if (len < plan->size)
		return -EMSGSIZE;
	if (sb_reserve(out, plan->max_out + PRE_FAST))
		return out->err ? out->err : -ENOMEM;
	if (!data)
		data = "";	/* zero-size type: no op reads */
	w = walk_json(plan, data, out->buf + out->len, 0, 0);
	out->len = (size_t)(w - out->buf);
	return 0;
}

void fmt_json_str(struct strbuf *out, const char *s, size_t n)
{
	if (n > SIZE_MAX / 8 || sb_reserve(out, 6 * n))
		return;
	out->len = (size_t)(put_json_str(out->buf + out->len, (const uint8_t *)s, n) - out->buf);
}

void fmt_text_str(struct strbuf *out, const char *s, size_t n)
{
	if (n > SIZE_MAX / 8 || sb_reserve(out, 4 * n))
		return;
	out->len = (size_t)(put_text_str(out->buf + out->len, (const uint8_t *)s, n) - out->buf);
}

void fmt_duration(struct strbuf *out, int64_t ns)
{
	if (sb_reserve(out, DUR_MAX_OUT))
		return;
	out->len = (size_t)(put_duration(out->buf + out->len, ns) - out->buf);
}

void fmt_rfc3339(struct strbuf *out, int64_t unix_ns)
{
	if (sb_reserve(out, RFC3339_MAX_OUT))
		return;
	out->len = (size_t)(put_rfc3339(out->buf + out->len, unix_ns) - out->buf);
}

void fmt_double(struct strbuf *out, double v)
{
	if (sb_reserve(out, FLOAT_MAX_OUT))
		return;
	out->len = (size_t)(put_float(out->buf + out->len, v, 8, true) - out->buf);
}

/* ------------------------------------------------------------------------ */
/* Per-CPU sums                                                             */

int fmt_json_percpu(const struct fmt_plan *p, const void *data, size_t stride, int ncpu, struct strbuf *out)
{
	char *w;

	if (!p->all_numeric || ncpu <= 0 || stride < p->size)
		return -EINVAL;
	/* a sum has at most ~19 more digits than one value */
	if (sb_reserve(out, p->max_out + (size_t)p->ops.n * 20 + PRE_FAST))
		return out->err ? out->err : -ENOMEM;
	w = walk_json(p, data ? data : "", out->buf + out->len, stride, ncpu);
	out->len = (size_t)(w - out->buf);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Compiling                                                                */

struct rtype {
	const struct btf_type *t;	/* after typedefs and modifiers */
	uint32_t id;
	int nsp;
	enum special sp[MAX_SP];	/* special typedef names seen, outermost first */
};

static enum special special_by_name(const char *name)
{
	size_t i;

	if (!name)
		return SP_NONE;
	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (!strcmp(name, specials[i].name))
			return specials[i].sp;
	return SP_NONE;
}

static int resolve(const struct btf *btf, uint32_t id, struct rtype *r)
{
	int hops;

	r->nsp = 0;
	for (hops = 0; hops < MAX_CHAIN; hops++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return -EINVAL;
		if (btf_is_typedef(t)) {
			enum special sp = special_by_name(btf__name_by_offset(btf, t->name_off));

			if (sp != SP_NONE && r->nsp < MAX_SP)
				r->sp[r->nsp++] = sp;
		} else if (!btf_is_mod(t) && !btf_is_type_tag(t)) {
			r->t = t;
			r->id = id;
			return 0;
		}
		id = t->type;
	}
	return -EINVAL;		/* typedef loop */
}

static int64_t type_size(const struct btf *btf, uint32_t id)
{
	int64_t s = btf__resolve_size(btf, id);

	if (s < 0 || s > UINT32_MAX)
		return -EINVAL;
	return s;
}

/* Bits a member occupies: a kflag bitfield's size, the used bits of an INT
 * whose encoding has an offset or fewer bits (pre-kflag bitfields), else
 * the whole type.  Negative on bad BTF. */
static int64_t member_bits(const struct btf *btf, uint32_t type_id, uint32_t bfs)
{
	int64_t sz;
	struct rtype r;

	if (bfs)
		return bfs;
	sz = type_size(btf, type_id);
	if (sz < 0 || resolve(btf, type_id, &r))
		return -EINVAL;
	if (btf_is_int(r.t))
		return btf_int_offset(r.t) + btf_int_bits(r.t);
	return sz * 8;
}

static bool int_like(const struct btf_type *t)
{
	if (btf_is_int(t))
		return !(btf_int_encoding(t) & BTF_INT_BOOL) && btf_int_offset(t) == 0 &&
		       btf_int_bits(t) == t->size * 8 &&
		       (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8);
	if (btf_is_any_enum(t))
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	return false;
}

/* The special rendering that applies, given the resolved type and size. */
static enum special pick_special(const struct rtype *r, int64_t size)
{
	size_t i, k;

	for (k = 0; k < (size_t)r->nsp; k++) {
		for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
			if (specials[i].sp != r->sp[k])
				continue;
			if (specials[i].size ? size == specials[i].size && (!specials[i].int_only || int_like(r->t))
					     : int_like(r->t))
				return r->sp[k];
		}
	}
	return SP_NONE;
}

/* plain `char` or `signed char` (through typedefs/modifiers): a string element */
static bool is_char_elem(const struct btf *btf, uint32_t id)
{
	struct rtype r;
	const char *name;

	if (resolve(btf, id, &r) || !btf_is_int(r.t) || r.t->size != 1 ||
	    btf_int_encoding(r.t) & BTF_INT_BOOL || btf_int_bits(r.t) != 8 || btf_int_offset(r.t))
		return false;
	if (pick_special(&r, 1) != SP_NONE)
		return false;
	name = btf__name_by_offset(btf, r.t->name_off);
	/* plain char only: signed char / __s8 / int8_t arrays are numbers */
	return name && !strcmp(name, "char");
}

struct cc {
	const struct btf *btf;
	int64_t pid_off;	/* record offset of a top-level pid/tgid member, else -1 */
	int in_array;		/* > 0: offsets are from an array element, not the record */
	struct fmt_plan *p;
	struct op_list *ops;	/* p->ops */
	bool numeric;		/* every rendered leaf so far can be summed */
	bool composite;		/* the top-level value is a struct/union/array */
	uint32_t steps;		/* members visited, up to MAX_STEPS */
	bool reads_pid;		/* a stack_id leaf reads the pid member */
	int64_t cg_off;		/* --enrich: the record's cgroup_id member, or -1 */
};

/* Append op; when the last op is pending text, op takes it as its prefix
 * instead (they always run together, also as a loop body's first op). */
static int emit(struct cc *c, const struct fmt_op *op)
{
	struct op_list *l = c->ops;
	size_t cap = l->cap;
	struct fmt_op *last = l->n ? &l->v[l->n - 1] : NULL;

	if (last && last->code == OP_TEXT) {
		uint32_t pre = last->pre, pre_len = last->pre_len;

		*last = *op;
		last->pre = pre;
		last->pre_len = pre_len;
		return (int)l->n - 1;
	}
	if (l->n >= UINT32_MAX / 2 || array_grow((void **)&l->v, l->n + 1, &cap, sizeof(*op)))
		return -ENOMEM;
	l->cap = (uint32_t)cap;
	l->v[l->n] = *op;
	return (int)l->n++;
}

static int emit_text(struct cc *c, const char *s, size_t n)
{
	struct fmt_plan *p = c->p;
	struct fmt_op op = { .code = OP_TEXT };
	struct op_list *l = c->ops;
	int err;

	if (!n)
		return 0;
	if (p->text_len + n > MAX_TEXT)
		return -E2BIG;
	if ((err = array_grow((void **)&p->text, p->text_len + n, &p->text_cap, 1)))
		return err;
	memcpy(p->text + p->text_len, s, n);
	/* glue to pending text so one copy writes both */
	if (l->n && l->v[l->n - 1].code == OP_TEXT &&
	    l->v[l->n - 1].pre + l->v[l->n - 1].pre_len == p->text_len) {
		l->v[l->n - 1].pre_len += (uint32_t)n;
		p->text_len += n;
		return 0;
	}
	op.pre = (uint32_t)p->text_len;
	op.pre_len = (uint32_t)n;
	p->text_len += n;
	if (l->n >= UINT32_MAX / 2)
		return -ENOMEM;
	{
		size_t cap = l->cap;

		if (array_grow((void **)&l->v, l->n + 1, &cap, sizeof(op)))
			return -ENOMEM;
		l->cap = (uint32_t)cap;
	}
	l->v[l->n++] = op;
	return 0;
}

/* JSON-escaped copy of a BTF name: identifiers in practice, anything here */
static int escape_name(const char *name, struct strbuf *sb)
{
	sb_reset(sb);
	sb_putc(sb, '"');
	fmt_json_str(sb, name, strlen(name));
	sb_putc(sb, '"');
	return sb->err;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > MAX_OUT || b > MAX_OUT || a + b > MAX_OUT ? MAX_OUT + 1 : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	if (a && b > (MAX_OUT + 1) / a)
		return MAX_OUT + 1;
	return a * b > MAX_OUT ? MAX_OUT + 1 : a * b;
}

/* Integer load of nbits at bit position pos: a plain op when byte-aligned
 * and a power-of-two width, else a bitfield op. */
static int int_op(struct fmt_op *op, uint64_t pos, uint32_t nbits, bool sgn)
{
	static const uint8_t ucode[17] = { [1] = OP_U8, [2] = OP_U16, [4] = OP_U32, [8] = OP_U64, [16] = OP_U128 };
	static const uint8_t scode[17] = { [1] = OP_S8, [2] = OP_S16, [4] = OP_S32, [8] = OP_S64, [16] = OP_S128 };

	memset(op, 0, sizeof(*op));
	if (!nbits || nbits > 128 || pos / 8 > UINT32_MAX)
		return -EINVAL;
	op->off = (uint32_t)(pos / 8);
	op->is_signed = sgn;
	if (pos % 8 == 0 && nbits % 8 == 0 && nbits / 8 <= 16 && ucode[nbits / 8]) {
		op->width = (uint8_t)(nbits / 8);
		op->code = sgn ? scode[op->width] : ucode[op->width];
		return 0;
	}
	op->shift = pos % 8;
	op->nbits = (uint8_t)nbits;
	if (nbits == 128 || op->shift + nbits > 128)
		return -EINVAL;		/* would span 17 bytes: no compiler emits it */
	op->code = OP_BITS;
	return 0;
}

static int add_leaf(struct cc *c, struct fmt_op *op, bool numeric, size_t omax, size_t *max)
{
	int err;

	if (!numeric)
		c->numeric = false;
	*max = sat_add(*max, omax);
	err = emit(c, op);
	return err < 0 ? err : 0;
}

/* A leaf whose JSON is always a string: quotes come from constant text. */
static int add_quoted(struct cc *c, struct fmt_op *op, bool numeric, size_t omax, size_t *max)
{
	int err;

	if ((err = emit_text(c, "\"", 1)) || (err = add_leaf(c, op, numeric, omax, max)) ||
	    (err = emit_text(c, "\"", 1)))
		return err;
	*max = sat_add(*max, 2);
	return 0;
}

static int enum_table(struct cc *c, const struct btf_type *t, int bits, bool sgn, uint32_t *idx,
		      size_t *maxname);

static int compile_value(struct cc *c, uint32_t id, uint64_t bit_off, uint32_t bf_bits, int depth,
			 size_t *max);

static int compile_members(struct cc *c, const struct btf_type *t, uint64_t base, int depth,
			   size_t *max, bool *first)
{
	const struct btf_member *m = btf_members(t);
	struct strbuf nm = {};
	int i, err = 0;

	for (i = 0; i < btf_vlen(t) && !err; i++, m++) {
		const char *name = btf__name_by_offset(c->btf, m->name_off);
		uint64_t moff = btf_member_bit_offset(t, (uint32_t)i);
		uint32_t bfs = btf_member_bitfield_size(t, (uint32_t)i);
		int64_t mbits = member_bits(c->btf, m->type, bfs);
		struct rtype r;

		if (!name)
			name = "";
		if (mbits < 0) {
			err = -EINVAL;
			break;
		}
		if (moff + (uint64_t)mbits > (uint64_t)t->size * 8) {
			err = -EINVAL;	/* member outside its parent: malformed */
			break;
		}
		if (++c->steps > MAX_STEPS) {
			err = -E2BIG;
			break;
		}
		if (!*name) {
			/* anonymous struct/union: its members belong to us, as in C */
			if (bfs || resolve(c->btf, m->type, &r) || !btf_is_composite(r.t))
				continue;	/* unnamed padding bitfield */
			if (depth >= MAX_DEPTH) {
				err = -EINVAL;
				break;
			}
			if (btf_is_union(r.t))
				c->numeric = false;
			err = compile_members(c, r.t, base + moff, depth + 1, max, first);
			continue;
		}
		/* "__" members are never rendered (nor summed per CPU) */
		if (name[0] == '_' && name[1] == '_')
			continue;
		if ((err = escape_name(name, &nm)))
			break;
		if (!*first)
			err = emit_text(c, ",", 1);
		if (!err)
			err = emit_text(c, nm.buf, nm.len);
		if (!err)
			err = emit_text(c, ":", 1);
		*max = sat_add(*max, nm.len + 2);
		*first = false;
		if (!err)
			err = compile_value(c, m->type, base + moff, bfs, depth + 1, max);
	}
	sb_free(&nm);
	return err;
}

static int compile_array(struct cc *c, const struct btf_type *t, uint64_t bit_off, int depth,
			 size_t *max)
{
	const struct btf_array *a = btf_array(t);
	struct fmt_op op = {};
	size_t emax = 0;
	int64_t es;
	int lp, err;

	if (bit_off % 8 || bit_off / 8 > UINT32_MAX)
		return -EINVAL;
	es = type_size(c->btf, a->type);
	if (es < 0)
		return -EINVAL;
	if (depth == 0 && !is_char_elem(c->btf, a->type))
		c->composite = true;
	if (is_char_elem(c->btf, a->type)) {
		op.code = OP_STR;
		op.off = (uint32_t)(bit_off / 8);
		op.a = a->nelems;
		return add_quoted(c, &op, false, sat_mul(6, a->nelems), max);
	}
	if (!a->nelems) {
		*max = sat_add(*max, 2);
		return emit_text(c, "[]", 2);
	}
	if (depth >= MAX_DEPTH)
		return -EINVAL;
	if ((err = emit_text(c, "[", 1)))
		return err;
	op.code = OP_LOOP;
	op.off = (uint32_t)(bit_off / 8);
	op.a = a->nelems;
	op.b = (uint32_t)es;
	if ((lp = emit(c, &op)) < 0)
		return lp;
	c->in_array++;
	err = compile_value(c, a->type, 0, 0, depth + 1, &emax);
	c->in_array--;
	if (err)
		return err;
	memset(&op, 0, sizeof(op));
	op.code = OP_NEXT;
	op.a = (uint32_t)lp;
	if ((err = emit(c, &op)) < 0)
		return err;
	*max = sat_add(*max, sat_add(2, sat_mul(a->nelems, sat_add(emax, 1))));
	return emit_text(c, "]", 1);
}

static int compile_special(struct cc *c, enum special sp, const struct rtype *r, uint64_t bit_off,
			   size_t *max)
{
	struct fmt_op op = { .off = (uint32_t)(bit_off / 8) };
	int err;

	switch (sp) {
	case SP_IPV4:
		op.code = OP_IPV4;
		return add_quoted(c, &op, false, 15, max);
	case SP_IPV6:
		op.code = OP_IPV6;
		return add_quoted(c, &op, false, 46, max);
	case SP_DUR:
		op.code = OP_DUR;
		op.width = 8;
		op.is_signed = 1;
		return add_quoted(c, &op, true, DUR_MAX_OUT, max);
	case SP_KTIME:
		op.code = OP_KTIME;
		op.width = 8;
		return add_quoted(c, &op, false, RFC3339_MAX_OUT, max);
	case SP_ERRNO:
	case SP_SIGNAL:
		err = int_op(&op, bit_off, r->t->size * 8,
			     btf_is_int(r->t) ? btf_int_encoding(r->t) & BTF_INT_SIGNED : btf_kflag(r->t));
		if (err)
			return err;
		op.code = sp == SP_ERRNO ? OP_ERRNO : OP_SIGNAL;
		return add_leaf(c, &op, false, 32, max);
	case SP_STACK:
		err = int_op(&op, bit_off, r->t->size * 8, 1);
		if (err)
			return err;
		op.code = OP_STACK;
		if (c->pid_off >= 0 && !c->in_array) {
			op.b = (uint32_t)c->pid_off + 1;
			c->reads_pid = true;
		}
		return add_leaf(c, &op, false, STACK_MAX_OUT, max);
	case SP_KSYM:
	case SP_IFINDEX:
	case SP_CGROUP:
	case SP_USER:
		/* signed types stay signed: -1 is no name, shown as -1 */
		err = int_op(&op, bit_off, r->t->size * 8,
			     btf_is_int(r->t) ? btf_int_encoding(r->t) & BTF_INT_SIGNED : btf_kflag(r->t));
		if (err)
			return err;
		op.code = OP_NAME;
		op.b = sp == SP_KSYM ? FMT_NAME_KSYM : sp == SP_IFINDEX ? FMT_NAME_IFINDEX
			: sp == SP_CGROUP ? FMT_NAME_CGROUP : FMT_NAME_USER;
		__atomic_fetch_or(&names_compiled, 1u << op.b, __ATOMIC_RELAXED);
		/* a name of at most FMT_NAME_MAX - 1 bytes, JSON-escaped, quoted */
		return add_leaf(c, &op, false, 2 + 6 * (FMT_NAME_MAX - 1), max);
	case SP_SYSCALL:
		err = int_op(&op, bit_off, r->t->size * 8,
			     btf_is_int(r->t) ? btf_int_encoding(r->t) & BTF_INT_SIGNED : btf_kflag(r->t));
		if (err)
			return err;
		op.code = OP_SYSCALL;
		return add_leaf(c, &op, false, 40, max);
	case SP_PORT:
		err = int_op(&op, bit_off, 16, 0);
		if (err)
			return err;
		op.code = OP_PORT;
		return add_leaf(c, &op, false, 5, max);
	default:
		return -EINVAL;
	}
}

static bool has_member_named(const struct btf *btf, const struct btf_type *t, const char *name, int depth);

static int compile_value(struct cc *c, uint32_t id, uint64_t bit_off, uint32_t bf_bits, int depth,
			 size_t *max)
{
	const struct btf_type *t;
	struct fmt_op op = {};
	enum special sp;
	struct rtype r;
	size_t nmax;
	uint32_t enc;
	int64_t size;
	bool sgn, first = true;
	int err;

	if (depth > MAX_DEPTH)
		return -EINVAL;
	if ((err = resolve(c->btf, id, &r)))
		return err;
	t = r.t;
	size = type_size(c->btf, r.id);
	if (size < 0)
		return -EINVAL;
	if (bf_bits) {
		/* bitfields are plain numbers (or enum names), never special */
		if (!btf_is_int(t) && !btf_is_any_enum(t))
			return -EINVAL;
		if (bf_bits > size * 8)
			return -EINVAL;
	} else if (bit_off % 8 == 0 && (sp = pick_special(&r, size)) != SP_NONE) {
		return compile_special(c, sp, &r, bit_off, max);
	}

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		enc = btf_int_encoding(t);
		/* a bitfield member of an int with an encoding offset: the
		 * kernel refuses it too (and the record size, from the member's
		 * bits, would not cover the offset) */
		if ((t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 && t->size != 16) ||
		    !btf_int_bits(t) || btf_int_offset(t) + btf_int_bits(t) > t->size * 8 ||
		    (bf_bits && btf_int_offset(t)))
			return -EINVAL;
		err = int_op(&op, bit_off + btf_int_offset(t), bf_bits ? bf_bits : btf_int_bits(t),
			     enc & BTF_INT_SIGNED);
		if (err)
			return err;
		if (enc & BTF_INT_BOOL) {
			op.code = OP_BOOL;
			return add_leaf(c, &op, false, 5, max);
		}
		return add_leaf(c, &op, true, op_bits(&op) > 64 ? 41 : 21, max);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
			return -EINVAL;
		/* clang 14 never sets kflag on ENUM: negative enumerators tell.
		 * ENUM64 only comes from compilers that do set it. */
		sgn = btf_kflag(t);
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t);
			int i;

			for (i = 0; i < btf_vlen(t); i++)
				sgn |= e[i].val < 0;
		}
		if ((err = int_op(&op, bit_off, bf_bits ? bf_bits : t->size * 8, sgn)))
			return err;
		op.code = OP_ENUM;
		if ((err = enum_table(c, t, op_bits(&op), sgn, &op.a, &nmax)))
			return err;
		return add_leaf(c, &op, false, nmax > 21 ? nmax : 21, max);
	case BTF_KIND_FLOAT:
		if (bit_off % 8)
			return -EINVAL;
		op.off = (uint32_t)(bit_off / 8);
		op.width = (uint8_t)t->size;
		op.is_signed = 1;
		switch (t->size) {
		case 2: op.code = OP_F16; break;
		case 4: op.code = OP_F32; break;
		case 8: op.code = OP_F64; break;
		default: return -EINVAL;	/* long double: no portable reading */
		}
		return add_leaf(c, &op, true, FLOAT_MAX_OUT, max);
	case BTF_KIND_PTR:
		if (bit_off % 8 || (size != 4 && size != 8))
			return -EINVAL;
		op.code = OP_PTR;
		op.off = (uint32_t)(bit_off / 8);
		op.width = (uint8_t)size;
		return add_quoted(c, &op, false, 18, max);
	case BTF_KIND_ARRAY:
		return compile_array(c, t, bit_off, depth, max);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (bit_off % 8)
			return -EINVAL;
		if (depth == 0)
			c->composite = true;
		if (btf_is_union(t))
			c->numeric = false;
		if ((err = emit_text(c, "{", 1)))
			return err;
		*max = sat_add(*max, 2);
		if ((err = compile_members(c, t, bit_off, depth, max, &first)))
			return err;
		if (depth == 0 && c->cg_off >= 0 && enrich_json_fn) {
			memset(&op, 0, sizeof(op));
			op.code = OP_ENRICH;
			op.off = (uint32_t)c->cg_off;
			op.width = 8;
			/* a member already named pod (say): the field becomes pod_, as
			 * the label does; op.a holds the '_' count per key */
			for (uint32_t k = 0; k < 4; k++) {
				char key[32];
				uint32_t u = 0;

				snprintf(key, sizeof(key), "%s", enrich_field_names[k]);
				while (u < 3 && has_member_named(c->btf, t, key, 0)) {
					strcat(key, "_");
					u++;
				}
				op.a |= u << (8 * k);
			}
			if ((err = add_leaf(c, &op, false, ENRICH_JSON_MAX, max)))
				return err;
		}
		return emit_text(c, "}", 1);
	default:
		/* VOID, FWD, FUNC, FUNC_PROTO, VAR, DATASEC, DECL_TAG */
		return -EINVAL;
	}
}

static int ent_cmp(const void *a, const void *b)
{
	const struct enum_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	/* equal values: the first enumerator (lower json_off) wins */
	return x->json_off < y->json_off ? -1 : x->json_off > y->json_off;
}

static int add_name(struct fmt_plan *p, const char *s, size_t n, uint32_t *off)
{
	int err;

	if (p->names_len + n > UINT32_MAX / 2)
		return -E2BIG;
	if ((err = array_grow((void **)&p->names, p->names_len + n + 1, &p->names_cap, 1)))
		return err;
	memcpy(p->names + p->names_len, s, n);
	*off = (uint32_t)p->names_len;
	p->names_len += n;
	return 0;
}

static int enum_table(struct cc *c, const struct btf_type *t, int bits, bool sgn, uint32_t *idx,
		      size_t *maxname)
{
	struct fmt_plan *p = c->p;
	uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	struct strbuf nm = {};
	struct enum_tab *tab;
	uint32_t n = btf_vlen(t), i, k;
	size_t cap;
	int err = 0;

	cap = p->tabs_cap;
	if ((err = array_grow((void **)&p->tabs, p->ntabs + 1, &cap, sizeof(*p->tabs))))
		return err;
	p->tabs_cap = (uint32_t)cap;
	cap = p->ents_cap;
	if ((err = array_grow((void **)&p->ents, (size_t)p->nents + n, &cap, sizeof(*p->ents))))
		return err;
	p->ents_cap = (uint32_t)cap;
	*maxname = 0;
	for (i = 0; i < n && !err; i++) {
		struct enum_ent *e = &p->ents[p->nents + i];
		const char *name;
		uint64_t v;

		if (btf_is_enum(t)) {
			const struct btf_enum *be = btf_enum(t) + i;

			/* clang 14 stores values as s32 and never sets kflag */
			v = sgn ? (uint64_t)(int64_t)be->val : (uint64_t)(uint32_t)be->val;
			name = btf__name_by_offset(c->btf, be->name_off);
		} else {
			const struct btf_enum64 *be = btf_enum64(t) + i;

			v = btf_enum64_value(be);
			name = btf__name_by_offset(c->btf, be->name_off);
		}
		if (!name)
			name = "";
		e->key = v & mask;
		if ((err = escape_name(name, &nm)) ||
		    (err = add_name(p, nm.buf, nm.len, &e->json_off)))
			break;
		e->json_len = (uint32_t)nm.len;
		if (nm.len > *maxname)
			*maxname = nm.len;
		/* the raw name is the escaped one minus quotes when nothing was escaped */
		if (nm.len == strlen(name) + 2) {
			e->raw_off = e->json_off + 1;
			e->raw_len = (uint32_t)nm.len - 2;
		} else {
			sb_reset(&nm);
			fmt_text_str(&nm, name, strlen(name));
			if (nm.err)
				err = nm.err;
			else
				err = add_name(p, nm.buf, nm.len, &e->raw_off);
			e->raw_len = (uint32_t)nm.len;
			if (nm.len > *maxname)
				*maxname = nm.len;
		}
	}
	sb_free(&nm);
	if (err)
		return err;
	if (n)
		qsort(p->ents + p->nents, n, sizeof(*p->ents), ent_cmp);
	for (i = k = 0; i < n; i++) {	/* keep the first of equal values */
		if (k && p->ents[p->nents + k - 1].key == p->ents[p->nents + i].key)
			continue;
		p->ents[p->nents + k++] = p->ents[p->nents + i];
	}
	tab = &p->tabs[p->ntabs];
	tab->first = p->nents;
	tab->n = k;
	tab->bits = (uint8_t)bits;
	p->nents += k;
	*idx = p->ntabs++;
	return 0;
}

void fmt_plan_free(struct fmt_plan *plan)
{
	if (!plan)
		return;
	free(plan->ops.v);
	free(plan->text);
	free(plan->names);
	free(plan->ents);
	free(plan->tabs);
	free(plan);
}

/* Compile the value of type id at bit_off in the record (a bitfield when
 * bf_bits).  need: bytes the record must have. */
static int build_plan(const struct btf *btf, uint32_t id, uint64_t bit_off, uint32_t bf_bits, int64_t pid_off,
		      int64_t cg_off, struct fmt_plan **out)
{
	struct fmt_plan *p;
	struct cc c = {};
	size_t max = 0;
	int64_t size;
	uint32_t i;
	int err, nval = 0;

	*out = NULL;
	if (!btf)
		return -EINVAL;
	size = type_size(btf, id);
	if (size < 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->leaf = -1;
	p->btf = btf;
	c.btf = btf;
	c.pid_off = pid_off;
	c.cg_off = cg_off;
	c.p = p;
	c.ops = &p->ops;
	c.numeric = true;
	err = compile_value(&c, id, bit_off, bf_bits, 0, &max);
	if (!err && max > MAX_OUT)
		err = -E2BIG;
	if (err) {
		fmt_plan_free(p);
		return err == -ENOMEM || err == -E2BIG ? err : -EINVAL;
	}
	/* the walker copies short prefixes as PRE_FAST-byte blocks */
	if (array_grow((void **)&p->text, p->text_len + PRE_FAST, &p->text_cap, 1)) {
		fmt_plan_free(p);
		return -ENOMEM;
	}
	memset(p->text + p->text_len, 0, PRE_FAST);
	p->all_numeric = c.numeric;
	p->max_out = max;
	p->size = (size_t)((bit_off + (bf_bits ? bf_bits : (uint64_t)size * 8) + 7) / 8);
	/* a field's plan: the record must also hold the pid its stack_id reads */
	if (c.reads_pid && (size_t)pid_off + 4 > p->size)
		p->size = (size_t)pid_off + 4;
	if (!c.composite) {
		for (i = 0; i < p->ops.n; i++) {
			if (p->ops.v[i].code != OP_TEXT) {
				p->leaf = (int)i;
				nval++;
			}
		}
		if (nval != 1)
			p->leaf = -1;
	}
	*out = p;
	return 0;
}

/* The pid a stack_id's user frames belong to: a top-level 4-byte integer
 * member named pid or tgid of the record (the first one). */
static int64_t find_pid_member(const struct btf *btf, uint32_t type_id)
{
	static const char *const names[] = { "pid", "tgid" };
	const struct btf_member *m;
	struct rtype r, mr;

	if (!btf || resolve(btf, type_id, &r) || !btf_is_struct(r.t))
		return -1;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		m = btf_members(r.t);
		for (int i = 0; i < btf_vlen(r.t); i++, m++) {
			const char *name = btf__name_by_offset(btf, m->name_off);
			uint32_t off = btf_member_bit_offset(r.t, (uint32_t)i);

			if (!name || strcmp(name, names[k]) || off % 8 || btf_member_bitfield_size(r.t, (uint32_t)i))
				continue;
			if (!resolve(btf, m->type, &mr) && btf_is_int(mr.t) && mr.t->size == 4)
				return off / 8;
		}
	}
	return -1;
}

/* Whether struct/union t has a member called name, anonymous members'
 * members included (they are t's own in C and in the JSON). */
static bool member_named_in(const struct btf *btf, const struct btf_type *t, const char *name, int depth,
			    uint32_t *steps)
{
	const struct btf_member *m = btf_members(t);
	struct rtype mr;

	for (int i = 0; i < btf_vlen(t) && depth < MAX_DEPTH; i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		/* anonymous members sharing types are a DAG: bounded as compile_members is */
		if (++*steps > MAX_STEPS)
			return false;
		if (n && !strcmp(n, name))
			return true;
		if (n && !*n && !resolve(btf, m->type, &mr) && btf_is_composite(mr.t) &&
		    member_named_in(btf, mr.t, name, depth + 1, steps))
			return true;
	}
	return false;
}

static bool has_member_named(const struct btf *btf, const struct btf_type *t, const char *name, int depth)
{
	uint32_t steps = 0;

	return member_named_in(btf, t, name, depth, &steps);
}

/* The first cgroup_id member of struct t (at byte base), looking into
 * anonymous members, whose members are t's own as in C; -1 if none. */
static int64_t cgroup_member_in(const struct btf *btf, const struct btf_type *t, uint64_t base, int depth,
				uint32_t *steps)
{
	const struct btf_member *m = btf_members(t);
	struct rtype mr;

	for (int i = 0; i < btf_vlen(t) && depth < MAX_DEPTH; i++, m++) {
		uint64_t off = base + btf_member_bit_offset(t, (uint32_t)i);
		const char *name = btf__name_by_offset(btf, m->name_off);
		int64_t got;

		/* anonymous members sharing types are a DAG: bounded as compile_members is */
		if (++*steps > MAX_STEPS)
			return -1;
		if (off % 8 || btf_member_bitfield_size(t, (uint32_t)i) || resolve(btf, m->type, &mr))
			continue;
		if (pick_special(&mr, type_size(btf, m->type)) == SP_CGROUP)
			return (int64_t)(off / 8);
		if (name && !*name && btf_is_composite(mr.t) &&
		    (got = cgroup_member_in(btf, mr.t, off, depth + 1, steps)) >= 0)
			return got;
	}
	return -1;
}

/* --enrich: the byte offset of the record's first top-level cgroup_id
 * member (0 when the record is one), or -1. */
static int64_t find_cgroup_member(const struct btf *btf, uint32_t type_id)
{
	struct rtype r;

	if (!btf || resolve(btf, type_id, &r))
		return -1;
	if (pick_special(&r, type_size(btf, type_id)) == SP_CGROUP)
		return 0;
	if (!btf_is_struct(r.t))
		return -1;
	{
		uint32_t steps = 0;

		return cgroup_member_in(btf, r.t, 0, 0, &steps);
	}
}

int fmt_plan_new(const struct btf *btf, uint32_t type_id, struct fmt_plan **out)
{
	return build_plan(btf, type_id, 0, 0, find_pid_member(btf, type_id), find_cgroup_member(btf, type_id), out);
}

size_t fmt_plan_size(const struct fmt_plan *plan)
{
	return plan->size;
}

bool fmt_plan_all_numeric(const struct fmt_plan *plan)
{
	return plan->all_numeric;
}

/* ------------------------------------------------------------------------ */
/* Flattened fields                                                         */

struct flat {
	const struct btf *btf;
	int64_t pid_off;
	struct fmt_fields *ff;
	int cap;
	struct strbuf path;
	uint32_t steps;		/* members visited, up to MAX_STEPS ("__" ones too) */
};

static enum fmt_field_kind op_kind(const struct fmt_op *op)
{
	switch (op->code) {
	case OP_F16: case OP_F32: case OP_F64:
		return FMT_F_FLOAT;
	case OP_STR:
		return FMT_F_STR;
	case OP_PTR: case OP_IPV4: case OP_IPV6: case OP_KTIME: case OP_STACK:
	case OP_TEXT: case OP_LOOP: case OP_NEXT:
		return FMT_F_OTHER;
	case OP_NAME:
		return op->b == FMT_NAME_KSYM ? FMT_F_OTHER : FMT_F_INT;
	case OP_ENRICH: case OP_ENRICH_FIELD:
		return FMT_F_OTHER;
	default:
		/* ints, bitfields, bool, enum, errno, signal, duration, syscall_nr,
		 * ifindex, cgroup_id, user_id, net_port */
		return FMT_F_INT;
	}
}

static int add_field(struct flat *fl, uint32_t type_id, uint64_t bit_off, uint32_t bfs,
		     const char *member, bool hidden)
{
	struct fmt_field *f;
	struct fmt_plan *plan;
	const struct fmt_op *op;
	size_t cap = (size_t)fl->cap;
	int64_t size = type_size(fl->btf, type_id);
	int err;

	if (size < 0 || bit_off > UINT32_MAX)
		return -EINVAL;
	if ((err = build_plan(fl->btf, type_id, bit_off, bfs, fl->pid_off, -1, &plan)))
		return err;
	if (fl->ff->n >= INT32_MAX / 2 ||
	    array_grow((void **)&fl->ff->f, (size_t)fl->ff->n + 1, &cap, sizeof(*f))) {
		fmt_plan_free(plan);
		return -ENOMEM;
	}
	fl->cap = (int)cap;
	f = &fl->ff->f[fl->ff->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(fl->path.len ? sb_cstr(&fl->path) : "key");
	if (!f->name || fl->path.err) {
		free(f->name);
		fmt_plan_free(plan);
		return -ENOMEM;
	}
	fl->ff->n++;
	/* the member's own name is the tail of the flattened one */
	f->member = f->name + strlen(f->name) - strlen(member);
	f->hidden = hidden;
	f->plan = plan;
	f->bit_off = (uint32_t)bit_off;
	f->byte_size = (uint32_t)size;
	f->type_id = type_id;
	f->kind = plan->leaf < 0 ? FMT_F_OTHER : op_kind(&plan->ops.v[plan->leaf]);
	if (plan->leaf >= 0) {
		op = &plan->ops.v[plan->leaf];
		f->is_signed = op->is_signed;
		f->is_duration = op->code == OP_DUR;
		/* a byte-aligned u32 x:8 loads as a plain byte but is a bitfield */
		if (bfs)
			f->bit_size = bfs;
		else if (op->nbits)
			f->bit_size = op->nbits;
	}
	return 0;
}

/* Descend a struct: nested structs and anonymous members are flattened,
 * everything else is a leaf. */
static int flatten(struct flat *fl, const struct btf_type *t, uint64_t base, bool hidden, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, err = 0;

	if (depth > MAX_DEPTH)
		return -EINVAL;
	for (i = 0; i < btf_vlen(t) && !err; i++, m++) {
		const char *name = btf__name_by_offset(fl->btf, m->name_off);
		uint64_t moff = base + btf_member_bit_offset(t, (uint32_t)i);
		uint32_t bfs = btf_member_bitfield_size(t, (uint32_t)i);
		int64_t msz = type_size(fl->btf, m->type);
		int64_t mbits = member_bits(fl->btf, m->type, bfs);
		size_t plen = fl->path.len;
		struct rtype r;
		bool mh;

		if (!name)
			name = "";
		if (msz < 0 || mbits < 0 ||
		    btf_member_bit_offset(t, (uint32_t)i) + (uint64_t)mbits > (uint64_t)t->size * 8)
			return -EINVAL;
		if (++fl->steps > MAX_STEPS)
			return -E2BIG;
		if ((err = resolve(fl->btf, m->type, &r)))
			return err;
		if (!*name) {
			if (!bfs && btf_is_composite(r.t))
				err = flatten(fl, r.t, moff, hidden, depth + 1);
			continue;
		}
		mh = hidden || (name[0] == '_' && name[1] == '_');
		if (plen)
			sb_putc(&fl->path, '_');
		sb_puts(&fl->path, name);
		if (fl->path.err)
			return -ENOMEM;
		if (!bfs && btf_is_struct(r.t) && moff % 8 == 0 &&
		    pick_special(&r, msz) == SP_NONE)
			err = flatten(fl, r.t, moff, mh, depth + 1);
		else
			err = add_field(fl, m->type, moff, bfs, name, mh);
		fl->path.len = plen;
	}
	return err;
}

/* --enrich: the four container fields of the cgroup id at byte off, each a
 * one-op plan (text "" when the cgroup is no container's). */
static int add_enrich_fields(struct flat *fl, int64_t off)
{
	for (uint32_t k = 0; k < 4; k++) {
		struct fmt_plan *p = calloc(1, sizeof(*p));
		struct fmt_op op = { .code = OP_ENRICH_FIELD, .off = (uint32_t)off, .b = k, .width = 8 };
		struct cc c = { .btf = fl->btf, .p = p, .ops = p ? &p->ops : NULL, .cg_off = -1 };
		size_t cap = (size_t)fl->cap;
		struct fmt_field *f;

		if (!p)
			return -ENOMEM;
		p->leaf = 0;
		p->btf = fl->btf;
		p->size = (size_t)off + 8;
		p->max_out = ENRICH_VAL_MAX;
		if (emit(&c, &op) < 0 || array_grow((void **)&p->text, PRE_FAST, &p->text_cap, 1) ||
		    fl->ff->n >= INT32_MAX / 2 ||
		    array_grow((void **)&fl->ff->f, (size_t)fl->ff->n + 1, &cap, sizeof(*f))) {
			fmt_plan_free(p);
			return -ENOMEM;
		}
		memset(p->text, 0, PRE_FAST);
		fl->cap = (int)cap;
		f = &fl->ff->f[fl->ff->n];
		memset(f, 0, sizeof(*f));
		if (!(f->name = strdup(enrich_field_names[k]))) {
			fmt_plan_free(p);
			return -ENOMEM;
		}
		fl->ff->n++;
		f->member = f->name;
		f->plan = p;
		f->bit_off = (uint32_t)off * 8;
		f->byte_size = 8;	/* the cgroup id's bytes: equal ids, equal labels */
		f->type_id = 0;
		f->kind = FMT_F_OTHER;
	}
	return 0;
}

int fmt_fields_new(const struct btf *btf, uint32_t type_id, struct fmt_fields **out)
{
	struct flat fl = { .btf = btf };
	struct rtype r;
	int64_t size;
	int err;

	*out = NULL;
	if (!btf)
		return -EINVAL;
	fl.pid_off = find_pid_member(btf, type_id);
	fl.ff = calloc(1, sizeof(*fl.ff));
	if (!fl.ff)
		return -ENOMEM;
	err = resolve(btf, type_id, &r);
	size = type_size(btf, type_id);
	if (!err && size < 0)
		err = -EINVAL;
	if (!err) {
		if (btf_is_struct(r.t) && pick_special(&r, size) == SP_NONE) {
			/* validate the whole type once, as fmt_plan_new would */
			struct fmt_plan *check;

			err = fmt_plan_new(btf, type_id, &check);
			fmt_plan_free(check);
			if (!err)
				err = flatten(&fl, r.t, 0, false, 0);
		} else {
			err = add_field(&fl, type_id, 0, 0, "", false);
		}
	}
	if (!err && enrich_fn) {
		int64_t cg = find_cgroup_member(btf, type_id);

		if (cg >= 0)
			err = add_enrich_fields(&fl, cg);
	}
	sb_free(&fl.path);
	if (err) {
		fmt_fields_free(fl.ff);
		return err == -ENOMEM || err == -E2BIG ? err : -EINVAL;
	}
	*out = fl.ff;
	return 0;
}

void fmt_fields_free(struct fmt_fields *fields)
{
	int i;

	if (!fields)
		return;
	for (i = 0; i < fields->n; i++) {
		free(fields->f[i].name);
		fmt_plan_free(fields->f[i].plan);
	}
	free(fields->f);
	free(fields);
}

int fmt_field_text(const struct fmt_field *f, const void *rec, size_t len, struct strbuf *out)
{
	const struct fmt_plan *p = f->plan;
	const struct fmt_op *op;
	char *w;

	if (p->leaf < 0)
		return fmt_json(p, rec, len, out);
	if (len < p->size)
		return -EMSGSIZE;
	if (sb_reserve(out, p->max_out))
		return out->err ? out->err : -ENOMEM;
	op = &p->ops.v[p->leaf];
	w = put_leaf(p, op, (const uint8_t *)rec + op->off, out->buf + out->len, true);
	out->len = (size_t)(w - out->buf);
	return 0;
}

int fmt_field_num(const struct fmt_field *f, const void *rec, size_t len, uint64_t *u, double *d)
{
	const struct fmt_plan *p = f->plan;
	const struct fmt_op *op;
	const uint8_t *q;
	double x;
	__int128 v;

	if (p->leaf < 0 || (f->kind != FMT_F_INT && f->kind != FMT_F_FLOAT))
		return -EINVAL;
	if (len < p->size)
		return -EMSGSIZE;
	op = &p->ops.v[p->leaf];
	q = (const uint8_t *)rec + op->off;
	if (f->kind == FMT_F_FLOAT) {
		x = ld_float(op, q);
		if (u)
			*u = isfinite(x) && x > -9223372036854775808.0 && x < 9223372036854775808.0 ?
			     (uint64_t)(int64_t)x : 0;
		if (d)
			*d = x;
		return 0;
	}
	v = op->code == OP_DUR ? (int64_t)ld64(q) : op->code == OP_PORT ? (q[0] << 8 | q[1]) : ld_val(op, q);
	if (u)
		*u = (uint64_t)v;
	if (d) {
		if (op->code == OP_DUR)
			*d = (double)(int64_t)v / 1e9;
		else if (op->code == OP_BOOL)
			*d = v ? 1 : 0;
		else
			*d = op->is_signed ? (double)v : (double)(unsigned __int128)v;
	}
	if (op->code == OP_BOOL && u)
		*u = v ? 1 : 0;
	return 0;
}
