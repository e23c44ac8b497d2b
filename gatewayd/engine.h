#ifndef SPA_ENGINE_H
#define SPA_ENGINE_H

/*
 * The knock engine: checks a captured datagram cheapest first (DESIGN.md),
 * decides, opens the firewall and writes the audit record.
 */

#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "audit.h"
#include "capture.h"
#include "config.h"
#include "fw.h"
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
 * revoked or expired are deleted. */
void engine_set_agents(struct engine *g, struct agentdb *db, uint64_t now_ms);

/* Delete all live openings of agent NAME in one batch; with kill also cut
 * the connections they let in. The number of connections cut, or -1 if NAME
 * is unknown. */
long engine_revoke(struct engine *g, const char *name, int kill, uint64_t now_ms);

/* Control-socket listings: live openings, agents holding openings, and the
 * counters in Prometheus text format. */
void engine_write_openings(struct engine *g, FILE *f, uint64_t now_ms);
void engine_write_agents(struct engine *g, FILE *f, uint64_t now_ms);
void engine_write_metrics(struct engine *g, FILE *f);

/* Verify signatures on n worker threads (0, the default: inline, so every
 * decision is made before engine_handle returns). Call before any knock. */
int engine_set_threads(struct engine *g, int n);

#define ENGINE_PENDING (-1)

/* Handle one captured datagram. Without worker threads the decision is made
 * (and committed) before it returns, and it returns the reason. With
 * workers it returns ENGINE_PENDING for a knock that passed the cheap
 * checks: call engine_drain after a burst of packets. */
int engine_handle(struct engine *g, const struct knock_pkt *k, uint64_t now_ms);

/* Derive agents' knock keys ahead of their first knock, on a thread that
 * runs only on idle CPU time, after every start and reload (on by default;
 * a no-op without workers; paused while engine_tick sees a flood).
 * Continued by engine_drain and engine_tick. */
void engine_set_warm(struct engine *g, int on);

/* May the loop verify the next knock itself when no worker is busy? Yes for
 * the first packet of a burst (latency), no for the rest (throughput). */
void engine_set_inline(struct engine *g, int may);

/* Readable when workers finished checks (-1 without workers); then call
 * engine_drain, which decides them, commits the grants in one firewall
 * batch and writes their audit lines (returning the last reason). */
int engine_fd(const struct engine *g);
int engine_drain(struct engine *g, uint64_t now_ms);

/* Housekeeping, every 100 ms or so: a step of the sweep of expired
 * openings; the audit log's summary of suppressed lines once a second. */
void engine_tick(struct engine *g, uint64_t now_ms);

#endif
