/* SPDX-License-Identifier: ISC */
/* Knock keys derived ahead: passes over the agents, warm-up jobs. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "warm.h"

/* Agents looked at per call for a knock key to derive ahead (a short while
 * even when all are cached already, as after most reloads). */
#define WARM_SCAN 1024

struct warm {
	int on;				/* derive knock keys ahead (default) */
	int paused;			/* the last tick was loud */
	size_t next;			/* next agent to look at */
	size_t inflight;		/* jobs not collected yet */
	size_t done;			/* keys derived ahead in this pass */
	uint64_t t0_ms;			/* this pass's first job, 0: none yet */
};

struct warm *
warm_new(void)
{
	struct warm *w = calloc(1, sizeof(*w));

	if (w != NULL)
		w->on = 1;
	return w;
}

void
warm_free(struct warm *w)
{
	free(w);
}

void
warm_set(struct warm *w, int on)
{
	w->on = on;
}

void
warm_pause(struct warm *w, int loud)
{
	w->paused = loud;
}

void
warm_restart(struct warm *w, int jobs_gone)
{
	w->next = 0;
	if (jobs_gone) {
		w->inflight = 0;
		w->t0_ms = 0;
	}
}

void
warm_step(struct warm *w, struct verifier *v, struct keycache *kc,
    const struct agentdb *agents, uint64_t now_ms)
{
	size_t n = agents != NULL ? agentdb_count(agents) : 0;

	if (!w->on || w->paused)
		return;
	for (size_t k = 0; k < WARM_SCAN && w->next < n; k++) {
		const struct agent *a = agentdb_at(agents, w->next);

		if (agent_usable(a, now_ms) &&
		    keycache_find(kc, a->key_id, a->pk) == NULL) {
			if (verifier_warm(v, a->key_id, a->pk) != 0)
				break;		/* enough in flight: this one later */
			w->inflight++;
			if (w->t0_ms == 0)
				w->t0_ms = now_ms;
		}
		w->next++;
	}
	if (w->next == n && w->inflight == 0 && w->t0_ms != 0) {
		if (w->done > 0)
			log_info("knock keys derived ahead of first knocks: %zu in "
			    "%.2f s", w->done, (double)(now_ms - w->t0_ms) / 1000);
		w->done = 0;
		w->t0_ms = 0;
	}
}

void
warm_collect(struct warm *w, struct keycache *kc, const struct agentdb *agents,
    const struct verify_job *j)
{
	const struct agent *a = agents ? agentdb_find(agents, j->h.key_id) : NULL;

	w->inflight--;
	if (j->keyed && a != NULL && memcmp(a->pk, j->pk, KEY_PK_LEN) == 0 &&
	    keycache_find(kc, a->key_id, a->pk) == NULL &&
	    keycache_put(kc, a->key_id, a->pk, j->key) != NULL)
		w->done++;
}
