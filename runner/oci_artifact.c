// SPDX-License-Identifier: MIT
/* An object as an OCI artifact (spec/oci.md): the config describing it is
 * derived from the object opened without loading; a stored artifact is
 * classified and checked (format, platform, ELF header, kernel BTF, the
 * kernel's program and map types) before anything is loaded. */
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "elf_rewrite.h"
#include "export.h"
#include "globals.h"
#include "oci.h"
#include "oci_int.h"
#include "readfile.h"

#ifndef EBPFCTL_VERSION
#define EBPFCTL_VERSION "unknown"
#endif

/* ---- ELF ---- */

/* The header checks of spec/oci.md: a 64-bit relocatable BPF object of this
 * machine's byte order.  NULL when it is one, else why not. */
static const char *elf_header_problem(const void *buf, size_t len)
{
	const unsigned char *id = buf;
	Elf64_Ehdr eh;
	bool host_le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

	if (len < sizeof(eh) || memcmp(id, ELFMAG, SELFMAG))
		return "not an ELF file";
	if (id[EI_CLASS] != ELFCLASS64)
		return "not a 64-bit ELF object";
	if (id[EI_DATA] != (host_le ? ELFDATA2LSB : ELFDATA2MSB))
		return host_le ? "a big-endian object (built with -target bpfeb); this machine is little-endian"
			       : "a little-endian object (built with -target bpfel); this machine is big-endian";
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_machine != EM_BPF)
		return "not a BPF object (e_machine is not EM_BPF)";
	if (eh.e_type != ET_REL)
		return "not a relocatable object (clang -c output)";
	return NULL;
}

/* A section's bytes in a 64-bit little/host-endian ELF (header checked). */
static const void *elf_section(const void *buf, size_t len, const char *name, size_t *size)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, str;

	memcpy(&eh, buf, sizeof(eh));
	if (!eh.e_shoff || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shoff > len || (uint64_t)eh.e_shnum * sizeof(sh) > len - eh.e_shoff)
		return NULL;
	memcpy(&str, (const char *)buf + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(sh), sizeof(str));
	if (str.sh_offset > len || str.sh_size > len - str.sh_offset)
		return NULL;
	for (unsigned int i = 1; i < eh.e_shnum; i++) {
		memcpy(&sh, (const char *)buf + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_name >= str.sh_size || sh.sh_type == SHT_NOBITS)
			continue;
		if (strncmp((const char *)buf + str.sh_offset + sh.sh_name, name, str.sh_size - sh.sh_name) ||
		    sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
			continue;
		*size = sh.sh_size;
		return (const char *)buf + sh.sh_offset;
	}
	return NULL;
}

/* .BTF.ext carries CO-RE relocations: the object needs the kernel's BTF. */
static bool has_core_relos(const void *buf, size_t len)
{
	const unsigned char *p;
	uint32_t hdr_len, relo_len;
	size_t n;

	p = elf_section(buf, len, ".BTF.ext", &n);
	if (!p || n < 32)
		return false;
	memcpy(&hdr_len, p + 4, 4);
	if (hdr_len < 32)
		return false;
	memcpy(&relo_len, p + 28, 4);
	return relo_len > 0;
}

/* ---- config ---- */

/* Kernel floors (spec/oci.md): the newest feature the object uses. */
struct floor {
	const char *what;
	int major, minor;
};

static void raise_floor(struct floor *f, const char *what, int major, int minor)
{
	if (major > f->major || (major == f->major && minor > f->minor)) {
		f->what = what;
		f->major = major;
		f->minor = minor;
	}
}

