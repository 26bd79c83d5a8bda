// SPDX-License-Identifier: MIT
/*
 * The scrape floor: read every entry of a live hash map with
 * BPF_MAP_LOOKUP_BATCH (1024 per call) and nothing else - no rendering.
 *
 *   batchread MAP_ID [ROUNDS]   prints "entries N ns T" per round
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), batch = 1024;
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: batchread MAP_ID [ROUNDS]\n");
		return 64;
	}
	fd = bpf_map_get_fd_by_id((uint32_t)strtoul(argv[1], NULL, 10));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("map");
		return 1;
	}
	char *keys = malloc((size_t)info.key_size * batch);
	char *vals = malloc((size_t)info.value_size * batch);

	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns(), total = 0;
		char in[8], out[8];
		void *inp = NULL;

		for (;;) {
			uint32_t count = batch;
			int e = bpf_map_lookup_batch(fd, inp, out, keys, vals, &count, NULL);

			e = e ? -errno : 0;
			total += count;
			if (e == -ENOENT)
				break;
			if (e) {
				fprintf(stderr, "lookup_batch: %s\n", strerror(-e));
				return 1;
			}
			memcpy(in, out, sizeof(in));
			inp = in;
		}
		printf("entries %llu ns %llu\n", (unsigned long long)total, (unsigned long long)(now_ns() - t0));
	}
	return 0;
}
