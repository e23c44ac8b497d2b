/* SPDX-License-Identifier: ISC */
/* Inside spa-gatewayd: the daemon's state, shared by daemon.c and reload.c. */
#ifndef SPA_DAEMON_INT_H
#define SPA_DAEMON_INT_H

#include "capture.h"
#include "config.h"
#include "engine.h"
#include "fw.h"

struct daemon {
	struct gw_config cfg;
	uint8_t *sk;			/* sodium_malloc'd identity */
	uint8_t pk[KEY_PK_LEN];
	struct nft *nft;
	struct fw fw;
	int priv_fd;			/* engine's end of the privsep socket */
	int sig_fd;			/* engine: signals relayed by the parent */
	struct audit *audit;
	struct replay *replay;
	struct engine *engine;
	struct capture *cap[CONFIG_MAX_IFACES];
	size_t ncap;
	int inotify;
	int control;
	const char *dir;
};

#endif
