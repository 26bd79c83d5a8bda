/* SPDX-License-Identifier: MIT */
/* BTF value formatter: renders typed bytes as JSON and as label text, exactly
 * as DESIGN.md section 5 says.  A plan is compiled once per (btf, type id) so
 * the per-event path only walks a flat op list and writes into a strbuf. */
#ifndef EBPFCTL_BTF_FMT_H
#define EBPFCTL_BTF_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct btf;
struct fmt_plan;

/* Compile a plan for type_id (typedef/const/volatile chains allowed; special
 * solo_types.h typedefs are recognised anywhere in the chain).  Returns 0 or
 * -errno (-EINVAL for an unsupported kind such as FUNC or a FWD struct).
 * Also -EINVAL: VOID, VAR/DATASEC, float sizes other than 2/4/8, malformed
 * BTF (a member outside its parent, typedef loops, nesting deeper than 32);
 * -E2BIG when one value could render to more than 1 GiB or its type nests
 * more than 2^18 members in all (fmt_fields_new too).  The plan keeps no
 * pointer into btf: it may be freed after this returns. */
int fmt_plan_new(const struct btf *btf, uint32_t type_id, struct fmt_plan **out);
void fmt_plan_free(struct fmt_plan *plan);
/* Bytes the type occupies (btf__resolve_size).  For a fmt_field's plan: the
 * bytes of record needed to reach the end of that field (and of the pid
 * member a stack_id field reads, wherever it is). */
size_t fmt_plan_size(const struct fmt_plan *plan);
/* True when every leaf is an integer (not bool/char-string/enum/pointer) or a
 * float, possibly inside structs/arrays: such values can be summed per CPU.
 * A `duration` leaf counts as an integer; other special types, unions
 * (anonymous ones too) do not.  "__" members are not considered (they are
 * not rendered, nor summed). */
bool fmt_plan_all_numeric(const struct fmt_plan *plan);

/* Append the JSON rendering of the value.  Members whose name starts with
 * "__" are skipped.  len < fmt_plan_size() -> -EMSGSIZE and nothing is
 * appended (a record is never over-read); bytes past the type are ignored.
 * -ENOMEM (nothing appended) if the buffer cannot grow.  Details the rules
 * leave open: a lone `char` member is a number; a pointer is "0x" plus
 * lowercase hex without leading zeros ("0x0" for NULL); DEL (0x7f) is escaped
 * as \u007f like the other control characters; the hex digits of \xHH are
 * lowercase; floats use the shortest %.Ng (N = 1..17 for double, 1..9 for
 * float) that reads back as the same value, so 100000.0 is 1e+05 and -0.0 is
 * -0; an enum that matches no enumerator prints its number, signed when the
 * enum is; a special type in a bitfield is a plain number. */
int fmt_json(const struct fmt_plan *plan, const void *data, size_t len, struct strbuf *out);

/* Append the JSON of ncpu per-CPU images (each `stride` bytes apart) summed
 * leaf by leaf, exactly: integers in 128 bits whatever their width (two u8
 * 200s are 400; bitfields too), floats added in double precision and shown
 * at their own width, durations as durations.  -EINVAL if !all_numeric,
 * ncpu <= 0 or stride < size. */
int fmt_json_percpu(const struct fmt_plan *plan, const void *data, size_t stride, int ncpu,
		    struct strbuf *out);

/* Append s[0..n) as the body of a JSON string (no quotes): stops at the first
 * NUL, escapes per RFC 8259, and turns each byte that is not part of valid
 * UTF-8 into the text \xHH, which is then JSON-escaped (so "\\xHH"). */
void fmt_json_str(struct strbuf *out, const char *s, size_t n);
/* Same, but the raw text (invalid bytes as \xHH, nothing else escaped): what a
 * label value holds before exposition-format escaping. */
void fmt_text_str(struct strbuf *out, const char *s, size_t n);

/* Wall clock = ktime (CLOCK_MONOTONIC/BOOTTIME ns) + offset; set once at start
 * by the runner for the `ktime` special type. */
void fmt_set_ktime_offset(int64_t realtime_minus_monotonic_ns);

/* `stack_id` members (a bpf_get_stackid() result) are rendered by the
 * runner, which knows the object's STACK_TRACE map and symbolizes frames:
 * fn writes at most `room` bytes at w and returns how many.  JSON: an array
 * of frame strings, innermost first ("[]" for a negative or unknown id);
 * text (label values): the frames outermost first joined by ';', as in a
 * folded stack.  pid: the record's pid/tgid member (user frames), else 0.
 * Called from the event thread and the scrape thread. */
#define STACK_MAX_OUT 16384
typedef size_t (*fmt_stack_fn)(void *ctx, const struct btf *btf, int64_t id, uint32_t pid, bool text, char *w,
			       size_t room);
void fmt_set_stack_resolver(fmt_stack_fn fn, void *ctx);

/* `ksym`, `ifindex`, `cgroup_id` and `user_id` members are named by the
 * runner (runner/names.c): fn writes the name of v (NUL-terminated, at most
 * size - 1 bytes) into buf and returns its length, 0 when v has no name.
 * Named values render as JSON strings (escaped) and label text; unnamed
 * ones as the number, except ksym, which is then "0x..." hex.  No resolver
 * set: the same as no name.  Called from the event and the scrape thread. */
