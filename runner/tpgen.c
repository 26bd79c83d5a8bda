// SPDX-License-Identifier: MIT
/* Zero-code tracepoints: from a classic tracepoint's format file
 * (tracefs events/CATEGORY/NAME/format) to a probe that copies the named
 * fields into a ring buffer record.  What each field's declaration becomes:
 *
 *   integer types (int, unsigned long, pid_t, umode_t, u32, ...)
 *                         the declared type's width and sign, read at the
 *                         field's offset and size (syscall arguments are 8
 *                         bytes in the record even when declared int)
 *   char *, const char *  a string: bpf_probe_read_user_str for syscalls
 *                         (their pointers are the caller's), else _kernel_str,
 *                         into char[TPGEN_STR_MAX]
 *   __data_loc char[]     the same, at the record's offset (loc & 0xffff);
 *   __rel_loc char[]      relative to the end of the field
 *   __data_loc T[]        up to TPGEN_ARRAY_MAX bytes of it, as __u8[]
 *   char x[N], T x[N]     the array as it is (char arrays print as text)
 *   other pointers        the address, __u64
 *
 * A field named __x is captured as x: ebpfctl never prints members named
 * __*; __syscall_nr is a syscall_nr (printed as the system call's name). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tpgen.h"

static bool has_events(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/events", dir);
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int split_spec(const char *spec, char *cat, size_t csz, char *name, size_t nsz, struct rerr *err)
{
	size_t n = strcspn(spec, ":/");

	if (!spec[n] || !n || !spec[n + 1] || strchr(spec + n + 1, ':') || strchr(spec + n + 1, '/') ||
	    n >= csz || strlen(spec + n + 1) >= nsz || strchr(spec, '.'))
		return rerr_usage(err, -EINVAL, "tracepoint '%s': expected CATEGORY:NAME, e.g. syscalls:sys_enter_openat",
				  spec);
	snprintf(cat, csz, "%.*s", (int)n, spec);
	snprintf(name, nsz, "%s", spec + n + 1);
	return 0;
}

/* Levenshtein distance, bounded (names are short). */
static int distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), d[130];

	if (la > 128 || lb > 128)
		return 99;
	for (int j = 0; j <= lb; j++)
		d[j] = j;
	for (int i = 1; i <= la; i++) {
		int prev = d[0];

		d[0] = i;
		for (int j = 1; j <= lb; j++) {
			int cur = d[j], best = prev + (a[i - 1] != b[j - 1]);

			if (d[j] + 1 < best)
				best = d[j] + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			d[j] = best;
			prev = cur;
		}
	}
	return d[lb];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "similar: a, b" or "x, y, ... (N in all)": the entries of DIR near WANT. */
