// SPDX-License-Identifier: MIT
/* Probe-side loss counters (include/ebpfctl_helpers.h, loss.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "loss.h"
#include "rerr.h"

/* " (object 'x')" with several objects, else "" */
#define OBJ_FMT "%s%s%s"
#define OBJ_ARGS(ls) (ls)->object ? " (object '" : "", (ls)->object ? (ls)->object : "", (ls)->object ? "')" : ""

/* Data sections a probe's globals live in: every internal map with a DATASEC
 * value but .kconfig (filled by libbpf). */
static const struct btf_type *data_section(const struct btf *btf, struct bpf_map *map)
{
	const struct btf_type *sec;

	if (!bpf_map__is_internal(map) || !bpf_map__btf_value_type_id(map) || strstr(bpf_map__name(map), ".kconfig"))
		return NULL;
	sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	return sec && btf_is_datasec(sec) ? sec : NULL;
}

/* An 8-byte integer, through typedefs and qualifiers (volatile, const). */
static bool is_u64_like(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_int(t) && t->size == 8 && !(btf_int_encoding(t) & (BTF_INT_BOOL | BTF_INT_CHAR)) &&
	       btf_int_offset(t) == 0 && btf_int_bits(t) == 64;
}

static const char *type_name(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && btf_is_mod(t) && !t->name_off)
		t = btf__type_by_id(btf, t->type);
	if (!t)
		return "?";
	if (t->name_off)
		return btf__name_by_offset(btf, t->name_off);
	return btf_is_struct(t) ? "a struct" : btf_is_union(t) ? "a union" : btf_is_array(t) ? "an array" : "?";
}

int loss_scan(struct bpf_object *obj, const char *object, struct loss_set *ls)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;
	size_t plen = strlen(LOSS_PREFIX);

	*ls = (struct loss_set){ .object = object };
	if (!btf)
		return 0;
	bpf_object__for_each_map(map, obj) {
		const struct btf_type *sec = data_section(btf, map);
		const struct btf_var_secinfo *vsi;

		if (!sec)
			continue;
		vsi = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
			const struct btf_type *var = btf__type_by_id(btf, vsi->type);
			const char *name;
			struct loss_counter *c;

			if (!var || !btf_is_var(var))
				continue;
			name = btf__name_by_offset(btf, var->name_off);
			if (!name || strncmp(name, LOSS_PREFIX, plen) || !name[plen])
				continue;
			if (!is_u64_like(btf, var->type) || vsi->size != 8) {
				rwarn("global '%s'" OBJ_FMT ": a loss counter must be an 8-byte integer, got %s: ignored",
				      name, OBJ_ARGS(ls), type_name(btf, var->type));
				continue;
			}
			c = realloc(ls->c, (size_t)(ls->n + 1) * sizeof(*c));
			if (!c)
				return -ENOMEM;
			ls->c = c;
			c = &ls->c[ls->n];
			*c = (struct loss_counter){ .map = strdup(name + plen), .dmap = map, .off = vsi->offset };
			if (!c->map)
				return -ENOMEM;
			ls->n++;
		}
	}
	return 0;
}

static struct loss_mapping *mapping_of(struct loss_set *ls, struct bpf_map *dmap)
{
	for (int i = 0; i < ls->nmm; i++)
		if (ls->mm[i].dmap == dmap)
			return &ls->mm[i];
	return NULL;
}

int loss_map(struct loss_set *ls)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	for (int i = 0; i < ls->n; i++) {
		struct loss_counter *c = &ls->c[i];
		struct loss_mapping *mm = mapping_of(ls, c->dmap);

		if (!mm) {
			size_t len = ((size_t)bpf_map__value_size(c->dmap) + pg - 1) / pg * pg;
			void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(c->dmap), 0);

			if (p == MAP_FAILED) {
				rwarn("global '%s%s'" OBJ_FMT ": cannot read its section: %s: map '%s' reports no probe "
				      "losses", LOSS_PREFIX, c->map, OBJ_ARGS(ls), strerror(errno), c->map);
				continue;
			}
			mm = realloc(ls->mm, (size_t)(ls->nmm + 1) * sizeof(*mm));
			if (!mm) {
				munmap(p, len);
				return -ENOMEM;
			}
			ls->mm = mm;
			mm = &ls->mm[ls->nmm++];
			*mm = (struct loss_mapping){ .dmap = c->dmap, .addr = p, .len = len };
		}
		if ((size_t)c->off + 8 <= mm->len && !(c->off & 7))
			c->p = (const volatile uint64_t *)((const char *)mm->addr + c->off);
	}
	return 0;
}

const struct loss_counter *loss_claim(struct loss_set *ls, const char *name)
{
	for (int i = 0; ls && i < ls->n; i++)
		if (!strcmp(ls->c[i].map, name)) {
			ls->c[i].claimed = true;
			return &ls->c[i];
		}
	return NULL;
}

void loss_warn_unclaimed(const struct loss_set *ls)
{
	for (int i = 0; i < ls->n; i++)
		if (!ls->c[i].claimed)
			rwarn("global '%s%s'" OBJ_FMT ": no exported ring buffer or perf event array '%s' to count "
			      "losses for: ignored", LOSS_PREFIX, ls->c[i].map, OBJ_ARGS(ls), ls->c[i].map);
}

uint64_t loss_read(const struct loss_counter *c)
{
	if (!c || !c->p)
		return 0;
	return __atomic_load_n((const uint64_t *)c->p, __ATOMIC_RELAXED);
}

void loss_free(struct loss_set *ls)
{
	for (int i = 0; i < ls->nmm; i++)
		munmap(ls->mm[i].addr, ls->mm[i].len);
	for (int i = 0; i < ls->n; i++)
		free(ls->c[i].map);
	free(ls->mm);
	free(ls->c);
	*ls = (struct loss_set){};
}
