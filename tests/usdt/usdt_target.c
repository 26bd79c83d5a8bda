// SPDX-License-Identifier: MIT
/* A process with USDT probes for tests/bpf/at_usdt.bpf.c: one line on stdin
 * fires ebpfctl_test:tick once with (the line's number, that number * 1000);
 * end of input ends it.  Built with <sys/sdt.h> (systemtap-sdt-dev). */
#include <stdio.h>
#include <sys/sdt.h>

int main(void)
{
	char line[64];
	long n = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	puts("ready");
	while (fgets(line, sizeof(line), stdin)) {
		n++;
		DTRACE_PROBE2(ebpfctl_test, tick, n, n * 1000);
		printf("fired %ld\n", n);
	}
	return 0;
}
