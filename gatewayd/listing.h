/* SPDX-License-Identifier: ISC */
/* The control socket's listings and metrics, from read-only views. */
#ifndef SPA_LISTING_H
#define SPA_LISTING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "agentdb.h"
#include "audit.h"
#include "hist.h"
#include "keycache.h"
#include "openings.h"
#include "policy.h"
#include "replay.h"

/* What the listings read; policy and agents may be NULL (nothing loaded). */
struct listing_view {
	const struct policy *policy;
	const struct agentdb *agents;
	const struct openings *open;
	const struct keycache *keys;
	const struct replay *replay;
	const struct audit *audit;
	const struct hist *opened;	/* knock arrival to commit */
};

/* Live openings: "AGENT SOURCE RESOURCE DESTINATION PROTO/PORTS
 * SECONDS_LEFT" per line, after a header line. */
void listing_openings(const struct listing_view *v, FILE *f, uint64_t now_ms);

/* "NAME OPENINGS" per line, for agents that hold live openings. */
void listing_agents(const struct listing_view *v, FILE *f, uint64_t now_ms);

/* The counters and gauges in Prometheus text format. */
void listing_metrics(const struct listing_view *v, FILE *f);

#endif