static void prog_floor(struct floor *f, enum bpf_prog_type t, enum bpf_attach_type at, const char *sec)
{
	if (t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_EXT)
		raise_floor(f, "fentry/fexit/tp_btf programs", 5, 5);
	if (t == BPF_PROG_TYPE_LSM)
		raise_floor(f, "lsm programs", 5, 7);
	if (t == BPF_PROG_TYPE_KPROBE && sec && strstr(sec, ".multi"))
		raise_floor(f, "kprobe.multi programs", 5, 18);
	if (t == BPF_PROG_TYPE_SYSCALL)
		raise_floor(f, "syscall programs", 5, 14);
	if (sec && !strncmp(sec, "tcx/", 4))
		raise_floor(f, "tcx programs", 6, 6);
	(void)at;
}

static void map_floor(struct floor *f, enum bpf_map_type t)
{
	if (t == BPF_MAP_TYPE_RINGBUF)
		raise_floor(f, "ring buffers", 5, 8);
	if (t == BPF_MAP_TYPE_TASK_STORAGE)
		raise_floor(f, "task storage maps", 5, 11);
	if (t == BPF_MAP_TYPE_BLOOM_FILTER)
		raise_floor(f, "bloom filter maps", 5, 16);
	if (t == BPF_MAP_TYPE_USER_RINGBUF)
		raise_floor(f, "user ring buffers", 6, 1);
	if ((int)t == 32)	/* BPF_MAP_TYPE_CGRP_STORAGE: newer than Debian 12's uapi headers */
		raise_floor(f, "cgroup storage maps", 6, 2);
}

static void add_type(cJSON *arr, const char *name)
{
	const cJSON *e;

	if (!name)
		return;
	cJSON_ArrayForEach(e, arr)
		if (!strcmp(cJSON_GetStringValue(e), name))
			return;
	cJSON_AddItemToArray(arr, cJSON_CreateString(name));
}

static void add_param(void *ctx, const char *name, const char *type)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "type", type);
	cJSON_AddItemToArray(ctx, p);
}

static const char *map_output(const struct elf_maps_info *info, const char *name)
{
	const char *suffix = "", *rest;
	int k;

	for (int i = 0; i < info->n; i++)
		if (!strcmp(info->maps[i].map, name))
			suffix = info->maps[i].suffix;
	k = out_kind_from_suffix(suffix);
	if (k == OUT_NONE)
		k = out_kind_from_prefix(name, &rest);
	return k > 0 ? out_kind_name(k) : NULL;
}

/* libbpf's messages while describing an object: debug lines, not warnings
 * (a .ebpfctl.decl_order section is "unrecognized" to it) */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	rdebug("libbpf: %s", line);
	return 0;
}

