// SPDX-License-Identifier: MIT
/*
 * In-memory rewrite of BPF objects whose maps live in SEC(".maps.<kind>").
 *
 * libbpf 1.1 only knows an ELF section named exactly ".maps" and a BTF DATASEC
 * named exactly ".maps" (notes/libbpf-facts.md 2.1). We therefore merge every
 * ".maps*" PROGBITS section into one ".maps" and every ".maps*" DATASEC into
 * one ".maps" DATASEC, without moving a single existing byte:
 *
 *  - the output is a copy of the input with new blobs appended (merged map
 *    data, section name table, BTF, section header table) and headers
 *    pointed at them, so every file offset the rest of the object uses stays
 *    valid;
 *  - symbols and relocations are edited in place in the copy; symbol indices
 *    never change, so program relocation sections need no change at all;
 *  - the BTF keeps its type count, every type id and every string offset,
 *    because .BTF.ext and the map definitions refer to them: the merged
 *    DATASEC takes the slot of the first ".maps*" DATASEC, the other slots
 *    become `void *` placeholders, and ".maps" is appended to the strings.
 *
 * The input is untrusted: every offset, size and index read from it is
 * bounds-checked before use, and all multi-byte fields are read with memcpy
 * so that a misaligned header cannot cause undefined behaviour.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>

#include "elf_rewrite.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define MAPS_SEC	".maps"
#define MAPS_SEC_LEN	(sizeof(MAPS_SEC) - 1)
#define BTF_SEC		".BTF"
/* Every merged piece starts 8-aligned: map definitions are structs of
 * pointers and ints, and libbpf does not care about more. */
#define MAPS_ALIGN	8

#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define BTF_INFO_ENC(kind, kflag, vlen) \
	((!!(kflag) << 31) | (((uint32_t)(kind) & 0x1f) << 24) | ((vlen) & 0xffff))

struct elf_file {
	const char *name;
	const unsigned char *buf;
	size_t len;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;		/* aligned copy of the section header table */
	size_t shnum;
	const char *shstr;	/* section name table, inside buf */
	size_t shstr_len;
	size_t symtab;		/* index of SHT_SYMTAB, 0 if none */
	const char *strtab;	/* its string table, inside buf */
	size_t strtab_len;
	size_t nsyms;
	size_t btf;		/* index of .BTF */
};

/* One symbol that lives in a .maps* section. */
struct map_sym {
	const char *name;	/* inside buf's string table */
	size_t sec;		/* original section index */
	uint64_t merged;	/* offset in the merged .maps section */
	bool object;		/* STT_OBJECT: a map definition */
};

/* A parsed, validated BTF section. Types are copied so that struct
 * btf_type can be used with natural alignment. */
struct btf_view {
	struct btf_header hdr;
	const unsigned char *raw;	/* section data, inside buf */
	size_t raw_len;
	unsigned char *types;		/* aligned copy of the type section */
	uint32_t types_len;
	const char *strs;		/* inside buf; ends with NUL */
	uint32_t strs_len;
	uint32_t *off;			/* off[id - 1]: record offset in types */
	uint32_t nr;			/* number of types, void excluded */
};

/* Everything the rewrite computes about the .maps* sections. */
struct maps_plan {
	bool *in_s;		/* in_s[idx]: section idx is a .maps* PROGBITS */
	uint64_t *base;		/* base[idx]: offset of idx in the merged data */
	size_t n_s;
	size_t target;		/* section that becomes the merged .maps */
	bool suffixed;		/* any .maps.<x>: a rewrite is needed */
	uint64_t merged_size;
	struct map_sym *syms;
	size_t nsyms;
};

