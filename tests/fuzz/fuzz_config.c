/* SPDX-License-Identifier: ISC */
/* Fuzz target: gateway.ini (gatewayd/config.c). */
/*
 * gateway.ini (gatewayd/config.c): the input is written to
 * TMPDIR/gateway.ini and config_load(TMPDIR) parses it. Oracle: a loaded
 * config is complete.
 */
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_config c;

	fuzz_write("gateway.ini", data, size, 0644);
	if (config_load(fuzz_tmpdir(), &c) != 0) {
		fuzz_sink = 0;
		return 0;
	}
	if (c.nifaces < 1 || c.nifaces > CONFIG_MAX_IFACES ||
	    c.nallow > CONFIG_MAX_ALLOW || c.port == 0 || c.clock_skew == 0 ||
	    c.table[0] == '\0' || c.policy[0] == '\0' || c.control[0] == '\0')
		fuzz_fail("config_load accepted an incomplete config");
	fuzz_sink = c.nifaces + c.nallow + c.port + strlen(c.table) +
	    strlen(c.address) + strlen(c.user) + strlen(c.identity) +
	    strlen(c.agents) + strlen(c.state) + strlen(c.audit);
	return 0;
}