/* The config of spec/oci.md, fixed key order (reproducible digests). */
static int build_config(const char *path, const void *file, size_t len, cJSON **out, struct rerr *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct elf_maps_info info = {};
	cJSON *c, *bpf, *progs, *maps, *params, *req, *ptypes, *mtypes, *b;
	struct floor floor = { "BPF CO-RE", 5, 2 };
	const char *lic, *comment, *s;
	libbpf_print_fn_t prev;
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	void *img = NULL;
	size_t img_len = 0, n;
	bool core, need_btf;
	char objname[64], ver[16];
	int e;

	e = elf_rewrite_maps(path, file, len, &img, &img_len, &info, err);
	if (e)
		return e;
	s = strrchr(path, '/');
	snprintf(objname, sizeof(objname), "%s", s ? s + 1 : path);
	oo.object_name = objname;
	prev = libbpf_set_print(quiet_print);
	obj = bpf_object__open_mem(img ? img : file, img ? img_len : len, &oo);
	libbpf_set_print(prev);
	free(img);
	if (!obj) {
		e = -errno;
		elf_maps_info_free(&info);
		return rerr_set(err, e, "%s: cannot open BPF object: %s", path, strerror(-e));
	}
	core = has_core_relos(file, len);
	need_btf = core;
	c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "formatVersion", OCI_FORMAT_VERSION);
	cJSON_AddStringToObject(c, "architecture", oci_host_arch());
	cJSON_AddStringToObject(c, "os", "linux");
	bpf = cJSON_AddObjectToObject(c, "bpf");
	cJSON_AddStringToObject(bpf, "endianness", __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big");
	lic = elf_section(file, len, "license", &n);
	cJSON_AddItemToObject(bpf, "license", lic ? cJSON_CreateString(strndupa(lic, n)) : cJSON_CreateString(""));
	cJSON_AddBoolToObject(bpf, "btf", elf_section(file, len, ".BTF", &n) != NULL);
	cJSON_AddBoolToObject(bpf, "coreRelocations", core);
	progs = cJSON_AddArrayToObject(bpf, "programs");
	maps = cJSON_AddArrayToObject(bpf, "maps");
	params = cJSON_AddArrayToObject(bpf, "params");
	req = cJSON_CreateObject();
	ptypes = cJSON_CreateArray();
	mtypes = cJSON_CreateArray();
	bpf_object__for_each_program(p, obj) {
		enum bpf_prog_type t = bpf_program__type(p);
		const char *sec = bpf_program__section_name(p);
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "name", bpf_program__name(p));
		cJSON_AddStringToObject(j, "section", sec);
		cJSON_AddStringToObject(j, "type", libbpf_bpf_prog_type_str(t) ? libbpf_bpf_prog_type_str(t) : "unknown");
		cJSON_AddItemToArray(progs, j);
		if (!bpf_program__autoload(p))
			continue;
		add_type(ptypes, libbpf_bpf_prog_type_str(t));
		prog_floor(&floor, t, bpf_program__expected_attach_type(p), sec);
		if (t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM || t == BPF_PROG_TYPE_STRUCT_OPS ||
		    t == BPF_PROG_TYPE_EXT)
			need_btf = true;
	}
	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		const char *out;
		cJSON *j;

		if (bpf_map__is_internal(m)) {
			raise_floor(&floor, "global variables", 5, 2);
			continue;
		}
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", bpf_map__name(m));
		cJSON_AddStringToObject(j, "type", libbpf_bpf_map_type_str(t) ? libbpf_bpf_map_type_str(t) : "unknown");
		out = map_output(&info, bpf_map__name(m));
		if (out)
			cJSON_AddStringToObject(j, "output", out);
		cJSON_AddItemToArray(maps, j);
		add_type(mtypes, libbpf_bpf_map_type_str(t));
		map_floor(&floor, t);
	}
	globals_each_settable(obj, add_param, params);
	if (need_btf)
		raise_floor(&floor, "kernel BTF", 5, 4);
	cJSON_AddBoolToObject(req, "kernelBTF", need_btf);
	snprintf(ver, sizeof(ver), "%d.%d", floor.major, floor.minor);
	cJSON_AddStringToObject(req, "minKernel", ver);
	cJSON_AddItemToObject(req, "progTypes", ptypes);
	cJSON_AddItemToObject(req, "mapTypes", mtypes);
	cJSON_AddItemToObject(c, "requires", req);
	b = cJSON_AddObjectToObject(c, "builder");
	cJSON_AddStringToObject(b, "name", "ebpfctl");
	cJSON_AddStringToObject(b, "version", EBPFCTL_VERSION);
	comment = elf_section(file, len, ".comment", &n);
	if (comment && n > 1)
		cJSON_AddItemToObject(b, "compiler", cJSON_CreateString(strndupa(comment + (*comment ? 0 : 1), n - 1)));
	bpf_object__close(obj);
	elf_maps_info_free(&info);
	*out = c;
	return 0;
}

static cJSON *descriptor(const char *mt, const char *digest, size_t size, const char *title)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "mediaType", mt);
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddNumberToObject(d, "size", (double)size);
	if (title)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "annotations"), OCI_ANN_TITLE, title);
	return d;
}

static int put_json(struct oci_store *st, cJSON *j, char *digest, size_t *size, struct rerr *err)
{
	char *s = cJSON_PrintUnformatted(j);
	int e;

	if (!s)
		return rerr_set(err, -ENOMEM, "out of memory");
	*size = strlen(s);
	e = oci_store_put(st, s, *size, NULL, digest, err);
	free(s);
	return e;
}