static bool in_bounds(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/* A NUL-terminated string at tab[off], or NULL if it would run off tab.
 * The scan is capped so that a hostile table with no NULs cannot make name
 * lookups quadratic; real section, symbol and BTF names are far shorter
 * (the kernel caps BTF names at 512 bytes). */
#define NAME_SCAN_MAX	4096

static const char *str_at(const char *tab, size_t tab_len, uint64_t off)
{
	size_t n;

	if (!tab || off >= tab_len)
		return NULL;
	n = tab_len - off < NAME_SCAN_MAX ? tab_len - off : NAME_SCAN_MAX;
	if (!memchr(tab + off, '\0', n))
		return NULL;
	return tab + off;
}

static const char *sec_name(const struct elf_file *ef, size_t idx)
{
	return str_at(ef->shstr, ef->shstr_len, ef->sh[idx].sh_name);
}

/* "" for ".maps", "print" for ".maps.print", "." for ".maps." (an empty
 * kind, which the kind checker must reject, not mistake for plain .maps),
 * NULL for anything else. */
static const char *maps_suffix(const char *name)
{
	if (!name || strncmp(name, MAPS_SEC, MAPS_SEC_LEN))
		return NULL;
	if (name[MAPS_SEC_LEN] == '\0')
		return name + MAPS_SEC_LEN;
	if (name[MAPS_SEC_LEN] == '.' && name[MAPS_SEC_LEN + 1] == '\0')
		return name + MAPS_SEC_LEN;
	if (name[MAPS_SEC_LEN] == '.')
		return name + MAPS_SEC_LEN + 1;
	return NULL;
}

static int oom(const struct elf_file *ef, struct rerr *err)
{
	return rerr_set(err, -ENOMEM, "%s: out of memory", ef->name);
}


static int truncated(const struct elf_file *ef, struct rerr *err, const char *what, size_t idx)
{
	return rerr_set(err, -EINVAL, "%s: truncated ELF (%s %zu out of bounds)", ef->name, what, idx);
}

static int bad_btf(const struct elf_file *ef, struct rerr *err, const char *why)
{
	return rerr_set(err, -EINVAL, "%s: bad BTF: %s", ef->name, why);
}

static void sym_get(const struct elf_file *ef, size_t i, Elf64_Sym *sym)
{
	memcpy(sym, ef->buf + ef->sh[ef->symtab].sh_offset + i * sizeof(*sym), sizeof(*sym));
}

/* Validate the ELF header and section header table and locate the symbol
 * table and .BTF. After this, every section that has file data lies inside
 * the buffer and every section name is a terminated string. */
static int elf_parse(struct elf_file *ef, struct rerr *err)
{
	const unsigned char *id = ef->buf;
	const Elf64_Ehdr *eh = &ef->eh;
	size_t i;

	if (ef->len < SELFMAG || memcmp(id, ELFMAG, SELFMAG))
		return rerr_set(err, -ENOEXEC, "%s: not an ELF file", ef->name);
	if (ef->len < EI_NIDENT)
		return rerr_set(err, -EINVAL, "%s: truncated ELF (ELF header)", ef->name);
	if (id[EI_CLASS] != ELFCLASS64)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (not a 64-bit ELF file)", ef->name);
	if (id[EI_DATA] != ELFDATA2LSB)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (not little-endian)", ef->name);
	if (ef->len < sizeof(Elf64_Ehdr))
		return rerr_set(err, -EINVAL, "%s: truncated ELF (ELF header)", ef->name);
	memcpy(&ef->eh, ef->buf, sizeof(ef->eh));

	if (eh->e_type != ET_REL)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (not a relocatable object file, ELF type %u)",
				ef->name, eh->e_type);
	if (eh->e_machine != EM_BPF && eh->e_machine != EM_NONE)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (machine %u is not BPF)",
				ef->name, eh->e_machine);
	/* e_shnum == 0 with a table present means the real count is in
	 * sh[0].sh_size (>= 0xff00 sections): no BPF compiler emits that. */
	if (eh->e_shnum == 0 && eh->e_shoff != 0)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (extended section numbering is not supported)",
				ef->name);
	if (eh->e_shnum == 0)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (no section headers)", ef->name);
	if (eh->e_shstrndx == SHN_XINDEX)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (extended section numbering is not supported)",
				ef->name);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (section header size %u)",
				ef->name, eh->e_shentsize);

	ef->shnum = eh->e_shnum;
	if (!in_bounds(ef->len, eh->e_shoff, (uint64_t)ef->shnum * sizeof(Elf64_Shdr)))
		return rerr_set(err, -EINVAL, "%s: truncated ELF (section header table)", ef->name);
	ef->sh = malloc(ef->shnum * sizeof(Elf64_Shdr));
	if (!ef->sh)
		return oom(ef, err);
	memcpy(ef->sh, ef->buf + eh->e_shoff, ef->shnum * sizeof(Elf64_Shdr));

	for (i = 0; i < ef->shnum; i++) {
		const Elf64_Shdr *sh = &ef->sh[i];

		if (sh->sh_type == SHT_NULL || sh->sh_type == SHT_NOBITS)
			continue;
		if (!in_bounds(ef->len, sh->sh_offset, sh->sh_size))
			return truncated(ef, err, "section", i);
	}

	if (eh->e_shstrndx >= ef->shnum || ef->sh[eh->e_shstrndx].sh_type != SHT_STRTAB)
		return rerr_set(err, -EINVAL, "%s: truncated ELF (section name table %u out of bounds)",
				ef->name, eh->e_shstrndx);
	ef->shstr = (const char *)ef->buf + ef->sh[eh->e_shstrndx].sh_offset;
	ef->shstr_len = ef->sh[eh->e_shstrndx].sh_size;

	for (i = 0; i < ef->shnum; i++) {
		const char *name = sec_name(ef, i);

		if (!name)
			return truncated(ef, err, "name of section", i);
		if (ef->sh[i].sh_type == SHT_SYMTAB) {
			const Elf64_Shdr *sh = &ef->sh[i];

			/* libbpf refuses several too; editing only one
			 * would leave the other pointing at old indices. */
			if (ef->symtab)
				return rerr_set(err, -ENOEXEC, "%s: not a BPF object (several symbol tables)",
						ef->name);
			if (sh->sh_entsize != sizeof(Elf64_Sym))
				return rerr_set(err, -ENOEXEC, "%s: not a BPF object (symbol size %llu)",
						ef->name, (unsigned long long)sh->sh_entsize);
			if (sh->sh_link == 0 || sh->sh_link >= ef->shnum ||
			    ef->sh[sh->sh_link].sh_type != SHT_STRTAB)
				return truncated(ef, err, "symbol string table", sh->sh_link);
			ef->symtab = i;
			ef->nsyms = sh->sh_size / sizeof(Elf64_Sym);
			ef->strtab = (const char *)ef->buf + ef->sh[sh->sh_link].sh_offset;
			ef->strtab_len = ef->sh[sh->sh_link].sh_size;
		} else if (!ef->btf && !strcmp(name, BTF_SEC)) {
			ef->btf = i;
		}
	}
	if (!ef->btf) {
		rerr_set(err, -ENOENT, "%s: no BTF (.BTF section missing)", ef->name);
		rerr_hint(err, "compile with clang -g");
		return -ENOENT;
	}
	return 0;
}

/* Size of what follows struct btf_type for each kind, or -1 if unknown. */
static long btf_type_extra(const struct btf_type *t)
{
	long vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(uint32_t);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	default:
		return -1;
	}
}

