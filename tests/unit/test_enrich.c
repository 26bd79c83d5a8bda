// SPDX-License-Identifier: MIT
/*
 * Tests for runner/enrich.c: container id, runtime and pod UID from every
 * cgroup layout of docker, podman, containerd, CRI-O and the kubelet
 * (systemd and cgroupfs drivers), table-driven; names from each runtime's
 * files under a temporary host root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enrich.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "2c6b8f3e-1d4a-4c5e-9f0a-7b8c9d0e1f2a"
#define UID_ "2c6b8f3e_1d4a_4c5e_9f0a_7b8c9d0e1f2a"

static void test_paths(void **state)
{
	static const struct {
		const char *path, *id, *runtime, *pod_uid;
	} cases[] = {
		/* docker: systemd and cgroupfs drivers */
		{ "/system.slice/docker-" ID ".scope", ID, "docker", "" },
		{ "/docker/" ID, ID, "docker", "" },
		/* a container running systemd: its own sub-cgroups stay the container's */
		{ "/system.slice/docker-" ID ".scope/init.scope", ID, "docker", "" },
		/* podman: rootful systemd, rootless, cgroupfs; conmon is not the container */
		{ "/machine.slice/libpod-" ID ".scope", ID, "podman", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", ID, "podman", "" },
		{ "/libpod_parent/libpod-" ID, ID, "podman", "" },
		{ "/machine.slice/libpod-conmon-" ID ".scope", NULL, NULL, NULL },
		/* kubelet, systemd driver: containerd and CRI-O, every QoS class */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID
		  ".scope", ID, "containerd", UID },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" ID ".scope", ID,
		  "cri-o", UID },
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope", ID, "containerd", UID },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID ".scope",
		  NULL, NULL, NULL },
		/* kubelet, cgroupfs driver: the runtime is known from its files only */
		{ "/kubepods/besteffort/pod" UID "/" ID, ID, "", UID },
		{ "/kubepods/pod" UID "/" ID, ID, "", UID },
		{ "/kubepods/burstable/pod" UID "/" ID2, ID2, "", UID },
		/* kind / k3s style: a node's cgroup first */
		{ "/system.slice/containerd.service/kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" ID, NULL, NULL,
		  NULL },
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod"
		  UID_ ".slice/cri-containerd-" ID ".scope", ID, "containerd", UID },
		/* not containers */
		{ "/", NULL, NULL, NULL },
		{ "/system.slice/ssh.service", NULL, NULL, NULL },
		{ "/user.slice/user-1000.slice/session-3.scope", NULL, NULL, NULL },
		{ "/kubepods.slice/kubepods-besteffort.slice", NULL, NULL, NULL },
		{ "/docker/notanid", NULL, NULL, NULL },
		{ "/somewhere/" ID, NULL, NULL, NULL },	/* a bare id outside docker/ and a pod */
		{ "/system.slice/docker-.scope", NULL, NULL, NULL },
		{ "", NULL, NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enrich_info ci;
		bool got = enrich_parse_path(cases[i].path, &ci);

		if (got != !!cases[i].id) {
			print_error("case %zu %s: %s\n", i, cases[i].path, got ? ci.id : "no container");
			fail();
		}
		if (!got) {
			assert_string_equal(ci.id, "");
			continue;
		}
		assert_string_equal(ci.id, cases[i].id);
		assert_string_equal(ci.runtime, cases[i].runtime);
		if (strcmp(ci.pod_uid, cases[i].pod_uid)) {
			print_error("case %zu %s: pod uid %s\n", i, cases[i].path, ci.pod_uid);
			fail();
		}
	}
}

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX + 256], cmd[PATH_MAX + 300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_bundles(void **state)
{
	struct enrich_info ci;
	char cmd[PATH_MAX + 16];

	snprintf(root, sizeof(root), "/tmp/ebpfctl-test-enrich-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* containerd (CRI) */
	put("run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID "/config.json",
	    "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	    "\"io.kubernetes.cri.container-name\":\"web\",\"io.kubernetes.cri.sandbox-name\":\"web-7d9c\","
	    "\"io.kubernetes.cri.sandbox-namespace\":\"shop\"}}");
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.id, ID);
	assert_int_equal(enrich_read_bundle(root, &ci), 0);
	assert_string_equal(ci.name, "web");
	assert_string_equal(ci.pod, "web-7d9c");
	assert_string_equal(ci.ns, "shop");
	assert_string_equal(ci.runtime, "containerd");
	/* CRI-O: the kubelet's annotation names */
	put("run/containers/storage/overlay-containers/" ID2 "/userdata/config.json",
	    "{\"annotations\":{\"io.kubernetes.container.name\":\"db\",\"io.kubernetes.pod.name\":\"db-0\","
	    "\"io.kubernetes.pod.namespace\":\"data\"}}");
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.id, ID2);
	assert_int_equal(enrich_read_bundle(root, &ci), 0);
	assert_string_equal(ci.name, "db");
	assert_string_equal(ci.pod, "db-0");
	assert_string_equal(ci.ns, "data");
	assert_string_equal(ci.runtime, "cri-o");
	/* podman: no annotations, the name from containers.json; the runtime from the path stays */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/run'", root);
	assert_int_equal(system(cmd), 0);
	put("var/lib/containers/storage/overlay-containers/" ID "/userdata/config.json",
	    "{\"annotations\":{\"io.container.manager\":\"libpod\"}}");
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID2 "\",\"names\":[\"other\"]},{\"id\":\"" ID "\",\"names\":[\"enrich-probe\"]}]");
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.id, ID);
	strcpy(ci.runtime, "podman");
	assert_int_equal(enrich_read_bundle(root, &ci), 0);
	assert_string_equal(ci.name, "enrich-probe");
	assert_string_equal(ci.pod, "");
	assert_string_equal(ci.runtime, "podman");
	/* docker: config.v2.json's Name and dockershim's labels */
	put("var/lib/docker/containers/" ID2 "/config.v2.json",
	    "{\"Name\":\"/k8s_app_pod-x_ns-y_uid_0\",\"Config\":{\"Labels\":{\"io.kubernetes.container.name\":\"app\","
	    "\"io.kubernetes.pod.name\":\"pod-x\",\"io.kubernetes.pod.namespace\":\"ns-y\"}}}");
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.id, ID2);
	assert_int_equal(enrich_read_bundle(root, &ci), 0);
	assert_string_equal(ci.name, "app");
	assert_string_equal(ci.pod, "pod-x");
	assert_string_equal(ci.ns, "ns-y");
	/* nothing for an unknown id, a malformed file, or an id that is a path */
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.id, "00ff");
	assert_int_equal(enrich_read_bundle(root, &ci), -ENOENT);
	put("var/lib/docker/containers/00ff/config.v2.json", "{not json");
	assert_int_equal(enrich_read_bundle(root, &ci), -ENOENT);
	strcpy(ci.id, "../../../etc");
	assert_int_equal(enrich_read_bundle(root, &ci), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_bundles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