int oci_package(struct oci_store *st, const char *object, const char *name, const char *title,
		const struct oci_annotation *ann, int n_ann, char *digest, struct rerr *err)
{
	char prog_d[OCI_DIGEST_LEN + 1], cfg_d[OCI_DIGEST_LEN + 1], man_d[OCI_DIGEST_LEN + 1];
	cJSON *cfg = NULL, *man = NULL, *layers, *anns;
	struct oci_desc desc = {};
	const char *why, *sde;
	size_t len, cfg_len, man_len;
	void *file;
	int e;

	e = read_whole_file(object, &file, &len);
	if (e)
		return rerr_set(err, e, "%s: %s", object, strerror(-e));
	why = elf_header_problem(file, len);
	if (why) {
		e = rerr_set(err, -ENOEXEC, "%s: %s", object, why);
		goto out;
	}
	if (len > OCI_MAX_PROGRAM) {
		e = rerr_set(err, -EFBIG, "%s: larger than %u MiB", object, OCI_MAX_PROGRAM >> 20);
		goto out;
	}
	e = build_config(object, file, len, &cfg, err);
	if (e)
		goto out;
	e = oci_store_put(st, file, len, NULL, prog_d, err);
	if (!e)
		e = put_json(st, cfg, cfg_d, &cfg_len, err);
	if (e)
		goto out;
	man = cJSON_CreateObject();
	cJSON_AddNumberToObject(man, "schemaVersion", 2);
	cJSON_AddStringToObject(man, "mediaType", OCI_MT_MANIFEST);
	cJSON_AddStringToObject(man, "artifactType", OCI_ARTIFACT_TYPE);
	cJSON_AddItemToObject(man, "config", descriptor(OCI_MT_CONFIG, cfg_d, cfg_len, "config.json"));
	layers = cJSON_AddArrayToObject(man, "layers");
	cJSON_AddItemToArray(layers, descriptor(OCI_MT_PROGRAM, prog_d, len, "program.o"));
	anns = cJSON_AddObjectToObject(man, "annotations");
	cJSON_AddStringToObject(anns, OCI_ANN_TITLE, title);
	/* a wall-clock time would make every build a new digest */
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		time_t t = (time_t)strtoll(sde, NULL, 10);
		char ts[32];

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		cJSON_AddStringToObject(anns, "org.opencontainers.image.created", ts);
	}
	for (int i = 0; i < n_ann; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(anns, ann[i].key);
		cJSON_AddStringToObject(anns, ann[i].key, ann[i].value);
	}
	e = put_json(st, man, man_d, &man_len, err);
	if (e)
		goto out;
	snprintf(desc.media_type, sizeof(desc.media_type), "%s", OCI_MT_MANIFEST);
	strcpy(desc.digest, man_d);
	desc.size = man_len;
	e = oci_store_tag(st, name, &desc, err);
	if (!e && digest)
		strcpy(digest, man_d);
out:
	cJSON_Delete(cfg);
	cJSON_Delete(man);
	free(file);
	return e;
}

/* ---- reading ---- */

int oci_manifest_kind(const cJSON *j, const char *media_type)
{
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mediaType"));

	if (!mt || !*mt)
		mt = media_type;
	if (mt && (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, OCI_MT_DOCKER_LIST)))
		return 2;
	if (mt && (!strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, OCI_MT_DOCKER_MANIFEST)))
		return 1;
	/* skopeo's and bumblebee's manifests may carry no mediaType */
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "manifests")))
		return 2;
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "config")))
		return 1;
	return 0;
}