static struct btf_type *btf_type_at(const struct btf_view *bv, uint32_t id)
{
	return (struct btf_type *)(bv->types + bv->off[id - 1]);
}

static uint32_t btf_rec_len(const struct btf_view *bv, uint32_t id)
{
	uint32_t end = id < bv->nr ? bv->off[id] : bv->types_len;

	return end - bv->off[id - 1];
}

static void btf_view_free(struct btf_view *bv)
{
	free(bv->types);
	free(bv->off);
	memset(bv, 0, sizeof(*bv));
}

static const char *printable(const char *s, char *buf, size_t size);

/* The type a typedef, modifier, pointer or array stands on, or -1 for the
 * other kinds. */
static long btf_chain_next(const struct btf_type *t)
{
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return t->type;
	case BTF_KIND_ARRAY:
		return ((const struct btf_array *)(t + 1))->type;
	default:
		return -1;
	}
}

/* Every name is inside the string section, every type id a record refers
 * to exists, and no chain of typedefs, modifiers, pointers and arrays leads
 * back to itself: the kernel refuses all three. libbpf 1.1 checks none of
 * them when it opens an object: it dereferences what btf__type_by_id()
 * returns for an id past the end (a crash), follows typedef/modifier chains
 * without a bound (a hang), e.g. from a map VAR to its definition, and
 * gives no name for an offset past the end (a struct member silently
 * missing from JSON lines). The types of DATASEC entries are left to
 * build_btf (the .maps* ones) and to libbpf, which checks the others. */
static int btf_check_refs(const struct elf_file *ef, const struct btf_view *bv, struct rerr *err)
{
	static const char *const kinds[] = { "void", "int", "pointer", "array", "struct", "union", "enum",
					     "fwd", "typedef", "volatile", "const", "restrict", "func",
					     "func_proto", "var", "datasec", "float", "decl_tag", "type_tag",
					     "enum64" };
	unsigned char *state;
	uint32_t id, cur, low;
	char why[160], pn[64];
	const char *name;
	int ret = 0;

	for (id = 1; id <= bv->nr; id++) {
		const struct btf_type *t = btf_type_at(bv, id);
		const uint32_t *ext = (const void *)(t + 1);
		uint32_t j, vlen = BTF_INFO_VLEN(t->info), bad = 0, stride = 0;

		if (t->name_off >= bv->strs_len) {
			snprintf(why, sizeof(why), "type %u name out of bounds", id);
			return bad_btf(ef, err, why);
		}
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			/* struct btf_member: name_off, type, offset */
			stride = 3;
			for (j = 0; j < vlen && !bad; j++)
				bad = ext[3 * j + 1] > bv->nr ? ext[3 * j + 1] : 0;
			break;
		case BTF_KIND_ENUM:
			stride = 2;	/* struct btf_enum: name_off, val */
			break;
		case BTF_KIND_ENUM64:
			stride = 3;	/* struct btf_enum64: name_off, val_lo32, val_hi32 */
			break;
		case BTF_KIND_FUNC_PROTO:
			/* the return type, then struct btf_param: name_off, type */
			stride = 2;
			bad = t->type > bv->nr ? t->type : 0;
			for (j = 0; j < vlen && !bad; j++)
				bad = ext[2 * j + 1] > bv->nr ? ext[2 * j + 1] : 0;
			break;
		case BTF_KIND_ARRAY:
			/* struct btf_array: type, index_type, nelems */
			bad = ext[0] > bv->nr ? ext[0] : ext[1] > bv->nr ? ext[1] : 0;
			break;
		case BTF_KIND_PTR:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
		case BTF_KIND_FUNC:
		case BTF_KIND_VAR:
		case BTF_KIND_DECL_TAG:
			bad = t->type > bv->nr ? t->type : 0;
			break;
		}
		for (j = 0; stride && j < vlen; j++) {
			if (ext[stride * j] >= bv->strs_len) {
				snprintf(why, sizeof(why), "type %u member %u name out of bounds", id, j);
				return bad_btf(ef, err, why);
			}
		}
		if (bad) {
			snprintf(why, sizeof(why), "type %u refers to type %u, past the last type %u", id, bad,
				 bv->nr);
			return bad_btf(ef, err, why);
		}
	}

	/* 0 not visited, 1 on the chain being walked, 2 leads to no cycle */
	state = calloc(bv->nr + 1, 1);
	if (!state)
		return oom(ef, err);
	for (id = 1; id <= bv->nr && !ret; id++) {
		for (cur = id; cur && !state[cur] && btf_chain_next(btf_type_at(bv, cur)) >= 0;
		     cur = (uint32_t)btf_chain_next(btf_type_at(bv, cur)))
			state[cur] = 1;
		if (cur && state[cur] == 1) {
			/* name the cycle by its lowest id, whatever the walk's start */
			low = cur;
			for (uint32_t k = (uint32_t)btf_chain_next(btf_type_at(bv, cur)); k != cur;
			     k = (uint32_t)btf_chain_next(btf_type_at(bv, k)))
				low = k < low ? k : low;
			name = str_at(bv->strs, bv->strs_len, btf_type_at(bv, low)->name_off);
			snprintf(why, sizeof(why), "type %u (%s%s%s%s) is part of a reference cycle", low,
				 kinds[BTF_INFO_KIND(btf_type_at(bv, low)->info)], name && *name ? " '" : "",
				 name && *name ? printable(name, pn, sizeof(pn)) : "", name && *name ? "'" : "");
			ret = bad_btf(ef, err, why);
		}
		for (cur = id; cur && state[cur] == 1; cur = (uint32_t)btf_chain_next(btf_type_at(bv, cur)))
			state[cur] = 2;
	}
	free(state);
	return ret;
}

