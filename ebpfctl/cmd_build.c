// SPDX-License-Identifier: MIT
/* Placeholder until `ebpfctl build` lands (issue 4). */
#include "cli.h"

int cmd_build(int argc, char **argv)
{
	return cli_usage_error("build: not implemented yet");
}
