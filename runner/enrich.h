/* SPDX-License-Identifier: MIT */
/* --enrich (DESIGN.md section 14): which container and pod a cgroup id is.
 *
 * From the cgroup's path (runner/names.c names the id) come the container
 * id, the runtime and, under the kubelet's kubepods hierarchy, the pod's
 * UID: the systemd and cgroupfs layouts of docker, podman (libpod),
 * containerd (cri-containerd), CRI-O (crio) and the kubelet (spec/metrics.md,
 * "Container context", lists every pattern).  From the runtime's own files
 * under --host-root come the names, with no API server:
 * - containerd: run/containerd/io.containerd.runtime.v2.task/NS/ID/config.json
 *   (the OCI bundle; CRI annotations io.kubernetes.cri.container-name,
 *   io.kubernetes.cri.sandbox-name, io.kubernetes.cri.sandbox-namespace);
 * - CRI-O and podman (containers/storage): {run,var/lib}/containers/storage/
 *   overlay-containers/ID/userdata/config.json (annotations
 *   io.kubernetes.container.name, io.kubernetes.pod.name,
 *   io.kubernetes.pod.namespace), else the storage's containers.json names;
 * - docker: var/lib/docker/containers/ID/config.v2.json ("Name", and the
 *   io.kubernetes.* labels dockershim set).
 * A cgroup that is no container's has no info.  Answers are cached per
 * cgroup id (ids are never reused) in 4096 slots (a colliding id evicts);
 * a container whose files could not be read yet (still starting) is asked
 * again after a second.  A lookup reads at most a few small files; nothing
 * blocks on the network.  Thread-safe.  The library never prints. */
#ifndef EBPFCTL_ENRICH_H
#define EBPFCTL_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct names;

#define ENRICH_ID_MAX 128
#define ENRICH_NAME_MAX 254	/* Kubernetes names are at most 253 bytes */

/* The four fields' names, in order: JSON keys and label names. */
extern const char *const enrich_field_names[4];

struct enrich_info {
	char id[ENRICH_ID_MAX];		/* "" when the cgroup is no container's */
	char runtime[16];		/* docker, podman, containerd, cri-o */
	char pod_uid[64];		/* from a kubepods path, "" otherwise */
	char name[ENRICH_NAME_MAX];	/* container name, "" when unknown */
	char pod[ENRICH_NAME_MAX];
	char ns[ENRICH_NAME_MAX];
};

/* The container a cgroup path (relative to the cgroup v2 root) names: id,
 * runtime, pod_uid filled, the names left empty.  True when it names one.
 * A conmon cgroup (libpod-conmon-ID, crio-conmon-ID) is not the container. */
bool enrich_parse_path(const char *path, struct enrich_info *out);

/* Names of container id from the runtime's files under host_root
 * ("" or NULL: "/"): fills name, pod, ns where found.  0, or -ENOENT when
 * no runtime file has the id. */
int enrich_read_bundle(const char *host_root, struct enrich_info *info);

struct enrich;

int enrich_new(const char *host_root, struct names *names, struct enrich **out);
void enrich_free(struct enrich *e);
/* The container info of cgroup id into *out; false when it is no
 * container's (or its path is unknown). */
bool enrich_lookup(struct enrich *e, uint64_t cgroup_id, struct enrich_info *out);

/* The formatter's callbacks (fmt_set_enricher): ctx is a struct enrich.
 * enrich_json writes an event's fields, ,"container_id":"...",... (JSON,
 * escaped, rendered once per container), if they fit in room; 0 for a
 * cgroup that is no container's. */
bool enrich_resolve(void *ctx, uint64_t cgroup_id, struct enrich_info *out);
size_t enrich_json(void *ctx, uint64_t cgroup_id, char *w, size_t room);

#endif