/* Validate the header, the string section and the shape of every type
 * record, every type reference (btf_check_refs), and index the records by
 * id. */
static int btf_parse(const struct elf_file *ef, struct btf_view *bv, struct rerr *err)
{
	const Elf64_Shdr *sh = &ef->sh[ef->btf];
	const struct btf_header *h = &bv->hdr;
	char why[128];
	uint32_t p = 0;
	size_t body;

	/* elf_parse checked the bounds of sections with data only */
	if (sh->sh_type == SHT_NOBITS || sh->sh_type == SHT_NULL)
		return bad_btf(ef, err, "section has no data");
	bv->raw = ef->buf + sh->sh_offset;
	bv->raw_len = sh->sh_size;
	if (bv->raw_len < sizeof(*h))
		return bad_btf(ef, err, "header truncated");
	memcpy(&bv->hdr, bv->raw, sizeof(bv->hdr));
	if (h->magic != BTF_MAGIC) {
		snprintf(why, sizeof(why), "bad magic 0x%04x%s", h->magic,
			 h->magic == 0x9feb ? " (big-endian BTF)" : "");
		return bad_btf(ef, err, why);
	}
	if (h->version != BTF_VERSION) {
		snprintf(why, sizeof(why), "unsupported version %u", h->version);
		return bad_btf(ef, err, why);
	}
	if (h->hdr_len < sizeof(*h) || h->hdr_len > bv->raw_len)
		return bad_btf(ef, err, "header length out of bounds");
	body = bv->raw_len - h->hdr_len;
	if (!in_bounds(body, h->type_off, h->type_len))
		return bad_btf(ef, err, "type section out of bounds");
	if (!in_bounds(body, h->str_off, h->str_len))
		return bad_btf(ef, err, "string section out of bounds");
	if (h->type_off % 4 || h->type_len % 4)
		return bad_btf(ef, err, "type section not 4-byte aligned");
	bv->strs = (const char *)bv->raw + h->hdr_len + h->str_off;
	bv->strs_len = h->str_len;
	/* A string section that starts and ends with NUL makes every offset
	 * below str_len a terminated string. */
	if (!bv->strs_len || bv->strs[0] || bv->strs[bv->strs_len - 1])
		return bad_btf(ef, err, "string section not NUL-terminated");

	bv->types_len = h->type_len;
	bv->types = malloc(bv->types_len ? bv->types_len : 1);
	bv->off = malloc((bv->types_len / sizeof(struct btf_type) + 1) * sizeof(*bv->off));
	if (!bv->types || !bv->off)
		return oom(ef, err);
	memcpy(bv->types, bv->raw + h->hdr_len + h->type_off, bv->types_len);

	while (p < bv->types_len) {
		const struct btf_type *t;
		long extra;

		if (bv->types_len - p < sizeof(*t)) {
			snprintf(why, sizeof(why), "type %u truncated", bv->nr + 1);
			return bad_btf(ef, err, why);
		}
		t = (const struct btf_type *)(bv->types + p);
		extra = btf_type_extra(t);
		if (extra < 0) {
			snprintf(why, sizeof(why), "type %u has unknown kind %u", bv->nr + 1,
				 BTF_INFO_KIND(t->info));
			return bad_btf(ef, err, why);
		}
		if ((uint64_t)(bv->types_len - p - sizeof(*t)) < (uint64_t)extra) {
			snprintf(why, sizeof(why), "type %u truncated", bv->nr + 1);
			return bad_btf(ef, err, why);
		}
		bv->off[bv->nr++] = p;
		p += sizeof(*t) + extra;
	}
	return btf_check_refs(ef, bv, err);
}

static void plan_free(struct maps_plan *mp)
{
	free(mp->in_s);
	free(mp->base);
	free(mp->syms);
	memset(mp, 0, sizeof(*mp));
}

/* Find the .maps* sections, the merged target and each section's base
 * offset in the merged data (index order, 8-aligned). */
static int plan_sections(const struct elf_file *ef, struct maps_plan *mp, struct rerr *err)
{
	bool have_plain = false;
	uint64_t sum = 0, off = 0;
	size_t i;

	mp->in_s = calloc(ef->shnum, sizeof(*mp->in_s));
	mp->base = calloc(ef->shnum, sizeof(*mp->base));
	if (!mp->in_s || !mp->base)
		return oom(ef, err);

	for (i = 1; i < ef->shnum; i++) {
		const char *name = sec_name(ef, i);

		/* ".mapsprint", legacy "maps": libbpf would fail with a bare code */
		if (ef->sh[i].sh_type == SHT_PROGBITS && name && !maps_suffix(name) &&
		    (!strncmp(name, MAPS_SEC, MAPS_SEC_LEN) || !strcmp(name, "maps"))) {
			rerr_set(err, -EINVAL, "%s: section '%s' is not a map section: maps go in SEC(\".maps\") or "
				 "SEC(\".maps.<kind>\") with kind print, counter, gauge or hist", ef->name, name);
			if (!strcmp(name, "maps"))
				rerr_hint(err, "legacy struct bpf_map_def maps are not supported by libbpf 1.x: "
					       "declare them with __uint/__type in SEC(\".maps\")");
			return -EINVAL;
		}
		if (ef->sh[i].sh_type != SHT_PROGBITS || !maps_suffix(name))
			continue;
		mp->in_s[i] = true;
		mp->n_s++;
		sum += ef->sh[i].sh_size;
		/* even ".maps." (empty kind) is a name libbpf will not take */
		if (strcmp(name, MAPS_SEC)) {
			mp->suffixed = true;
		} else if (!have_plain) {
			/* Keeping an existing .maps as the target means
			 * its symbols keep their offsets too. */
			have_plain = true;
			mp->target = i;
		}
		if (!mp->target)
			mp->target = i;
	}
	/* Sections of a real object do not overlap, so their sizes add up
	 * to at most the file size; this also bounds the merged buffer. */
	if (sum > ef->len)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (overlapping .maps sections)", ef->name);
	for (i = 1; i < ef->shnum; i++) {
		if (!mp->in_s[i])
			continue;
		off = ALIGN_UP(off, MAPS_ALIGN);
		mp->base[i] = off;
		off += ef->sh[i].sh_size;
	}
	if (off > UINT32_MAX)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (.maps sections too large)", ef->name);
	mp->merged_size = off;
	return 0;
}

