/* SPDX-License-Identifier: ISC */
/* Live state brought in line with the agents and policy in force. */
#ifndef SPA_RECONCILE_H
#define SPA_RECONCILE_H

/*
 * After a reload or a revocation: openings that the new agents or policy no
 * longer allow are deleted from the firewall (fw NULL: the index only), and
 * the knock keys of agents that can no longer knock are wiped. Each takes
 * only the state it works on.
 */

#include <stdint.h>

#include "agent.h"
#include "agentdb.h"
#include "fw.h"
#include "keycache.h"
#include "openings.h"
#include "policy.h"

/* End agent id's openings. Without kill they stay in the index, expired, so
 * that a later revocation with kill still finds the connections they let
 * in; with kill, the connections of every opening still indexed (live or
 * recently ended) are cut. The number of connections cut, or -1 (reported). */
long reconcile_agent(struct openings *o, struct fw *fw,
    const uint8_t id[KEY_ID_LEN], int kill, uint64_t now_ms);

/* End the openings of every agent of old that is gone from, revoked in or
 * expired in agents. */
void reconcile_agents(struct openings *o, struct fw *fw,
    const struct agentdb *old, const struct agentdb *agents, uint64_t now_ms);

/* End every live opening that policy p no longer grants its agent. */
void reconcile_policy(struct openings *o, struct fw *fw, const struct policy *p,
    const struct agentdb *agents, uint64_t now_ms);

/* Wipe the knock keys of agents gone, revoked, expired or re-keyed, so that
 * agents that come and go do not pile up in memory. */
void reconcile_keys(struct keycache *kc, const struct agentdb *agents,
    uint64_t now_ms);

/* The resource of p that an opening was made for, or -1. */
int reconcile_resource(const struct policy *p, const struct fw_elem *e);

#endif
