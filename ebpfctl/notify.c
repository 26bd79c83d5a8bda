// SPDX-License-Identifier: MIT
/* systemd readiness (Type=notify): READY=1 once every program is attached,
 * STOPPING=1 when the run ends.  libsystemd is optional at build time
 * (HAVE_LIBSYSTEMD); without it ebpfctl builds and never notifies. */
#include "cli.h"
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

void cli_notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	/* 0 without NOTIFY_SOCKET: not under systemd, nothing to do */
	sd_notify(0, state);
#else
	(void)state;
#endif
}
