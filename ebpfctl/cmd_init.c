// SPDX-License-Identifier: MIT
/* Placeholder until `ebpfctl init` lands (issue 4). */
#include "cli.h"

int cmd_init(int argc, char **argv)
{
	return cli_usage_error("init: not implemented yet");
}
