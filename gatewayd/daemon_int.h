#ifndef SPA_DAEMON_INT_H
#define SPA_DAEMON_INT_H

/* Inside spa-gatewayd: the daemon's state, shared by daemon.c (start, loop,
 * privilege separation) and reload.c (reloads and the control socket). */

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

/* Load policy and agents at start; both or neither are taken. 0 or -1. */
int daemon_load_rules(struct daemon *d);

/* Re-read agents.d; a bad set is refused and the old one stays. */
void daemon_reload_agents(struct daemon *d);

/* Re-read gateway.ini, policy.ini and agents.d; all or nothing. 0 or -1. */
int daemon_reload_all(struct daemon *d);

/* Serve every pending client of the control socket. */
void daemon_accept_control(struct daemon *d);

#endif
