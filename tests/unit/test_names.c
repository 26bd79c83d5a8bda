// SPDX-License-Identifier: MIT
/*
 * Tests for runner/names.c: users from <host_root>/etc/passwd (first entry
 * of a uid wins, malformed lines skipped, a changed file read again after a
 * miss), cgroup ids from a cgroup v2 tree found through
 * <host_root>/proc/1/mounts (here a directory tree on the test's own file
 * system: file handles do not work there, so the walk is what names them,
 * and a directory made later is found on its first miss), interface names
 * (lo) and kernel symbols from a fake kallsyms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *rel)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static uint64_t ino(const char *rel)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int setup(void **state)
{

	snprintf(root, sizeof(root), "/tmp/ebpfctl-test-names-XXXXXX");
	assert_non_null(mkdtemp(root));
	mk("etc");
	mk("proc");
	mk("proc/1");
	mk("cg");
	mk("cg/system.slice");
	mk("cg/system.slice/a b.service");
	put("proc/1/mounts", "sysfs /sys sysfs rw 0 0\ncgroup2 /cg cgroup2 rw,nosuid 0 0\n");
	put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
			  "toor:x:0:0:second root:/root:/bin/sh\n"
			  "# comment\n"
			  "broken\n"
			  ":x:5:5::/:/bin/sh\n"
			  "bad:x:notanumber:1::/:/bin/sh\n"
			  "big:x:99999999999:1::/:/bin/sh\n"
			  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	put("proc/kallsyms", "ffffffff81000000 T _stext\n"
			     "ffffffff81000100 T vfs_read\n"
			     "ffffffff81000200 t helper [mod]\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *name(struct names *n, enum names_kind k, uint64_t v)
{
	static char buf[1024];

	return names_lookup(n, k, v, buf, sizeof(buf)) ? buf : NULL;
}

static void test_users(void **state)
{
	struct names *n;

	assert_int_equal(names_new(root, &n), 0);
	assert_string_equal(name(n, NAMES_USER, 0), "root");	/* the first entry of a uid */
	assert_string_equal(name(n, NAMES_USER, 65534), "nobody");
	assert_null(name(n, NAMES_USER, 5));			/* an empty name is no name */
	assert_null(name(n, NAMES_USER, 1000));
	/* a user added later: found on a miss once a second has passed since the last load */
	put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
	assert_null(name(n, NAMES_USER, 1000));			/* within the second: not again */
	sleep(1);
	usleep(100000);
	assert_string_equal(name(n, NAMES_USER, 1000), "alice");
	assert_null(name(n, NAMES_USER, 65534));		/* gone with the new file */
	/* truncated to the buffer */
	{
		char small[4];

		assert_int_equal(names_lookup(n, NAMES_USER, 1000, small, sizeof(small)), 3);
		assert_string_equal(small, "ali");
	}
	names_free(n);
}

static void test_cgroups(void **state)
{
	struct names *n;

	assert_int_equal(names_new(root, &n), 0);
	assert_string_equal(name(n, NAMES_CGROUP, ino("cg")), "/");
	assert_string_equal(name(n, NAMES_CGROUP, ino("cg/system.slice")), "/system.slice");
	assert_string_equal(name(n, NAMES_CGROUP, ino("cg/system.slice/a b.service")), "/system.slice/a b.service");
	assert_null(name(n, NAMES_CGROUP, ino("etc")));		/* outside the hierarchy */
	/* made later: a miss walks again (at most once a second) */
	mk("cg/new.scope");
	sleep(1);
	usleep(100000);
	assert_string_equal(name(n, NAMES_CGROUP, ino("cg/new.scope")), "/new.scope");
	names_free(n);
}

static void test_no_cgroup2(void **state)
{
	struct names *n;

	put("proc/1/mounts", "sysfs /sys sysfs rw 0 0\n");
	assert_int_equal(names_new(root, &n), 0);
	assert_null(name(n, NAMES_CGROUP, ino("cg")));
	names_free(n);
	put("proc/1/mounts", "sysfs /sys sysfs rw 0 0\ncgroup2 /cg cgroup2 rw,nosuid 0 0\n");
}

static void test_ifindex_and_ksym(void **state)
{
	struct names *n;
	unsigned int lo = if_nametoindex("lo");

	assert_int_equal(names_new(root, &n), 0);
	if (lo)
		assert_string_equal(name(n, NAMES_IFINDEX, lo), "lo");
	assert_null(name(n, NAMES_IFINDEX, 0));
	assert_null(name(n, NAMES_IFINDEX, 0x7fffffff));
	assert_string_equal(name(n, NAMES_KSYM, 0xffffffff81000110ULL), "vfs_read+0x10");
	assert_string_equal(name(n, NAMES_KSYM, 0xffffffff81000100ULL), "vfs_read");
	assert_string_equal(name(n, NAMES_KSYM, 0xffffffff81000208ULL), "helper+0x8 [mod]");
	/* below every symbol: hex, still a name */
	assert_string_equal(name(n, NAMES_KSYM, 0x10), "0x10");
	names_free(n);
	/* the callback the formatter uses: no context, no name */
	{
		char buf[8];

		assert_int_equal(names_resolve(NULL, NAMES_USER, 0, buf, sizeof(buf)), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_no_cgroup2),
		cmocka_unit_test(test_ifindex_and_ksym),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