int oci_index_pick(const cJSON *index, struct oci_desc *d, char *why, size_t why_size)
{
	const char *arch = oci_host_arch();
	const cJSON *m;
	size_t off = 0;

	why[0] = '\0';
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "platform");
		const char *os = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "os"));
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "architecture"));

		if (os && a && !strcmp(os, "linux") && !strcmp(a, arch) && !oci_desc_from_json(m, d))
			return 0;
		if (off < why_size)
			off += snprintf(why + off, why_size - off, "%s%s/%s", off ? ", " : "", os ? os : "?",
					a ? a : "?");
	}
	return -ENOENT;
}

static int read_json_blob(const struct oci_src *src, const struct oci_desc *d, size_t max, char **text,
			  cJSON **j, const char *name, const char *what, struct rerr *err)
{
	void *buf;
	size_t len;
	char *t;
	int e;

	e = src->get(src->ctx, d, max, &buf, &len, err);
	if (e)
		return e;
	*j = cJSON_ParseWithLength(buf, len);
	if (!*j || !cJSON_IsObject(*j)) {
		cJSON_Delete(*j);
		*j = NULL;
		free(buf);
		return rerr_set(err, -EBADMSG, "%s: the %s (%s) is not a JSON object", name, what, d->digest);
	}
	t = realloc(buf, len + 1);
	if (!t) {
		free(buf);
		cJSON_Delete(*j);
		*j = NULL;
		return rerr_set(err, -ENOMEM, "out of memory");
	}
	t[len] = '\0';
	*text = t;
	return 0;
}

static int not_a_probe(const cJSON *man, const cJSON *cfg_desc, const char *name, struct rerr *err)
{
	const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(man, "artifactType"));
	const char *cmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg_desc, "mediaType"));
	const cJSON *l;
	int e;

	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(man, "layers")) {
		const char *lmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "mediaType"));

		if (lmt && !strncmp(lmt, "application/vnd.gadget.", 23))
			at = "application/vnd.gadget.v1+binary";
	}
	if (at && !strncmp(at, "application/vnd.gadget.", 23))
		return rerr_set(err, -EPROTONOSUPPORT,
				"%s: an Inspektor Gadget image, not an ebpfctl or bumblebee probe", name);
	if (cmt && (!strcmp(cmt, "application/vnd.oci.image.config.v1+json") ||
		    !strcmp(cmt, "application/vnd.docker.container.image.v1+json"))) {
		e = rerr_set(err, -EPROTONOSUPPORT, "%s: a container image, not an ebpfctl or bumblebee probe", name);
		rerr_hint(err, "bpfman bytecode images carry the object in a tar layer; package the .o with 'ebpfctl package'");
		return e;
	}
	return rerr_set(err, -EPROTONOSUPPORT, "%s: unknown artifact type '%s' (config media type '%s')", name,
			at ? at : "", cmt ? cmt : "");
}