static void list_near(const char *dir, const char *want, bool dirs_only, struct strbuf *sb)
{
	char **v = NULL;
	int n = 0, shown = 0, near = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || (dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		nv = realloc(v, sizeof(*v) * (n + 1));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	for (int i = 0; i < n; i++)
		near += v[i] && distance(v[i], want) <= 3;
	for (int i = 0; i < n; i++) {
		if (!v[i] || (near ? distance(v[i], want) > 3 : shown >= 40))
			continue;
		sb_printf(sb, "%s%s", shown++ ? ", " : "", v[i]);
	}
	if (!near && n > shown)
		sb_printf(sb, ", ... (%d in all)", n);
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* tracefs files have no size: read to the end (NUL-terminated). */
static int read_format(const char *path, void **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct strbuf sb = {};
	char buf[4096];
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < (1u << 20))
		sb_add(&sb, buf, n);
	fclose(f);
	*out = strdup(sb_cstr(&sb));
	*len = sb.len;
	sb_free(&sb);
	return *out ? 0 : -ENOMEM;
}

int tpgen_load(const char *spec, struct tp_format *fmt, struct rerr *err)
{
	const char *root = NULL, *roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char cat[64], name[128], p[PATH_MAX];
	struct strbuf sb = {};
	bool mounted = false;
	struct stat st;
	void *text = NULL;
	size_t len;
	int e;

	memset(fmt, 0, sizeof(*fmt));
	e = split_spec(spec, cat, sizeof(cat), name, sizeof(name), err);
	if (e)
		return e;
	for (int i = 0; i < 2 && !root; i++)
		if (has_events(roots[i]))
			root = roots[i];
	if (!root) {
		/* reading a format is all it takes: mount, read, unmount */
		if (mount("nodev", roots[0], "tracefs", 0, NULL)) {
			e = -errno;
			rerr_set(err, e, "tracepoint '%s': tracefs is not mounted, and mounting it on %s failed: %s", spec,
				 roots[0], strerror(-e));
			if (e == -EPERM)
				rerr_hint(err, "run as root (tracepoint formats are in tracefs)");
			return e;
		}
		mounted = true;
		root = roots[0];
	}
	snprintf(p, sizeof(p), "%s/events/%s", root, cat);
	if (stat(p, &st)) {
		snprintf(p, sizeof(p), "%s/events", root);
		list_near(p, cat, true, &sb);
		e = rerr_usage(err, -ENOENT, "tracepoint '%s': no category '%s'", spec, cat);
		rerr_hint(err, "categories: %s", sb_cstr(&sb));
		goto out;
	}
	snprintf(p, sizeof(p), "%s/events/%s/%s/format", root, cat, name);
	e = read_format(p, &text, &len);
	if (e == -ENOENT || e == -ENOTDIR) {
		snprintf(p, sizeof(p), "%s/events/%s", root, cat);
		list_near(p, name, true, &sb);
		e = rerr_usage(err, -ENOENT, "tracepoint '%s': no tracepoint '%s' in %s", spec, name, cat);
		rerr_hint(err, "in %s: %s", cat, sb_cstr(&sb));
		goto out;
	}
	if (e) {
		rerr_set(err, e, "tracepoint '%s': %s: %s", spec, p, strerror(-e));
		if (e == -EACCES || e == -EPERM)
			rerr_hint(err, "run as root (tracepoint formats are in tracefs)");
		goto out;
	}
	e = tpgen_parse(text, fmt, err);
	free(text);
	if (!e) {
		snprintf(fmt->category, sizeof(fmt->category), "%s", cat);
		snprintf(fmt->name, sizeof(fmt->name), "%s", name);
	}
out:
	sb_free(&sb);
	if (mounted)
		umount2(roots[0], MNT_DETACH);
	return e;
}

void tpgen_free(struct tp_format *fmt)
{
	free(fmt->fields);
	fmt->fields = NULL;
	fmt->n_fields = 0;
}

/* "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;" */
static int parse_field(const char *line, struct tp_field *f)
{
	const char *decl = strstr(line, "field:"), *semi, *name;
	const char *off = strstr(line, "offset:"), *size = strstr(line, "size:"), *sg = strstr(line, "signed:");
	size_t n;

	if (!decl || !off || !size)
		return -EINVAL;
	decl += 6;
	semi = strchr(decl, ';');
	if (!semi)
		return -EINVAL;
	/* the name is the last identifier before any [N] */
	n = (size_t)(semi - decl);
	{
		const char *end = decl + n, *br = memchr(decl, '[', n);

		if (br && strncmp(decl, "__data_loc", 10) && strncmp(decl, "__rel_loc", 9))
			end = br;
		while (end > decl && end[-1] == ' ')
			end--;
		name = end;
		while (name > decl && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
				       (name[-1] >= 'A' && name[-1] <= 'Z') || (name[-1] >= '0' && name[-1] <= '9')))
			name--;
		if (name == end || (size_t)(end - name) >= sizeof(f->name))
			return -EINVAL;
		snprintf(f->name, sizeof(f->name), "%.*s", (int)(end - name), name);
		/* the type: the declaration without the name (arrays keep [N]) */
		{
			int pre = (int)(name - decl);

			/* "char comm[16]" -> "char[16]"; "char * p" -> "char *" */
			while (pre > 0 && decl[pre - 1] == ' ' && end < decl + n)
				pre--;
			snprintf(f->type, sizeof(f->type), "%.*s%.*s", pre, decl, (int)(decl + n - end), end);
		}
		for (size_t k = strlen(f->type); k && f->type[k - 1] == ' '; k--)
			f->type[k - 1] = '\0';
	}
	f->offset = (unsigned int)strtoul(off + 7, NULL, 10);
	f->size = (unsigned int)strtoul(size + 5, NULL, 10);
	f->is_signed = sg && sg[7] == '1';
	return f->size ? 0 : -EINVAL;
}