enum fmt_name_kind { FMT_NAME_KSYM, FMT_NAME_IFINDEX, FMT_NAME_CGROUP, FMT_NAME_USER };
#define FMT_NAME_MAX 1024	/* longer names (deep cgroup paths) are cut */
typedef size_t (*fmt_name_fn)(void *ctx, int kind, uint64_t v, char *buf, size_t size);
void fmt_set_name_resolver(fmt_name_fn fn, void *ctx);
/* True once any plan with a name of this kind has been made in this process
 * (the runner then reads kallsyms before dropping CAP_SYSLOG, and keeps
 * CAP_DAC_READ_SEARCH for cgroup ids). */
bool fmt_uses_name(enum fmt_name_kind kind);

/* --enrich: set before plans are made, so a record with a top-level
 * cgroup_id member renders, after its members, "container_id",
 * "container_name", "pod" and "namespace" (JSON: only when fn knows the
 * cgroup as a container's), and fmt_fields_new adds those four fields to
 * its fields (text "" when unknown).  fn fills *out and returns true for a
 * container's cgroup.  Called from the event and the scrape thread. */
struct enrich_info;
typedef bool (*fmt_enrich_fn)(void *ctx, uint64_t cgroup_id, struct enrich_info *out);
/* the event's fields, already JSON: at most room bytes at w, their length */
typedef size_t (*fmt_enrich_json_fn)(void *ctx, uint64_t cgroup_id, char *w, size_t room);
void fmt_set_enricher(fmt_enrich_fn fn, fmt_enrich_json_fn json, void *ctx);

/* Small writers shared with the line writer and the metrics renderer. */
/* Go's time.Duration.String() text of ns: "1.5ms", "1h2m3.5s", "-1.5µs". */
void fmt_duration(struct strbuf *out, int64_t ns);
/* RFC 3339 UTC with 9 fraction digits: "2026-11-22T10:00:00.123456789Z"
 * (unix_ns = CLOCK_REALTIME ns); the event line's "time". */
void fmt_rfc3339(struct strbuf *out, int64_t unix_ns);
/* Shortest round-trip %.Ng of v (N = 1..17): "127", "0.0015", "1e+300";
 * non-finite as the exposition format wants: "NaN", "+Inf", "-Inf". */
void fmt_double(struct strbuf *out, double v);

/* --- Flattened fields: labels and metric values ------------------------- */

enum fmt_field_kind {
	FMT_F_INT,		/* integer, bitfield, bool or enum */
	FMT_F_FLOAT,
	FMT_F_STR,		/* char array */
	FMT_F_OTHER,		/* array, pointer, union, special type... */
};

struct fmt_field {
	char *name;		/* flattened: "outer_inner"; "key" for a scalar type */
	const char *member;	/* the innermost member's own name ("" for a scalar) */
	bool hidden;		/* some path component starts with "__" */
	enum fmt_field_kind kind;
	bool is_signed;
	bool is_duration;	/* solo `duration` type: numeric value in ns */
	uint32_t bit_off;	/* from the start of the record */
	uint32_t bit_size;	/* bits of a bitfield, else 0 */
	uint32_t byte_size;	/* resolved size */
	uint32_t type_id;	/* the member's type as declared (typedefs kept) */
	struct fmt_plan *plan;	/* renders the field on its own: pass it the
				 * whole record (it reads at bit_off), e.g.
				 * fmt_json(f->plan, rec, len, out) */
};

struct fmt_fields {
	struct fmt_field *f;
	int n;
};

/* Flatten type_id depth-first in BTF member order: nested structs (and
 * anonymous members) are descended, everything else is a leaf.  A non-struct
 * type yields one field named "key".  Hidden ("__") fields are included with
 * hidden=true so callers can pick value fields; labels skip them.
 * Named unions, arrays and special types (even struct-shaped ones such as
 * ipv6_addr) are leaves.  kind: FMT_F_INT also covers errno_code, signal_num
 * and duration (is_duration); ipv4/ipv6/ktime/pointers are FMT_F_OTHER;
 * is_signed is true for floats.  bit_size is set for bitfields (also an
 * INT whose BTF encoding has fewer bits than its size). */
int fmt_fields_new(const struct btf *btf, uint32_t type_id, struct fmt_fields **out);
void fmt_fields_free(struct fmt_fields *fields);

/* Label text of one field (unescaped for the exposition format): integers in
 * decimal, strings as fmt_text_str, enums by name, special types as in JSON
 * but without quotes, arrays/unions as their JSON text. */
int fmt_field_text(const struct fmt_field *f, const void *rec, size_t len, struct strbuf *out);
/* Numeric value of an FMT_F_INT/FMT_F_FLOAT field: *u gets the raw 64-bit
 * integer (sign-extended when is_signed), *d the value as a double (for a
 * duration: seconds).  -EINVAL for other kinds, -EMSGSIZE if out of record.
 * u or d may be NULL.  128-bit integers: *u holds the low 64 bits, *d the
 * whole value.  Floats: *u is the value truncated to int64 (0 when NaN or
 * out of range).  Bool: 0/1; enum, errno, signal: the number. */
int fmt_field_num(const struct fmt_field *f, const void *rec, size_t len, uint64_t *u, double *d);

#endif