/* Collect the (non-section) symbols defined in .maps* sections. */
static int collect_syms(const struct elf_file *ef, struct maps_plan *mp, struct rerr *err)
{
	size_t i;

	if (!mp->n_s)
		return 0;
	if (!ef->symtab)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (no symbol table; stripped?)", ef->name);
	mp->syms = calloc(ef->nsyms ? ef->nsyms : 1, sizeof(*mp->syms));
	if (!mp->syms)
		return oom(ef, err);
	for (i = 1; i < ef->nsyms; i++) {
		struct map_sym *ms;
		const char *name;
		Elf64_Sym sym;
		int type;

		sym_get(ef, i, &sym);
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
		    sym.st_shndx >= ef->shnum || !mp->in_s[sym.st_shndx])
			continue;
		type = ELF64_ST_TYPE(sym.st_info);
		if (type == STT_SECTION || type == STT_FILE)
			continue;
		name = str_at(ef->strtab, ef->strtab_len, sym.st_name);
		if (!name)
			return truncated(ef, err, "name of symbol", i);
		ms = &mp->syms[mp->nsyms++];
		ms->name = name;
		ms->sec = sym.st_shndx;
		ms->merged = mp->base[sym.st_shndx] + sym.st_value;
		ms->object = type == STT_OBJECT;
	}
	return 0;
}

static int cmp_sym_merged(const void *a, const void *b)
{
	const struct map_sym *x = *(const struct map_sym * const *)a;
	const struct map_sym *y = *(const struct map_sym * const *)b;

	if (x->merged != y->merged)
		return x->merged < y->merged ? -1 : 1;
	/* syms[] is in symbol-table order: keep it for ties */
	return x < y ? -1 : x > y;
}