int tpgen_parse(const char *text, struct tp_format *fmt, struct rerr *err)
{
	const char *p = strstr(text, "\nformat:");

	fmt->fields = NULL;
	fmt->n_fields = 0;
	if (!p)
		return rerr_set(err, -EINVAL, "tracepoint format: no 'format:' section");
	for (p = strchr(p + 1, '\n'); p && *++p;) {
		const char *eol = strchrnul(p, '\n');
		char line[512];
		struct tp_field f = {};
		struct tp_field *nf;

		snprintf(line, sizeof(line), "%.*s", (int)(eol - p), p);
		if (!strncmp(line, "print fmt:", 10))
			break;
		if (strstr(line, "field:") && !parse_field(line, &f) && strncmp(f.name, "common_", 7)) {
			nf = realloc(fmt->fields, sizeof(*nf) * (fmt->n_fields + 1));
			if (!nf)
				return rerr_set(err, -ENOMEM, "out of memory");
			fmt->fields = nf;
			fmt->fields[fmt->n_fields++] = f;
		}
		p = *eol ? eol : NULL;
	}
	return 0;
}

/* ---- the probe ---- */

/* Width and sign of the integer types tracepoints declare. */
static const struct { const char *name; int bytes; bool is_signed; } ints[] = {
	{ "char", 1, true }, { "signed char", 1, true }, { "unsigned char", 1, false }, { "bool", 1, false },
	{ "_Bool", 1, false }, { "short", 2, true }, { "unsigned short", 2, false }, { "int", 4, true },
	{ "unsigned int", 4, false }, { "unsigned", 4, false }, { "long", 8, true }, { "unsigned long", 8, false },
	{ "long long", 8, true }, { "unsigned long long", 8, false }, { "u8", 1, false }, { "s8", 1, true },
	{ "u16", 2, false }, { "s16", 2, true }, { "u32", 4, false }, { "s32", 4, true }, { "u64", 8, false },
	{ "s64", 8, true }, { "__u8", 1, false }, { "__s8", 1, true }, { "__u16", 2, false }, { "__s16", 2, true },
	{ "__u32", 4, false }, { "__s32", 4, true }, { "__u64", 8, false }, { "__s64", 8, true },
	{ "pid_t", 4, true }, { "uid_t", 4, false }, { "gid_t", 4, false }, { "size_t", 8, false },
	{ "ssize_t", 8, true }, { "loff_t", 8, true }, { "off_t", 8, true }, { "umode_t", 2, false },
	{ "dev_t", 4, false }, { "gfp_t", 4, false }, { "key_serial_t", 4, true }, { "clockid_t", 4, true },
	{ "time64_t", 8, true }, { "sector_t", 8, false }, { "ino_t", 8, false }, { "fmode_t", 4, false },
	{ "qid_t", 4, false }, { "mqd_t", 4, true }, { "timer_t", 4, true }, { "key_t", 4, true },
	{ "aio_context_t", 8, false }, { "cap_user_header_t", 8, false }, { "rwf_t", 4, true },
	{ "blk_opf_t", 4, false }, { "netdev_features_t", 8, false }, { "ktime_t", 8, true },
};

/* The type with const/volatile and extra spaces removed. */
static void bare_type(const char *t, char *out, size_t size)
{
	size_t o = 0;

	while (*t && o + 1 < size) {
		if (!strncmp(t, "const ", 6) || !strncmp(t, "volatile ", 9)) {
			t += *t == 'c' ? 6 : 9;
			continue;
		}
		if (*t == ' ' && (o == 0 || out[o - 1] == ' ' || t[1] == '*' || t[1] == ' ' || !t[1])) {
			t++;
			continue;
		}
		out[o++] = *t++;
	}
	out[o] = '\0';
	/* "char * const" -> "char *" */
	if (o > 6 && !strcmp(out + o - 6, " const"))
		out[o - 6] = '\0';
	else if (o > 6 && !strcmp(out + o - 6, "*const"))
		out[o - 5] = '\0';
}

