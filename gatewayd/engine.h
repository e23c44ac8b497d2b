/* SPDX-License-Identifier: ISC */
/* The knock pipeline: a datagram checked cheapest first, then handed on. */
#ifndef SPA_ENGINE_H
#define SPA_ENGINE_H

/*
 * Steps 2-6 of PROTOCOL.md here (header, key id, time, replay, source
 * rate); 7-8 in the verifier; 9-10 in grant; 11-12 in batch. The engine
 * owns the state of the pipeline and hands each module only what it works
 * on: reconcile after a reload or revocation, warm for the knock keys
 * derived ahead, listing for the control socket's read-only views.
 */

#include <stdint.h>

#include "agent.h"
#include "agentdb.h"
#include "audit.h"
#include "capture.h"
#include "config.h"
#include "fw.h"
#include "listing.h"
#include "policy.h"
#include "replay.h"

struct engine;

/* The engine borrows cfg, fw (NULL: decide only), audit and replay. */
struct engine *engine_new(const struct gw_config *cfg,
    const uint8_t gw_sk[KEY_SK_LEN], const uint8_t gw_pk[KEY_PK_LEN],
    struct fw *fw, struct audit *audit, struct replay *replay);
void engine_free(struct engine *g);

/* Take ownership of a new policy; live openings it no longer allows are
 * deleted. */
void engine_set_policy(struct engine *g, struct policy *p, uint64_t now_ms);

/* Take ownership of a new agent set; openings of agents that are gone,
 * revoked or expired are deleted, and their knock keys wiped. */
void engine_set_agents(struct engine *g, struct agentdb *db, uint64_t now_ms);

/* Delete all live openings of agent NAME in one batch; with kill also cut
 * the connections they let in. The number of connections cut, or -1 if NAME
 * is unknown. */
long engine_revoke(struct engine *g, const char *name, int kill, uint64_t now_ms);

/* Read-only views of the pipeline's state, for listings and metrics; valid
 * until the next call that changes the engine. */
void engine_view(const struct engine *g, struct listing_view *v);

/* Verify on n worker threads (0, the default: on the loop, so every
 * decision is made before engine_handle returns). Call before any knock. */
int engine_set_threads(struct engine *g, int n);

/* Derive agents' knock keys ahead of their first knock (on by default; a
 * no-op without workers; paused while engine_tick sees a flood). */
void engine_set_warm(struct engine *g, int on);

#define ENGINE_PENDING (-1)

/* Handle one captured datagram. Without worker threads the decision is made
 * (and committed) before it returns, and it returns the reason. With
 * workers it returns ENGINE_PENDING for a knock that passed the cheap
 * checks: call engine_drain after a burst of packets. */
int engine_handle(struct engine *g, const struct knock_pkt *k, uint64_t now_ms);

/* Readable when workers finished checks (-1 without workers); then call
 * engine_drain, which decides them, commits the grants in one firewall
 * batch and writes their audit lines (returning the last reason). */
int engine_fd(const struct engine *g);
int engine_drain(struct engine *g, uint64_t now_ms);

/* Housekeeping, every 100 ms or so: a step of the sweep of expired
 * openings and of the warm-up; the audit log's summary of suppressed lines
 * once a second. */
void engine_tick(struct engine *g, uint64_t now_ms);

#endif