static int cmp_sym_name(const void *a, const void *b)
{
	const struct map_sym *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

/* Record every map with its section suffix, in merged-offset order, which is
 * the order libbpf lists the maps after the rewrite. */
static int fill_info(const struct elf_file *ef, const struct maps_plan *mp,
		     struct elf_maps_info *info, struct rerr *err)
{
	const struct map_sym **order;
	size_t i, n = 0;

	info->n_sections = mp->n_s;
	if (!mp->nsyms)
		return 0;
	order = calloc(mp->nsyms, sizeof(*order));
	if (!order)
		return oom(ef, err);
	for (i = 0; i < mp->nsyms; i++)
		if (mp->syms[i].object && mp->syms[i].name[0])
			order[n++] = &mp->syms[i];
	qsort(order, n, sizeof(*order), cmp_sym_merged);
	if (!n) {
		free(order);
		return 0;
	}

	info->maps = calloc(n, sizeof(*info->maps));
	if (!info->maps)
		goto nomem;
	for (i = 0; i < n; i++) {
		struct elf_map_section *m = &info->maps[info->n];

		m->map = strdup(order[i]->name);
		m->suffix = strdup(maps_suffix(sec_name(ef, order[i]->sec)));
		info->n++;
		if (!m->map || !m->suffix)
			goto nomem;
	}
	free(order);
	return 0;
nomem:
	free(order);
	return oom(ef, err);
}

/* First entry of by_name (sorted by cmp_sym_name) not less than key. */
static size_t sym_lower_bound(const struct map_sym *by_name, size_t n, const struct map_sym *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_sym_name(&by_name[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The symbol a DATASEC var stands for: same name, preferably defined in
 * section ds_sec (the one the DATASEC is named after), else any. */
static const struct map_sym *find_var_sym(const struct map_sym *by_name, size_t n, const char *name,
					  size_t ds_sec)
{
	struct map_sym key = { .name = name, .sec = ds_sec };
	size_t i;

	i = sym_lower_bound(by_name, n, &key);
	if (i < n && !cmp_sym_name(&by_name[i], &key))
		return &by_name[i];
	key.sec = 0;
	i = sym_lower_bound(by_name, n, &key);
	if (i < n && !strcmp(by_name[i].name, name))
		return &by_name[i];
	return NULL;
}

struct sec_ref {
	const char *name;
	size_t idx;
};

static int cmp_sec_ref(const void *a, const void *b)
{
	const struct sec_ref *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Index of the first .maps* section called name, 0 if none. */
static size_t find_maps_sec(const struct sec_ref *secs, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(secs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(secs[lo].name, name) ? secs[lo].idx : 0;
}

/* File-supplied names go into one-line error messages: keep them short and
 * printable so a hostile name cannot forge or break the line. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Relocations inside .maps* data (.values initialisers) must lie inside
 * their section. libbpf 1.1 finds the map a relocation belongs to with
 * `r_offset + 8 <= map end`, which an r_offset near 2^64 wraps to true: it
 * then grows the map's slot array to the offset and clears it (gigabytes, a
 * hang). Checked for plain .maps too, which libbpf is given unchanged. */
static int check_map_relos(const struct elf_file *ef, const struct maps_plan *mp, struct rerr *err)
{
	size_t i, k;

	for (i = 1; i < ef->shnum; i++) {
		const Elf64_Shdr *rs = &ef->sh[i], *ts;

		if (rs->sh_type != SHT_REL || rs->sh_info >= ef->shnum || !mp->in_s[rs->sh_info])
			continue;
		ts = &ef->sh[rs->sh_info];
		for (k = 0; k < rs->sh_size / sizeof(Elf64_Rel); k++) {
			Elf64_Rel rel;

			memcpy(&rel, ef->buf + rs->sh_offset + k * sizeof(rel), sizeof(rel));
			if (ts->sh_size < sizeof(uint64_t) || rel.r_offset > ts->sh_size - sizeof(uint64_t))
				return rerr_set(err, -EINVAL, "%s: truncated ELF (relocation %zu of section %zu out of bounds)",
						ef->name, k, i);
		}
	}
	return 0;
}

static int cmp_secinfo(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/* Build the new .BTF: same header bytes (hdr_len may exceed the struct we
 * know), same type count and ids, same string offsets. The first .maps*
 * DATASEC becomes the merged ".maps" DATASEC; the other .maps* DATASECs
 * become `void *` so no id shifts. Each record shrinks or grows by exactly
 * the var entries moved, so the type section keeps its length.
 * *blob stays NULL when the BTF has no .maps* DATASEC to merge. */
static int build_btf(const struct elf_file *ef, const struct btf_view *bv,
		     const struct maps_plan *mp, unsigned char **blob, size_t *blob_len,
		     struct rerr *err)
{
	struct btf_var_secinfo *vars = NULL;
	struct map_sym *by_name = NULL;
	struct sec_ref *secs = NULL;
	struct btf_header nh;
	uint32_t id, first = 0, total = 0, n = 0, name_off, add_str = 0;
	size_t i, nsecs = 0;
	unsigned char *out = NULL, *p;
	bool *is_mds = NULL;
	const char *found;
	char why[256], pn1[64], pn2[64];
	int ret;

	*blob = NULL;
	is_mds = calloc(bv->nr + 1, sizeof(*is_mds));
	if (!is_mds)
		return oom(ef, err);
	for (id = 1; id <= bv->nr; id++) {
		const struct btf_type *t = btf_type_at(bv, id);
		const char *name;

		if (BTF_INFO_KIND(t->info) != BTF_KIND_DATASEC)
			continue;
		name = str_at(bv->strs, bv->strs_len, t->name_off);
		if (!name) {
			snprintf(why, sizeof(why), "type %u name out of bounds", id);
			ret = bad_btf(ef, err, why);
			goto out;
		}
		if (!maps_suffix(name))
			continue;
		is_mds[id] = true;
		if (!first)
			first = id;
		total += BTF_INFO_VLEN(t->info);
	}
	if (!first) {
		for (i = 0; i < mp->nsyms; i++) {
			if (mp->syms[i].object) {
				ret = bad_btf(ef, err, "no DATASEC describes the .maps sections");
				goto out;
			}
		}
		ret = 0;
		goto out;
	}
	if (total > 0xffff) {
		ret = bad_btf(ef, err, "too many maps for one DATASEC");
		goto out;
	}

	by_name = malloc((mp->nsyms ? mp->nsyms : 1) * sizeof(*by_name));
	vars = calloc(total ? total : 1, sizeof(*vars));
	secs = calloc(mp->n_s ? mp->n_s : 1, sizeof(*secs));
	if (!by_name || !vars || !secs) {
		ret = oom(ef, err);
		goto out;
	}
	memcpy(by_name, mp->syms, mp->nsyms * sizeof(*by_name));
	qsort(by_name, mp->nsyms, sizeof(*by_name), cmp_sym_name);
	for (i = 1; i < ef->shnum; i++) {
		if (mp->in_s[i]) {
			secs[nsecs].name = sec_name(ef, i);
			secs[nsecs++].idx = i;
		}
	}
	qsort(secs, nsecs, sizeof(*secs), cmp_sec_ref);

	for (id = first; id <= bv->nr; id++) {
		const struct btf_type *t = btf_type_at(bv, id);
		const struct btf_var_secinfo *vsi = (const void *)(t + 1);
		const char *ds_name = bv->strs + t->name_off;
		size_t ds_sec;
		uint32_t j;

		if (!is_mds[id])
			continue;
		ds_sec = find_maps_sec(secs, nsecs, ds_name);
		for (j = 0; j < BTF_INFO_VLEN(t->info); j++) {
			const struct map_sym *ms;
			const struct btf_type *vt;
			const char *vname;
			uint64_t off;

			vt = NULL;
			if (vsi[j].type && vsi[j].type <= bv->nr)
				vt = btf_type_at(bv, vsi[j].type);
			if (!vt || BTF_INFO_KIND(vt->info) != BTF_KIND_VAR) {
				snprintf(why, sizeof(why), "DATASEC '%s' member %u is not a VAR",
					 printable(ds_name, pn1, sizeof(pn1)), j);
				ret = bad_btf(ef, err, why);
				goto out;
			}
			vname = str_at(bv->strs, bv->strs_len, vt->name_off);
			if (!vname) {
				snprintf(why, sizeof(why), "type %u name out of bounds", vsi[j].type);
				ret = bad_btf(ef, err, why);
				goto out;
			}
			/* The symbol's new st_value is right for clang
			 * (size 0 DATASEC, placeholder offsets) and linker
			 * output (real offsets) alike. */
			ms = find_var_sym(by_name, mp->nsyms, vname, ds_sec);
			if (ms) {
				off = ms->merged;
			} else if (t->size && ds_sec) {
				off = mp->base[ds_sec] + vsi[j].offset;
			} else {
				snprintf(why, sizeof(why), "map '%s' in DATASEC '%s' has no ELF symbol",
					 printable(vname, pn1, sizeof(pn1)),
					 printable(ds_name, pn2, sizeof(pn2)));
				ret = bad_btf(ef, err, why);
				goto out;
			}
			if (off > mp->merged_size || vsi[j].size > mp->merged_size - off) {
				snprintf(why, sizeof(why), "map '%s' lies outside its section",
					 printable(vname, pn1, sizeof(pn1)));
				ret = bad_btf(ef, err, why);
				goto out;
			}
			vars[n].type = vsi[j].type;
			vars[n].offset = off;
			vars[n].size = vsi[j].size;
			n++;
		}
	}
	/* the kernel wants DATASEC vars sorted and non-overlapping */
	qsort(vars, n, sizeof(*vars), cmp_secinfo);

	found = memmem(bv->strs, bv->strs_len, MAPS_SEC, sizeof(MAPS_SEC));
	if (found) {
		name_off = found - bv->strs;
	} else {
		if (bv->strs_len > UINT32_MAX - sizeof(MAPS_SEC)) {
			ret = bad_btf(ef, err, "string section too large");
			goto out;
		}
		name_off = bv->strs_len;
		add_str = sizeof(MAPS_SEC);
	}

	*blob_len = (size_t)bv->hdr.hdr_len + bv->types_len + bv->strs_len + add_str;
	out = malloc(*blob_len);
	if (!out) {
		ret = oom(ef, err);
		goto out;
	}
	memcpy(out, bv->raw, bv->hdr.hdr_len);
	nh = bv->hdr;
	nh.type_off = 0;
	nh.type_len = bv->types_len;
	nh.str_off = bv->types_len;
	nh.str_len = bv->strs_len + add_str;
	memcpy(out, &nh, sizeof(nh));

	p = out + bv->hdr.hdr_len;
	for (id = 1; id <= bv->nr; id++) {
		const struct btf_type *t = btf_type_at(bv, id);
		struct btf_type nt = {};

		if (!is_mds[id]) {
			memcpy(p, t, btf_rec_len(bv, id));
			p += btf_rec_len(bv, id);
			continue;
		}
		if (id == first) {
			nt.name_off = name_off;
			nt.info = BTF_INFO_ENC(BTF_KIND_DATASEC, 0, n);
			nt.size = mp->merged_size;
			memcpy(p, &nt, sizeof(nt));
			p += sizeof(nt);
			memcpy(p, vars, n * sizeof(*vars));
			p += n * sizeof(*vars);
		} else {
			/* anonymous `void *`: a valid placeholder that
			 * keeps the following ids where they were */
			nt.info = BTF_INFO_ENC(BTF_KIND_PTR, 0, 0);
			memcpy(p, &nt, sizeof(nt));
			p += sizeof(nt);
		}
	}
	memcpy(p, bv->strs, bv->strs_len);
	p += bv->strs_len;
	memcpy(p, MAPS_SEC, add_str);
	*blob = out;
	out = NULL;
	ret = 0;
out:
	free(out);
	free(vars);
	free(by_name);
	free(secs);
	free(is_mds);
	return ret;
}

/* Assemble the output: a copy of the input with symbols and map relocations
 * edited in place, then the merged .maps data, the new section name table,
 * the new .BTF and the new section header table appended. */
static int emit(const struct elf_file *ef, const struct maps_plan *mp, const unsigned char *btf,
		size_t btf_len, void **out, size_t *out_len, struct rerr *err)
{
	/* ".rel.maps\0" also provides ".maps\0" at +4. The emptied .maps.<x>
	 * sections get a .debug_ name because libbpf 1.1 skips those
	 * silently, while any other unknown data section costs an info-level
	 * "skipping unrecognized data section" line per section. */
	static const char names[] = "\0.rel.maps\0.debug_ebpfctl_unused";
	uint64_t o_maps, o_str, o_btf, o_sh, total;
	uint32_t n_rel, n_maps, n_unused;
	Elf64_Shdr *sh = NULL;
	Elf64_Ehdr eh;
	unsigned char *o;
	size_t i, k;

	o_maps = ALIGN_UP((uint64_t)ef->len, 8);
	o_str = ALIGN_UP(o_maps + mp->merged_size, 8);
	o_btf = ALIGN_UP(o_str + ef->shstr_len + sizeof(names), 8);
	o_sh = ALIGN_UP(o_btf + btf_len, 8);
	total = o_sh + ef->shnum * sizeof(Elf64_Shdr);
	if (ef->shstr_len + sizeof(names) > UINT32_MAX)
		return rerr_set(err, -ENOEXEC, "%s: not a BPF object (section name table too large)", ef->name);
	n_rel = ef->shstr_len + 1;
	n_maps = n_rel + 4;
	n_unused = n_rel + sizeof(".rel.maps");

	o = calloc(1, total);
	sh = malloc(ef->shnum * sizeof(*sh));
	if (!o || !sh) {
		free(o);
		free(sh);
		return oom(ef, err);
	}
	memcpy(o, ef->buf, ef->len);
	memcpy(sh, ef->sh, ef->shnum * sizeof(*sh));

	for (i = 1; i < ef->shnum; i++) {
		if (!mp->in_s[i])
			continue;
		memcpy(o + o_maps + mp->base[i], ef->buf + ef->sh[i].sh_offset, ef->sh[i].sh_size);
		sh[i].sh_name = n_unused;
	}
	sh[mp->target].sh_name = n_maps;
	sh[mp->target].sh_offset = o_maps;
	sh[mp->target].sh_size = mp->merged_size;
	sh[mp->target].sh_addralign = MAPS_ALIGN;

	/* Symbols: same index, new section and offset. Section symbols are
	 * left alone (nothing the loader uses refers to them, and moving
	 * one by `base` would make it point into another section). */
	for (k = 1; k < ef->nsyms && mp->n_s; k++) {
		size_t at = ef->sh[ef->symtab].sh_offset + k * sizeof(Elf64_Sym);
		Elf64_Sym sym;

		sym_get(ef, k, &sym);
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
		    sym.st_shndx >= ef->shnum || !mp->in_s[sym.st_shndx] ||
		    ELF64_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		sym.st_value += mp->base[sym.st_shndx];
		sym.st_shndx = mp->target;
		memcpy(o + at, &sym, sizeof(sym));
	}

	/* Relocations inside map data (.values initialisers): shift into
	 * the merged section; libbpf keeps REL sections by their own name. */
	for (i = 1; i < ef->shnum; i++) {
		size_t n;

		if (ef->sh[i].sh_type != SHT_REL || ef->sh[i].sh_info >= ef->shnum ||
		    !mp->in_s[ef->sh[i].sh_info])
			continue;
		if (ef->sh[i].sh_entsize != sizeof(Elf64_Rel)) {
			free(o);
			free(sh);
			return rerr_set(err, -ENOEXEC, "%s: not a BPF object (relocation size %llu in section %zu)",
					ef->name, (unsigned long long)ef->sh[i].sh_entsize, i);
		}
		n = ef->sh[i].sh_size / sizeof(Elf64_Rel);
		for (k = 0; k < n; k++) {
			size_t at = ef->sh[i].sh_offset + k * sizeof(Elf64_Rel);
			Elf64_Rel rel;

			memcpy(&rel, ef->buf + at, sizeof(rel));
			rel.r_offset += mp->base[ef->sh[i].sh_info];
			memcpy(o + at, &rel, sizeof(rel));
		}
		sh[i].sh_name = n_rel;
		sh[i].sh_info = mp->target;
	}

	memcpy(o + o_str, ef->shstr, ef->shstr_len);
	memcpy(o + o_str + ef->shstr_len, names, sizeof(names));
	sh[ef->eh.e_shstrndx].sh_offset = o_str;
	sh[ef->eh.e_shstrndx].sh_size = ef->shstr_len + sizeof(names);

	if (btf) {
		memcpy(o + o_btf, btf, btf_len);
		sh[ef->btf].sh_offset = o_btf;
		sh[ef->btf].sh_size = btf_len;
	}

	memcpy(o + o_sh, sh, ef->shnum * sizeof(*sh));
	eh = ef->eh;
	eh.e_shoff = o_sh;
	memcpy(o, &eh, sizeof(eh));
	free(sh);
	*out = o;
	*out_len = total;
	return 0;
}

int elf_rewrite_maps(const char *name, const void *buf, size_t len, void **out, size_t *out_len,
		     struct elf_maps_info *info, struct rerr *err)
{
	struct elf_file ef = { .name = name ? name : "object", .buf = buf, .len = buf ? len : 0 };
	struct btf_view bv = {};
	struct maps_plan mp = {};
	unsigned char *btf = NULL;
	size_t btf_len = 0;
	int ret;

	*out = NULL;
	*out_len = 0;
	memset(info, 0, sizeof(*info));

	ret = elf_parse(&ef, err);
	if (ret)
		goto cleanup;
	ret = btf_parse(&ef, &bv, err);
	if (ret)
		goto cleanup;
	ret = plan_sections(&ef, &mp, err);
	if (ret)
		goto cleanup;
	ret = check_map_relos(&ef, &mp, err);
	if (ret)
		goto cleanup;
	ret = collect_syms(&ef, &mp, err);
	if (ret)
		goto cleanup;
	ret = fill_info(&ef, &mp, info, err);
	if (ret)
		goto cleanup;
	/* Only plain .maps (or no maps): libbpf copes on its own. */
	if (!mp.suffixed)
		goto cleanup;

	ret = build_btf(&ef, &bv, &mp, &btf, &btf_len, err);
	if (ret)
		goto cleanup;
	ret = emit(&ef, &mp, btf, btf_len, out, out_len, err);
	if (ret)
		goto cleanup;
	rdebug("%s: merged %zu .maps* sections into .maps (%llu bytes, %d maps)", ef.name, mp.n_s,
	       (unsigned long long)mp.merged_size, info->n);
cleanup:
	if (ret)
		elf_maps_info_free(info);
	free(btf);
	plan_free(&mp);
	btf_view_free(&bv);
	free(ef.sh);
	return ret;
}

void elf_maps_info_free(struct elf_maps_info *info)
{
	int i;

	if (!info)
		return;
	for (i = 0; i < info->n; i++) {
		free(info->maps[i].map);
		free(info->maps[i].suffix);
	}
	free(info->maps);
	memset(info, 0, sizeof(*info));
}