static bool int_type(const char *bare, int *bytes, bool *is_signed)
{
	if (!strncmp(bare, "enum ", 5)) {
		*bytes = 4;
		*is_signed = false;
		return true;
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!strcmp(bare, ints[i].name)) {
			*bytes = ints[i].bytes;
			*is_signed = ints[i].is_signed;
			return true;
		}
	return false;
}

static const char *int_name(int bytes, bool is_signed)
{
	switch (bytes) {
	case 1: return is_signed ? "__s8" : "__u8";
	case 2: return is_signed ? "__s16" : "__u16";
	case 4: return is_signed ? "__s32" : "__u32";
	default: return is_signed ? "__s64" : "__u64";
	}
}

enum kind { K_INT, K_STR_PTR, K_STR_LOC, K_ARR_LOC, K_ARRAY, K_CHAR_ARRAY, K_PTR };

struct plan {
	const struct tp_field *f;
	enum kind kind;
	char member[64];
	char ctype[32];		/* member type */
	unsigned int count;	/* arrays */
	bool rel;		/* __rel_loc */
};

static void plan_field(const struct tp_field *f, struct plan *p)
{
	char bare[128];
	int bytes;
	bool sg;

	memset(p, 0, sizeof(*p));
	p->f = f;
	snprintf(p->member, sizeof(p->member), "%s", f->name + strspn(f->name, "_"));
	if (!p->member[0])
		snprintf(p->member, sizeof(p->member), "field_%u", f->offset);
	bare_type(f->type, bare, sizeof(bare));
	if (!strncmp(bare, "__data_loc ", 11) || !strncmp(bare, "__rel_loc ", 10)) {
		p->rel = bare[2] == 'r';
		p->kind = strstr(bare, "char") && !strstr(bare, "unsigned char") ? K_STR_LOC : K_ARR_LOC;
		snprintf(p->ctype, sizeof(p->ctype), "%s", p->kind == K_STR_LOC ? "char" : "__u8");
		p->count = p->kind == K_STR_LOC ? TPGEN_STR_MAX : TPGEN_ARRAY_MAX;
		return;
	}
	if (strchr(bare, '[')) {
		char elem[128];
		unsigned int n = (unsigned int)strtoul(strchr(bare, '[') + 1, NULL, 10);

		snprintf(elem, sizeof(elem), "%.*s", (int)(strchr(bare, '[') - bare), bare);
		for (size_t k = strlen(elem); k && elem[k - 1] == ' '; k--)
			elem[k - 1] = '\0';
		if (!n)
			n = 1;
		if (!strcmp(elem, "char")) {
			p->kind = K_CHAR_ARRAY;
			snprintf(p->ctype, sizeof(p->ctype), "char");
			p->count = f->size;
			return;
		}
		bytes = (int)(f->size / n);
		if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) {
			bytes = 1;
			n = f->size;
		}
		sg = false;
		if (!int_type(elem, &bytes, &sg) || (unsigned int)bytes * n != f->size)
			bytes = (int)(f->size / n), sg = false;
		p->kind = K_ARRAY;
		snprintf(p->ctype, sizeof(p->ctype), "%s", int_name(bytes, sg));
		p->count = n;
		return;
	}
	if (strchr(bare, '*')) {
		p->kind = !strcmp(bare, "char*") || !strcmp(bare, "char *") || !strcmp(bare, "unsigned char*") ||
				  !strcmp(bare, "unsigned char *") ? K_STR_PTR : K_PTR;
		snprintf(p->ctype, sizeof(p->ctype), "%s", p->kind == K_STR_PTR ? "char" : "__u64");
		p->count = p->kind == K_STR_PTR ? TPGEN_STR_MAX : 0;
		return;
	}
	p->kind = K_INT;
	if (!int_type(bare, &bytes, &sg)) {
		bytes = (int)f->size;
		sg = f->is_signed;
	}
	if (bytes > (int)f->size)
		bytes = (int)f->size;
	snprintf(p->ctype, sizeof(p->ctype), "%s",
		 !strcmp(f->name, "__syscall_nr") ? "syscall_nr" : int_name(bytes, sg));
}

