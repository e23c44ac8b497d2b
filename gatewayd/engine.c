/* SPDX-License-Identifier: ISC */
/* The knock pipeline: steps 2-6, then the hand-offs to 7-12. */
#include <stdlib.h>
#include <string.h>

#include "agentdb.h"
#include "batch.h"
#include "diag.h"
#include "engine.h"
#include "grant.h"
#include "keycache.h"
#include "knock.h"
#include "openings.h"
#include "reconcile.h"
#include "srclimit.h"
#include "verifier.h"
#include "warm.h"

/* Step 6: the per-source limit, before the symmetric check. */
#define SRC_SLOTS 65536
#define SRC_RATE 100
#define SRC_BURST 200
/* Packets in one housekeeping tick (about 100 ms) above which the warm-up
 * pauses until a quieter tick. */
#define WARM_LOUD 1000

struct engine {
	const struct gw_config *cfg;
	uint8_t gw_pk[KEY_PK_LEN];
	struct fw *fw;
	struct audit *audit;
	struct replay *replay;
	struct policy *policy;
	struct agentdb *agents;
	struct keycache *keys;
	struct srclimit *src;
	struct openings *open;
	struct verifier *verifier;
	struct batch *batch;
	struct warm *warm;
	int threads;			/* verification workers */
	uint64_t packets;		/* handled, ever */
	uint64_t packets_tick;		/* ... at the last engine_tick */
	uint64_t next_audit_ms;		/* engine_tick: next audit summary */
};

struct engine *
engine_new(const struct gw_config *cfg, const uint8_t gw_sk[KEY_SK_LEN],
    const uint8_t gw_pk[KEY_PK_LEN], struct fw *fw, struct audit *audit,
    struct replay *replay)
{
	struct engine *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cfg = cfg;
	memcpy(g->gw_pk, gw_pk, KEY_PK_LEN);
	g->fw = fw;
	g->audit = audit;
	g->replay = replay;
	g->keys = keycache_new(gw_sk, gw_pk);
	g->src = srclimit_new(SRC_SLOTS, SRC_RATE, SRC_BURST);
	g->open = openings_new();
	g->batch = batch_new(fw, g->open, audit);
	g->warm = warm_new();
	if (g->keys != NULL)
		g->verifier = verifier_new(g->keys, 0);
	if (g->keys == NULL || g->src == NULL || g->open == NULL ||
	    g->verifier == NULL || g->batch == NULL || g->warm == NULL) {
		diag(NULL, 0, "out of memory");
		engine_free(g);
		return NULL;
	}
	return g;
}

void
engine_free(struct engine *g)
{
	if (g == NULL)
		return;
	verifier_free(g->verifier);
	batch_free(g->batch);
	warm_free(g->warm);
	keycache_free(g->keys);
	srclimit_free(g->src);
	openings_free(g->open);
	policy_free(g->policy);
	agentdb_free(g->agents);
	free(g);
}

void
engine_set_agents(struct engine *g, struct agentdb *db, uint64_t now_ms)
{
	struct agentdb *old = g->agents;

	batch_commit(g->batch, now_ms);
	g->agents = db;
	warm_restart(g->warm, 0);	/* a new pass over the new set */
	reconcile_agents(g->open, g->fw, old, db, now_ms);
	agentdb_free(old);
	reconcile_keys(g->keys, db, now_ms);
}

void
engine_set_policy(struct engine *g, struct policy *p, uint64_t now_ms)
{
	batch_commit(g->batch, now_ms);	/* queued grants point into the old policy */
	policy_free(g->policy);
	g->policy = p;
	reconcile_policy(g->open, g->fw, p, g->agents, now_ms);
}

long
engine_revoke(struct engine *g, const char *name, int kill, uint64_t now_ms)
{
	const struct agent *a = g->agents ? agentdb_by_name(g->agents, name) : NULL;
	long cut;

	if (a == NULL)
		return -1;
	cut = reconcile_agent(g->open, g->fw, a->key_id, kill, now_ms);
	return cut < 0 ? 0 : cut;	/* a failure was reported where it happened */
}

void
engine_view(const struct engine *g, struct listing_view *v)
{
	v->policy = g->policy;
	v->agents = g->agents;
	v->open = g->open;
	v->keys = g->keys;
	v->replay = g->replay;
	v->audit = g->audit;
	v->opened = batch_hist(g->batch);
}

/* Back on the loop after steps 7 and 8: the agent still the one the job was
 * made for, the verdict, the nonce spent; then 9 to 12. */
