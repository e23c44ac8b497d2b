/* SPDX-License-Identifier: ISC */
/* Knock keys derived ahead of first knocks, after each start and reload. */
#ifndef SPA_WARM_H
#define SPA_WARM_H

/*
 * A pass looks at every agent of the set in force; each usable agent whose
 * knock key is not cached yet is handed to the verifier's warm-up thread,
 * which derives it on CPU time nothing else wants, a bounded number in
 * flight. A pass ends when every agent has been looked at and every job
 * collected; its end is logged if it derived any.
 */

#include <stdint.h>

#include "agent.h"
#include "agentdb.h"
#include "keycache.h"
#include "verifier.h"

struct warm;

/* On by default; NULL if memory runs out. */
struct warm *warm_new(void);
void warm_free(struct warm *w);

/* Off: no new job is handed out (those in flight are still collected). */
void warm_set(struct warm *w, int on);

/* A new pass from the first agent: after the agent set changed (restart
 * 0), or after the verifier was replaced and its jobs went with it
 * (restart 1: nothing is in flight any more). */
void warm_restart(struct warm *w, int jobs_gone);

/* Hand out the next jobs (at most 1,024 agents looked at a call), unless
 * paused: a loud housekeeping tick (a flood) pauses the warm-up until a
 * quieter one, since its thread would take what CPU the flood leaves and
 * first knocks derive their keys anyway. */
void warm_step(struct warm *w, struct verifier *v, struct keycache *kc,
    const struct agentdb *agents, uint64_t now_ms);
void warm_pause(struct warm *w, int loud);

/* A warm-up job back from the verifier: its key is cached if the agent still
 * has that public key (the agents may have been reloaded meanwhile) and its
 * first knock did not come first. */
void warm_collect(struct warm *w, struct keycache *kc,
    const struct agentdb *agents, const struct verify_job *j);

#endif