static const struct tp_field *find_field(const struct tp_format *fmt, const char *name, size_t n)
{
	for (int i = 0; i < fmt->n_fields; i++) {
		const char *fn = fmt->fields[i].name;

		/* "syscall_nr" names __syscall_nr too, as it is printed */
		if ((strlen(fn) == n && !strncmp(fn, name, n)) ||
		    (strlen(fn + strspn(fn, "_")) == n && !strncmp(fn + strspn(fn, "_"), name, n)))
			return &fmt->fields[i];
	}
	return NULL;
}

static void emit_member(struct strbuf *sb, const struct plan *p)
{
	char decl[160];

	if (p->kind == K_INT || p->kind == K_PTR)
		snprintf(decl, sizeof(decl), "%s %s;", p->ctype, p->member);
	else
		snprintf(decl, sizeof(decl), "%s %s[%u];", p->ctype, p->member, p->count);
	if (p->kind == K_ARR_LOC) {
		char len[96];

		snprintf(len, sizeof(len), "__u32 %s_len;", p->member);
		sb_printf(sb, "\t%-40s/* its length in the record */\n", len);
	}
	sb_printf(sb, "\t%-40s/* %s %s", decl, p->f->type, p->f->name);
	if (p->kind == K_STR_PTR || p->kind == K_STR_LOC)
		sb_printf(sb, ": a string, at most %u bytes", TPGEN_STR_MAX - 1);
	else if (p->kind == K_ARR_LOC)
		sb_printf(sb, ": its first %u bytes at most", TPGEN_ARRAY_MAX);
	else if (p->kind == K_PTR)
		sb_puts(sb, ": the address");
	sb_puts(sb, " */\n");
}

static void emit_read(struct strbuf *sb, const struct plan *p, bool user)
{
	const struct tp_field *f = p->f;
	const char *m = p->member;

	switch (p->kind) {
	case K_INT:
	case K_PTR: {
		const char *raw = f->size == 1 ? "__u8" : f->size == 2 ? "__u16" : f->size == 4 ? "__u32" : "__u64";

		sb_printf(sb, "\t{\n\t\t%s v = 0;\n\n\t\tbpf_probe_read_kernel(&v, sizeof(v), ctx + %u);\n"
			      "\t\te->%s = (%s)v;\n\t}\n", raw, f->offset, m, p->ctype);
		break;
	}
	case K_STR_PTR:
		sb_printf(sb, "\t{\n\t\tconst char *s = 0;\n\n\t\tbpf_probe_read_kernel(&s, sizeof(s), ctx + %u);\n"
			      "\t\tbpf_probe_read_%s_str(e->%s, sizeof(e->%s), s);\n\t}\n", f->offset,
			  user ? "user" : "kernel", m, m);
		break;
	case K_STR_LOC:
	case K_ARR_LOC: {
		char at[64];

		/* __data_loc: offset in the record; __rel_loc: from the field's end */
		if (p->rel)
			snprintf(at, sizeof(at), "ctx + %u + (loc & 0xffff)", f->offset + f->size);
		else
			snprintf(at, sizeof(at), "ctx + (loc & 0xffff)");
		sb_printf(sb, "\t{\n\t\t__u32 loc = 0;\n\n\t\tbpf_probe_read_kernel(&loc, sizeof(loc), ctx + %u);\n",
			  f->offset);
		if (p->kind == K_STR_LOC) {
			sb_printf(sb, "\t\tbpf_probe_read_kernel_str(e->%s, sizeof(e->%s), %s);\n", m, m, at);
		} else {
			sb_printf(sb, "\t\t__u32 n = loc >> 16;\n\n\t\te->%s_len = n;\n"
				      "\t\t__builtin_memset(e->%s, 0, sizeof(e->%s));\n"
				      "\t\tif (n > sizeof(e->%s))\n\t\t\tn = sizeof(e->%s);\n"
				      "\t\tbpf_probe_read_kernel(e->%s, n, %s);\n", m, m, m, m, m, m, at);
		}
		sb_puts(sb, "\t}\n");
		break;
	}
	case K_ARRAY:
	case K_CHAR_ARRAY:
		sb_printf(sb, "\tbpf_probe_read_kernel(e->%s, sizeof(e->%s), ctx + %u);\n", m, m, f->offset);
		break;
	}
}

