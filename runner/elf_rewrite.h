/* SPDX-License-Identifier: MIT */
/* In-memory ELF + BTF rewrite that lets libbpf 1.1 open objects whose maps
 * live in SEC(".maps.<kind>"): every .maps* section is merged into one .maps
 * and every .maps* DATASEC into one .maps DATASEC, keeping all BTF type ids
 * and string offsets (so .BTF.ext stays valid). */
#ifndef EBPFCTL_ELF_REWRITE_H
#define EBPFCTL_ELF_REWRITE_H

#include <stddef.h>
#include "rerr.h"

struct elf_map_section {
	char *map;		/* map (symbol / BTF VAR) name */
	char *suffix;		/* "" for plain .maps, "print" for .maps.print, "." for .maps. */
};

struct elf_maps_info {
	struct elf_map_section *maps;
	int n;
	int n_sections;		/* how many .maps* sections were merged */
};

/* Validate buf as a little-endian ELF64 relocatable BPF object with BTF and,
 * if it has .maps.* sections, produce the rewritten copy.
 *  - *out and *out_len: malloc'd rewritten image, or NULL when no rewrite is
 *    needed (use buf as is).
 *  - info: every map found in any .maps* section with its section suffix
 *    (filled in both cases; free with elf_maps_info_free). Maps are listed
 *    in merged-offset order, which is the order libbpf lists them in after
 *    open. A section named ".maps." (empty kind) gets suffix ".", so the
 *    kind checker can reject it.
 * Errors (err->msg begins with `name`), return -errno:
 *   "<name>: not an ELF file", "<name>: truncated ELF (...)",
 *   "<name>: not a BPF object (...)", "<name>: no BTF (.BTF section missing)"
 *   with hint "compile with clang -g", "<name>: bad BTF: ...". */
int elf_rewrite_maps(const char *name, const void *buf, size_t len, void **out, size_t *out_len,
		     struct elf_maps_info *info, struct rerr *err);
void elf_maps_info_free(struct elf_maps_info *info);

#endif
