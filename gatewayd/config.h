/* SPDX-License-Identifier: ISC */
#ifndef SPA_CONFIG_H
#define SPA_CONFIG_H

/*
 * gateway.ini, the daemon's settings, parsed once into a typed struct.
 *
 *   [gateway]
 *   interface = eth0            (comma-separated for several; required)
 *   port = 62201                (knock port, UDP)
 *   address = 192.0.2.1         (what credential files tell agents to knock at)
 *   clock_skew = 30             (seconds a knock's time may differ from ours)
 *   table = spa_gateway         (the nftables inet table the daemon owns)
 *   allow_other_address = no    (yes: a knock may name an address other than
 *                                its source, for agents behind NAT)
 *   user = spa-gateway          (unprivileged user for packet handling; optional)
 *
 *   [paths]                     (relative paths are relative to the config dir)
 *   identity = identity.key
 *   policy = policy.ini
 *   agents = agents.d
 *   state = state
 *   audit = audit.log
 *   control = control.sock
 *
 *   [firewall]
 *   allow = 192.0.2.0/24 tcp/22, 2001:db8::/32 tcp/22   (optional allow-list)
 */

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "fw.h"

#define CONFIG_MAX_IFACES 8
#define CONFIG_MAX_ALLOW 32
#define CONFIG_TABLE_MAX 32
#define CONFIG_DEFAULT_DIR "/etc/spa-gateway"
#define CONFIG_DEFAULT_PORT 62201

struct gw_config {
	char dir[PATH_MAX];
	char file[PATH_MAX];		/* DIR/gateway.ini */
	char ifaces[CONFIG_MAX_IFACES][IF_NAMESIZE];
	size_t nifaces;
	uint16_t port;
	char address[256];
	uint32_t clock_skew;		/* seconds */
	char table[CONFIG_TABLE_MAX];
	int allow_other_address;
	char user[64];			/* "" : stay as started */
	char identity[PATH_MAX];
	char policy[PATH_MAX];
	char agents[PATH_MAX];
	char state[PATH_MAX];
	char audit[PATH_MAX];
	char control[PATH_MAX];
	struct fw_allow allow[CONFIG_MAX_ALLOW];
	size_t nallow;
};

/* Load DIR/gateway.ini; 0 or -1 (reported with file and line). */
int config_load(const char *dir, struct gw_config *c);

/* The config dir: arg if given, else $SPA_CONFIG_DIR, else the default. */
const char *config_dir(const char *arg);

#endif