int tpgen_source(const struct tp_format *fmt, const char *fields, const char *how_made, struct strbuf *out,
		 struct rerr *err)
{
	struct plan *plan = calloc((size_t)fmt->n_fields + 1, sizeof(*plan));
	bool user = !strcmp(fmt->category, "syscalls");
	struct strbuf valid = {};
	int n = 0, e = 0;

	if (!plan)
		return rerr_set(err, -ENOMEM, "out of memory");
	if (fields && *fields) {
		for (const char *s = fields; *s;) {
			size_t len = strcspn(s, ",");
			const struct tp_field *f = len ? find_field(fmt, s, len) : NULL;
			bool dup = false;

			if (!f) {
				for (int i = 0; i < fmt->n_fields; i++)
					sb_printf(&valid, "%s%s", i ? ", " : "",
						  fmt->fields[i].name + strspn(fmt->fields[i].name, "_"));
				e = rerr_usage(err, -ENOENT, "tracepoint '%s:%s': no field '%.*s'", fmt->category, fmt->name,
					       (int)len, s);
				rerr_hint(err, "its fields: %s", fmt->n_fields ? sb_cstr(&valid) : "(none)");
				goto out;
			}
			for (int i = 0; i < n; i++)
				dup |= plan[i].f == f;
			if (!dup)
				plan_field(f, &plan[n++]);
			s += len;
			if (*s)
				s++;
		}
	} else {
		for (int i = 0; i < fmt->n_fields; i++)
			plan_field(&fmt->fields[i], &plan[n++]);
	}

	sb_printf(out,
		  "// SPDX-License-Identifier: GPL-2.0\n"
		  "/*\n"
		  " * Tracepoint %s:%s, one JSON line per hit with the fields below.\n"
		  " * Generated by: %s\n"
		  " *\n"
		  " *   ebpfctl build THIS.bpf.c && sudo ebpfctl run THIS.bpf.o\n"
		  " *\n"
		  " * Strings are read %s; what does not fit is cut (the string\n"
		  " * ends at the bound).  Edit freely: it is an ordinary probe.\n"
		  " */\n"
		  "#include \"vmlinux.h\"\n"
		  "#include <bpf/bpf_helpers.h>\n"
		  "#include \"solo_types.h\"\n"
		  "#include \"ebpfctl_helpers.h\"\n"
		  "\n"
		  "struct event {\n",
		  fmt->category, fmt->name, how_made,
		  user ? "from the calling process (syscall arguments are user pointers)" : "from kernel memory");
	for (int i = 0; i < n; i++)
		emit_member(out, &plan[i]);
	if (!n)
		sb_puts(out, "\t__u8 hit;\t\t\t\t/* the tracepoint has no fields of its own */\n");
	sb_printf(out,
		  "};\n"
		  "\n"
		  "struct {\n"
		  "\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n"
		  "\t__uint(max_entries, 1 << 22);\n"
		  "\t__type(value, struct event);\n"
		  "} events SEC(\".maps.print\");\n"
		  "EBPFCTL_LOSS_COUNTER(events);\n"
		  "\n"
		  "SEC(\"tracepoint/%s/%s\")\n"
		  "int handle(void *ctx)\n"
		  "{\n"
		  "\tstruct event *e = ebpfctl_ringbuf_reserve(events, sizeof(*e), 0);\n"
		  "\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n",
		  fmt->category, fmt->name);
	if (!n)
		sb_puts(out, "\te->hit = 1;\n");
	for (int i = 0; i < n; i++)
		emit_read(out, &plan[i], user);
	sb_puts(out,
		"\tbpf_ringbuf_submit(e, 0);\n"
		"\treturn 0;\n"
		"}\n"
		"\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n");
out:
	sb_free(&valid);
	free(plan);
	return e;
}
