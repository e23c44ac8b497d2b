/* SPDX-License-Identifier: ISC */
/* Reloads: configuration applied all or nothing, the old kept on error. */
#ifndef SPA_RELOAD_H
#define SPA_RELOAD_H

#include "daemon_int.h"

/* Load policy and agents at start; both or neither are taken. 0 or -1. */
int reload_rules(struct daemon *d);

/* Re-read agents.d; a bad set is refused and the old one stays. */
void reload_agents(struct daemon *d);

/* Re-read gateway.ini, policy.ini and agents.d; all or nothing. 0 or -1. */
int reload_all(struct daemon *d);

#endif