int oci_artifact_read(const struct oci_src *src, const char *name, const struct oci_desc *root,
		      struct oci_artifact *a, struct rerr *err)
{
	cJSON *man = NULL, *cfg = NULL;
	const cJSON *cd, *l, *fv, *arch;
	struct oci_desc d = *root;
	char why[256];
	void *prog = NULL;
	size_t prog_len;
	int e, n_prog = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	for (int depth = 0;; depth++) {
		e = read_json_blob(src, &d, OCI_MAX_MANIFEST, &a->manifest_json, &man, name, "manifest", err);
		if (e)
			goto fail;
		if (d.size == UINT64_MAX)
			d.size = strlen(a->manifest_json);
		e = oci_manifest_kind(man, d.media_type);
		if (e == 1)
			break;
		if (e != 2 || depth) {
			e = rerr_set(err, -EPROTONOSUPPORT, "%s: %s is not an OCI image manifest or index", name,
				     d.digest);
			goto fail;
		}
		a->index = d;
		if (!a->index.media_type[0])
			snprintf(a->index.media_type, sizeof(a->index.media_type), "%s", OCI_MT_INDEX);
		if (oci_index_pick(man, &d, why, sizeof(why))) {
			e = rerr_set(err, -ENOEXEC, "%s: no linux/%s manifest found in image index (it has %s)", name,
				     oci_host_arch(), why[0] ? why : "no entries");
			goto fail;
		}
		cJSON_Delete(man);
		man = NULL;
		free(a->manifest_json);
		a->manifest_json = NULL;
	}
	a->manifest = d;
	/* a manifest body's mediaType, when present, is what it was sent as */
	if (!a->manifest.media_type[0])
		snprintf(a->manifest.media_type, sizeof(a->manifest.media_type), "%s", OCI_MT_MANIFEST);
	cd = cJSON_GetObjectItemCaseSensitive(man, "config");
	if (oci_desc_from_json(cd, &a->config)) {
		e = rerr_set(err, -EBADMSG, "%s: the manifest has no valid config descriptor", name);
		goto fail;
	}
	if (strcmp(a->config.media_type, OCI_MT_CONFIG)) {
		e = not_a_probe(man, cd, name, err);
		goto fail;
	}
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(man, "layers")) {
		struct oci_desc ld;

		/* by media type, not by title: oras-pushed artifacts have none */
		if (oci_desc_from_json(l, &ld) || strcmp(ld.media_type, OCI_MT_PROGRAM))
			continue;
		if (!n_prog++)
			a->program = ld;
	}
	if (n_prog != 1) {
		e = rerr_set(err, -EBADMSG, "%s: %s program layers (%s): an ebpfctl artifact has exactly one", name,
			     n_prog ? "several" : "no", OCI_MT_PROGRAM);
		goto fail;
	}
	if (a->program.size > OCI_MAX_PROGRAM) {
		e = rerr_set(err, -EFBIG, "%s: program layer of %llu bytes (at most %u MiB)", name,
			     (unsigned long long)a->program.size, OCI_MAX_PROGRAM >> 20);
		goto fail;
	}
	e = read_json_blob(src, &a->config, OCI_MAX_CONFIG, &a->config_json, &cfg, name, "config", err);
	if (e)
		goto fail;
	fv = cJSON_GetObjectItemCaseSensitive(cfg, "formatVersion");
	if (fv && (!cJSON_IsNumber(fv) || fv->valuedouble < 0 || fv->valuedouble > 1e6 ||
		   fv->valuedouble != (int)fv->valuedouble)) {
		e = rerr_set(err, -EBADMSG, "%s: config formatVersion is not a whole number", name);
		goto fail;
	}
	a->format = fv ? (int)fv->valuedouble : 0;
	arch = cJSON_GetObjectItemCaseSensitive(cfg, "architecture");
	if (cJSON_IsString(arch))
		snprintf(a->arch, sizeof(a->arch), "%s", arch->valuestring);
	if (a->format > OCI_FORMAT_VERSION) {
		e = rerr_set(err, -EPROTONOSUPPORT, "%s: config format version %d is newer than this ebpfctl reads (%d)",
			     name, a->format, OCI_FORMAT_VERSION);
		rerr_hint(err, "upgrade ebpfctl to run this probe");
		goto fail;
	}
	e = src->get(src->ctx, &a->program, OCI_MAX_PROGRAM, &prog, &prog_len, err);
	if (e)
		goto fail;
	free(prog);
	cJSON_Delete(man);
	cJSON_Delete(cfg);
	return 0;
fail:
	cJSON_Delete(man);
	cJSON_Delete(cfg);
	oci_artifact_free(a);
	return e;
}

static int store_get(void *ctx, const struct oci_desc *d, size_t max, void **buf, size_t *len, struct rerr *err)
{
	return oci_store_get(ctx, d->digest, d->size, max, buf, len, err);
}

int oci_artifact_open(struct oci_store *st, const char *name, struct oci_artifact *a, struct rerr *err)
{
	struct oci_src src = { store_get, st };
	const char *at = strchr(name, '@');
	struct oci_desc d;

	if (oci_store_lookup(st, name, &d)) {
		/* NAME@DIGEST: the digest decides, named or not */
		if (!at || !oci_store_has(st, at + 1)) {
			memset(a, 0, sizeof(*a));
			return rerr_set(err, -ENOENT, "%s: not in the store", name);
		}
		memset(&d, 0, sizeof(d));
		strcpy(d.digest, at + 1);
		d.size = UINT64_MAX;
	}
	return oci_artifact_read(&src, name, &d, a, err);
}