static enum reason
finish(struct engine *g, const struct verify_job *j, uint64_t now_ms)
{
	struct audit_rec rec = { .src = &j->src, .key_id = j->h.key_id };
	struct grant_env env = { g->policy, g->gw_pk,
	    g->cfg->allow_other_address, g->batch, g->audit };
	const struct agent *a;
	enum reason why;

	/* The agents may have been reloaded while the job was in flight. */
	a = g->agents ? agentdb_find(g->agents, j->h.key_id) : NULL;
	if (a == NULL || memcmp(a->pk, j->pk, KEY_PK_LEN) != 0)
		return audit_refuse(g->audit, &rec, REASON_UNKNOWN_KEY, now_ms);
	rec.agent = a->name;
	if (a->revoked != 0)
		return audit_refuse(g->audit, &rec, REASON_REVOKED, now_ms);
	if ((why = verifier_verdict(g->verifier, j, now_ms)) != REASON_OK)
		return audit_refuse(g->audit, &rec, why, now_ms);
	/* Only an authentic knock spends its nonce; a copy that passed the
	 * replay check while this one was in flight is caught here. */
	if (replay_insert(g->replay, keys_id64(j->h.key_id), j->h.ts_ms,
	    j->h.nonce, now_ms) != 0)
		return audit_refuse(g->audit, &rec, REASON_REPLAY, now_ms);
	return grant_knock(&env, a, j, &rec, now_ms);
}

int
engine_drain(struct engine *g, uint64_t now_ms)
{
	struct verify_job *j;
	int last = ENGINE_PENDING;

	while ((j = verifier_done(g->verifier)) != NULL) {
		if (j->kind == VERIFY_WARM)
			warm_collect(g->warm, g->keys, g->agents, j);
		else
			last = (int)finish(g, j, now_ms);
		verifier_put(g->verifier, j);
	}
	/* A decision is final once committed: ok may have become a refusal. */
	if (batch_commit(g->batch, now_ms) != 0 && last == REASON_OK)
		last = REASON_FIREWALL_ERROR;
	replay_sync(g->replay);
	audit_flush(g->audit);
	/* After the knocks' own work. */
	warm_step(g->warm, g->verifier, g->keys, g->agents, now_ms);
	return last;
}

int
engine_handle(struct engine *g, const struct knock_pkt *k, uint64_t now_ms)
{
	struct audit_rec rec = { .src = &k->src };
	uint64_t skew = (uint64_t)g->cfg->clock_skew * 1000;
	const struct agent *a;
	struct knock_hdr h;
	int r;

	g->packets++;
	/* 2: fixed header. 3: key id. */
	if (knock_parse_header(k->data, k->len, &h) != 0)
		return audit_refuse(g->audit, &rec, REASON_MALFORMED, now_ms);
	rec.key_id = h.key_id;
	if (g->agents == NULL || (a = agentdb_find(g->agents, h.key_id)) == NULL)
		return audit_refuse(g->audit, &rec, REASON_UNKNOWN_KEY, now_ms);
	rec.agent = a->name;
	if (a->revoked != 0)
		return audit_refuse(g->audit, &rec, REASON_REVOKED, now_ms);
	if (a->expires != 0 && (uint64_t)a->expires * 1000 <= now_ms)
		return audit_refuse(g->audit, &rec, REASON_EXPIRED, now_ms);
	/* 4: time. 5: replay. 6: source rate. */
	if (h.ts_ms + skew < now_ms || h.ts_ms > now_ms + skew)
		return audit_refuse(g->audit, &rec, REASON_STALE, now_ms);
	if (replay_check(g->replay, keys_id64(h.key_id), h.ts_ms, h.nonce) != 0)
		return audit_refuse(g->audit, &rec, REASON_REPLAY, now_ms);
	if (srclimit_take(g->src, &k->src, now_ms) != 0)
		return audit_refuse(g->audit, &rec, REASON_RATE_LIMITED, now_ms);
	/* 7 and 8, and the agent's own budget. */
	r = verifier_knock(g->verifier, k, &h, a->pk, now_ms);
	if (r != VERIFY_PENDING)
		return audit_refuse(g->audit, &rec, (enum reason)r, now_ms);
	return g->threads == 0 ? engine_drain(g, now_ms) : ENGINE_PENDING;
}

int
engine_set_threads(struct engine *g, int n)
{
	struct verifier *v = verifier_new(g->keys, n);

	if (v == NULL)
		return -1;
	verifier_free(g->verifier);	/* no knock is in flight at start */
	g->verifier = v;
	g->threads = n;
	warm_restart(g->warm, 1);	/* warm-up jobs went with it */
	return 0;
}

void
engine_set_warm(struct engine *g, int on)
{
	warm_set(g->warm, on);
}

int
engine_fd(const struct engine *g)
{
	return verifier_fd(g->verifier);
}

void
engine_tick(struct engine *g, uint64_t now_ms)
{
	openings_sweep(g->open, now_ms);
	warm_pause(g->warm, g->packets - g->packets_tick > WARM_LOUD);
	g->packets_tick = g->packets;
	warm_step(g->warm, g->verifier, g->keys, g->agents, now_ms);
	if (now_ms >= g->next_audit_ms || now_ms + 2000 < g->next_audit_ms) {
		g->next_audit_ms = now_ms + 1000;
		audit_tick(g->audit, now_ms);
	}
}
