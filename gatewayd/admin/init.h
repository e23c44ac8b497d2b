/* SPDX-License-Identifier: ISC */
#ifndef SPA_ADMIN_INIT_H
#define SPA_ADMIN_INIT_H

/* spa-admin init: the validated request, and the tree it becomes. */

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "config.h"
#include "keys.h"

struct init_params {
	/* absolute; short enough for DIR/control.sock to fit in sun_path */
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ifaces[CONFIG_MAX_IFACES * (IF_NAMESIZE + 2)];	/* "a, b" */
	uint16_t port;
	char address[256];
	char user[64];			/* "" : none */
	int chown_user;			/* root: hand files to user */
	uid_t uid;
	gid_t gid;
};

/*
 * Create the tree p describes: DIR, agents.d/, state/, identity.key, policy.ini
 * (kept if present) and gateway.ini, written last. On error, remove whatever
 * this call created. Fills pk with the new identity's public key. 0 or -1.
 */
int init_tree_create(const struct init_params *p, uint8_t pk[KEY_PK_LEN]);

#endif