void oci_artifact_free(struct oci_artifact *a)
{
	free(a->manifest_json);
	free(a->config_json);
	a->manifest_json = a->config_json = NULL;
}

/* the running kernel's version, for "needs >= X" messages */
static const char *kernel_version(struct utsname *u)
{
	return uname(u) ? "?" : u->release;
}

static int check_types(const cJSON *req, const char *key, bool prog, const char *min_kernel, const char *name,
		       struct rerr *err)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(req, key)) {
		const char *want = cJSON_GetStringValue(e);
		struct utsname u;
		int r = -1;

		if (!want)
			continue;
		/* a name this libbpf does not know is left to the loader */
		for (int t = 1; t < 64; t++) {
			const char *s = prog ? libbpf_bpf_prog_type_str(t) : libbpf_bpf_map_type_str(t);

			if (s && !strcmp(s, want)) {
				r = prog ? libbpf_probe_bpf_prog_type(t, NULL) : libbpf_probe_bpf_map_type(t, NULL);
				break;
			}
		}
		/* r < 0: the probe itself failed (no privileges): the load will say */
		if (r == 0)
			return rerr_set(err, -EOPNOTSUPP, "%s: %s type %s not supported by this kernel (%s; the probe expects >= %s)",
					name, prog ? "program" : "map", want, kernel_version(&u),
					min_kernel ? min_kernel : "?");
	}
	return 0;
}

int oci_artifact_check(struct oci_store *st, const struct oci_artifact *a, const char *host_root,
		       const char *btf_path, struct rerr *err)
{
	const char *name = a->name, *why, *min;
	char vmlinux[4096], path[4096];
	unsigned char hdr[sizeof(Elf64_Ehdr)];
	const cJSON *req;
	ssize_t len;
	int fd;
	cJSON *cfg;
	int e;

	if (a->arch[0] && strcmp(a->arch, oci_host_arch()))
		return rerr_set(err, -ENOEXEC, "%s: built for %s, this machine is %s", name, a->arch, oci_host_arch());
	/* oci_artifact_open verified the whole blob: the header is enough here */
	oci_store_blob_path(st, a->program.digest, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	len = fd >= 0 ? read(fd, hdr, sizeof(hdr)) : -1;
	if (fd >= 0)
		close(fd);
	if (len < 0)
		return rerr_set(err, -errno, "%s: %s: %s", name, path, strerror(errno));
	why = elf_header_problem(hdr, (size_t)len);
	if (why)
		return rerr_set(err, -ENOEXEC, "%s: program layer: %s", name, why);
	cfg = cJSON_Parse(a->config_json);
	req = cJSON_GetObjectItemCaseSensitive(cfg, "requires");
	min = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "minKernel"));
	/* bumblebee: "a BTF enabled kernel is required" */
	if (!btf_path && (a->format == 0 || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "kernelBTF")))) {
		snprintf(vmlinux, sizeof(vmlinux), "%s/sys/kernel/btf/vmlinux",
			 host_root && strcmp(host_root, "/") ? host_root : "");
		if (access(vmlinux, R_OK)) {
			e = rerr_set(err, -ENOENT, "%s: needs the kernel's BTF: %s: %s", name, vmlinux, strerror(errno));
			rerr_hint(err, "pass --btf FILE (this kernel's BTF, e.g. from btfhub)");
			cJSON_Delete(cfg);
			return e;
		}
	}
	e = check_types(req, "progTypes", true, min, name, err);
	if (!e)
		e = check_types(req, "mapTypes", false, min, name, err);
	cJSON_Delete(cfg);
	return e;
}
