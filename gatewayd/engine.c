#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "batch.h"
#include "decide.h"
#include "diag.h"
#include "engine.h"
#include "fw.h"
#include "keycache.h"
#include "knock.h"
#include "log.h"
#include "openings.h"
#include "ratelimit.h"
#include "util.h"
#include "verifier.h"

/* Per-source limit before the symmetric check; per-agent limit after it and
 * before the signature, so forgers cannot spend an agent's budget. */
#define SRC_SLOTS 65536
#define SRC_RATE 100
#define SRC_BURST 200
#define AGENT_RATE 20
#define AGENT_BURST 50
/* Knock keys the loop derives itself when the workers' queue for first knocks
 * is full (an agent's threads all knocking at once; many agents' first knocks
 * after a start): at most a quarter of the loop's time (66 us each), and at
 * most 1.3 ms of it in one go. The rest of the loop then still rejects forged
 * knocks faster than one sender here sends them. */
#define DERIVE_RATE 4000
#define DERIVE_BURST 20
/* Agents looked at per call for a knock key to derive ahead (up to a few
 * hundred microseconds when all are cached already, as after most reloads). */
#define WARM_SCAN 1024
/* Packets in one housekeeping tick (about 100 ms) above which the warm-up
 * pauses until a quieter tick: under a flood its thread would take what CPU
 * the flood leaves, and first knocks derive their keys anyway. */
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
	struct bucket derive;		/* knock keys derived on the loop */
	int threads;			/* verification workers */
	int may_inline;			/* verify on the loop when idle */
	int warm;			/* derive knock keys ahead (default) */
	size_t warm_next;		/* next agent to look at */
	size_t warm_inflight;		/* warm-up jobs not collected yet */
	size_t warm_done;		/* keys derived ahead in this pass */
	uint64_t warm_t0_ms;		/* this pass's first job, 0: none yet */
	uint64_t packets;		/* handled, ever */
	uint64_t packets_tick;		/* ... at the last engine_tick */
	int loud;			/* the last tick saw more than WARM_LOUD */
	uint64_t next_audit_ms;		/* engine_tick: next audit summary */
};

/* Steps 11-12 for every grant queued: one firewall batch, then the audit. */
static int
commit(struct engine *g, uint64_t now_ms)
{
	return batch_commit(g->batch, g->fw, g->open, g->audit, now_ms);
}

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
	g->verifier = verifier_new(0);
	g->batch = batch_new();
	g->may_inline = 1;
	g->warm = 1;
	if (g->keys == NULL || g->src == NULL || g->open == NULL ||
	    g->verifier == NULL || g->batch == NULL) {
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
	keycache_free(g->keys);
	srclimit_free(g->src);
	openings_free(g->open);
	policy_free(g->policy);
	agentdb_free(g->agents);
	free(g);
}

/* Delete openings from the firewall (the live ones) and, with kill, the
 * connections they let in (also those of recently expired ones). */
static long
close_openings(struct engine *g, const struct opening *o, size_t n, int kill,
    uint64_t now_ms)
{
	struct fw_elem *e = calloc(n ? n : 1, sizeof(*e));
	size_t live = 0;
	long cut = 0;

	if (e == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (o[i].expires_ms > now_ms)
			e[live++] = o[i].e;
	if (live > 0 && g->fw != NULL)
		g->fw->ops->del(g->fw->ctx, e, live);
	if (kill && n > 0 && g->fw != NULL) {
		for (size_t i = 0; i < n; i++)
			e[i] = o[i].e;
		cut = g->fw->ops->kill(g->fw->ctx, e, n);
	}
	free(e);
	return cut;
}

/*
 * End an agent's openings. Without kill they stay in the index, expired, so a
 * later revocation with kill still finds the connections they let in; with
 * kill, the connections of every opening still indexed (live or recently
 * ended) are cut. Returns the number of connections cut.
 */
static long
close_agent(struct engine *g, const uint8_t id[KEY_ID_LEN], int kill,
    uint64_t now_ms)
{
	struct opening *o = NULL;
	long n = kill ? openings_take(g->open, id, now_ms, &o) :
	    openings_end(g->open, id, now_ms, &o);
	long cut = 0;

	if (n > 0)
		cut = close_openings(g, o, (size_t)n, kill, now_ms);
	free(o);
	return cut;
}

static int
usable(const struct agent *a, uint64_t now_ms)
{
	return a != NULL && a->revoked == 0 &&
	    (a->expires == 0 || (uint64_t)a->expires * 1000 > now_ms);
}

static const struct agent *
agent_of(const struct engine *g, uint64_t id64)
{
	uint8_t id[KEY_ID_LEN];

	for (int i = 0; i < KEY_ID_LEN; i++)
		id[i] = (uint8_t)(id64 >> (8 * i));
	return g->agents ? agentdb_find(g->agents, id) : NULL;
}

struct keep_ctx {
	const struct engine *g;
	uint64_t now_ms;
};

/* keycache_prune: the knock keys of agents that may still knock. */
static int
may_knock(uint64_t id64, const uint8_t pk[KEY_PK_LEN], void *arg)
{
	const struct keep_ctx *c = arg;
	const struct agent *a = agent_of(c->g, id64);

	return usable(a, c->now_ms) && memcmp(a->pk, pk, KEY_PK_LEN) == 0;
}

void
engine_set_agents(struct engine *g, struct agentdb *db, uint64_t now_ms)
{
	struct agentdb *old = g->agents;
	struct keep_ctx keep = { g, now_ms };

	commit(g, now_ms);
	g->agents = db;
	g->warm_next = 0;		/* a new pass over the new set */
	for (size_t i = 0; old != NULL && i < agentdb_count(old); i++) {
		const struct agent *a = agentdb_at(old, i);
		if (!usable(agentdb_find(db, a->key_id), now_ms))
			close_agent(g, a->key_id, 0, now_ms);
	}
	agentdb_free(old);
	/* The keys of agents gone, revoked, expired or re-keyed: wiped, so
	 * that agents that come and go do not pile up in memory. */
	keycache_prune(g->keys, may_knock, &keep);
}

struct prune_ctx {
	struct engine *g;
	uint64_t now_ms;
};

/* The resource of policy p that an opening was made for, or -1. */
static int
resource_of(const struct policy *p, const struct fw_elem *e)
{
	for (size_t i = 0; p != NULL && i < p->nres; i++) {
		const struct resource *r = &p->res[i];
		if (r->proto == e->proto && r->port_lo == e->port_lo &&
		    r->port_hi == e->port_hi && (r->addr.family == 0 ?
		    e->dst.family == 0 : addr_eq(&r->addr, &e->dst)))
			return (int)i;
	}
	return -1;
}

/* 1 if the agent may no longer hold this opening under the current policy. */
static int
disallowed(uint64_t id64, const struct opening *op, void *arg)
{
	struct prune_ctx *c = arg;
	const struct agent *a = agent_of(c->g, id64);
	const struct policy *p = c->g->policy;
	char names[1][KNOCK_NAME_MAX + 1];
	const char *why;
	struct grant gr;
	int r;

	if (op->expires_ms <= c->now_ms)
		return 0;
	if (a == NULL || (r = resource_of(p, &op->e)) < 0)
		return 1;
	util_strlcpy(names[0], p->res[r].name, sizeof(names[0]));
	return decide(p, a, names, 1, 0, &gr, &why) != 0;
}

void
engine_set_policy(struct engine *g, struct policy *p, uint64_t now_ms)
{
	struct prune_ctx c = { g, now_ms };
	struct opening *gone = NULL;
	size_t n = 0;

	commit(g, now_ms);	/* queued grants point into the old policy */
	policy_free(g->policy);
	g->policy = p;
	/* Even after a failure, what was taken out of the index is closed. */
	openings_filter(g->open, disallowed, &c, &gone, &n);
	if (n > 0)
		close_openings(g, gone, n, 0, now_ms);
	free(gone);
}

long
engine_revoke(struct engine *g, const char *name, int kill, uint64_t now_ms)
{
	const struct agent *a = g->agents ? agentdb_by_name(g->agents, name) : NULL;

	long cut;

	if (a == NULL)
		return -1;
	cut = close_agent(g, a->key_id, kill, now_ms);
	return cut < 0 ? 0 : cut;	/* a failure was reported where it happened */
}

struct list_ctx {
	struct engine *g;
	FILE *f;
	uint64_t now_ms;
	uint64_t id;			/* agents: the agent being counted */
	size_t count;
};

static int
list_one(uint64_t id64, const struct opening *op, void *arg)
{
	struct list_ctx *c = arg;
	const struct agent *a = agent_of(c->g, id64);
	int r = resource_of(c->g->policy, &op->e);
	char src[SPA_ADDR_STRLEN], dst[SPA_ADDR_STRLEN];

	if (op->expires_ms <= c->now_ms)
		return 0;
	fprintf(c->f, "%s %s %s %s %s/%u-%u %llu\n", a ? a->name : "-",
	    addr_fmt(&op->e.src, src), r >= 0 ? c->g->policy->res[r].name : "-",
	    op->e.dst.family ? addr_fmt(&op->e.dst, dst) : "gateway",
	    op->e.proto == 6 ? "tcp" : "udp", (unsigned)op->e.port_lo,
	    (unsigned)op->e.port_hi,
	    (unsigned long long)((op->expires_ms - c->now_ms + 999) / 1000));
	return 0;
}

void
engine_write_openings(struct engine *g, FILE *f, uint64_t now_ms)
{
	struct list_ctx c = { .g = g, .f = f, .now_ms = now_ms };
	struct opening *none = NULL;
	size_t n = 0;

	fprintf(f, "# agent source resource destination proto/ports seconds_left\n");
	openings_filter(g->open, list_one, &c, &none, &n);
	free(none);
}

void
engine_write_agents(struct engine *g, FILE *f, uint64_t now_ms)
{
	for (size_t i = 0; g->agents != NULL && i < agentdb_count(g->agents); i++) {
		const struct agent *a = agentdb_at(g->agents, i);
		size_t n = openings_count(g->open, a->key_id, now_ms);

		if (n > 0)
			fprintf(f, "%s %zu\n", a->name, n);
	}
}

void
engine_write_metrics(struct engine *g, FILE *f)
{
	fprintf(f, "# HELP spa_knocks_total Knocks decided, by reason.\n"
	    "# TYPE spa_knocks_total counter\n");
	for (int r = 0; r < REASON_COUNT; r++)
		fprintf(f, "spa_knocks_total{reason=\"%s\"} %llu\n",
		    audit_reason_name((enum reason)r),
		    (unsigned long long)audit_count(g->audit, (enum reason)r));
	fprintf(f, "# HELP spa_openings Openings in the index (live and recently "
	    "expired).\n# TYPE spa_openings gauge\nspa_openings %zu\n",
	    openings_total(g->open));
	fprintf(f, "# HELP spa_knock_keys Agents' knock keys derived and cached.\n"
	    "# TYPE spa_knock_keys gauge\nspa_knock_keys %zu\n", keycache_count(g->keys));
	fprintf(f, "# HELP spa_agents Registered agents.\n# TYPE spa_agents gauge\n"
	    "spa_agents %zu\n", g->agents ? agentdb_count(g->agents) : 0);
	fprintf(f, "# HELP spa_replay_entries Nonces remembered.\n"
	    "# TYPE spa_replay_entries gauge\nspa_replay_entries %llu\n",
	    (unsigned long long)replay_size(g->replay));
	batch_write_metrics(g->batch, f);
}

static enum reason
refuse(struct engine *g, struct audit_rec *rec, enum reason r, uint64_t now_ms)
{
	rec->reason = r;
	audit_log(g->audit, rec, now_ms);
	return r;
}

/* Step 10, queueing 11 and 12: decide, then the opening waits in the batch. */
static enum reason
grant(struct engine *g, const struct agent *a, const struct knock_body *b,
    const struct spa_addr *target, struct audit_rec *rec, uint64_t arrived_us,
    uint64_t now_ms)
{
	struct fw_elem e[DECIDE_MAX_GRANT];
	const char *names[DECIDE_MAX_GRANT];
	const char *why = NULL;
	struct grant gr;
	uint32_t longest = 0;
	size_t n = 0;

	if (g->policy == NULL ||
	    decide(g->policy, a, b->res, b->nres, b->duration, &gr, &why) != 0)
		return refuse(g, rec, REASON_NOT_ENTITLED, now_ms);
	for (size_t i = 0; i < gr.n; i++) {
		const struct resource *r = &g->policy->res[gr.res[i]];

		if (r->addr.family != 0 && r->addr.family != target->family)
			continue;	/* an IPv4 host cannot be opened for IPv6 */
		memset(&e[n], 0, sizeof(e[n]));
		e[n].src = *target;
		e[n].dst = r->addr;
		e[n].proto = r->proto;
		e[n].port_lo = r->port_lo;
		e[n].port_hi = r->port_hi;
		e[n].timeout_ms = gr.duration[i] * 1000;
		names[n++] = r->name;
		if (gr.duration[i] > longest)
			longest = gr.duration[i];
	}
	rec->res = names;
	rec->nres = n;
	if (n == 0)
		return refuse(g, rec, REASON_NOT_ENTITLED, now_ms);
	rec->duration = longest;
	rec->expires_ms = now_ms + (uint64_t)longest * 1000;
	rec->reason = REASON_OK;
	if (batch_full(g->batch, n))
		commit(g, now_ms);
	batch_add(g->batch, a->key_id, e, n, rec, arrived_us);
	return REASON_OK;
}

/* A first knock's steps 7 (results) and its budget: the knock key its worker
 * derived is cached even when the body did not open, so that the next knock
 * under this key id, forged or not, is checked on the loop. */
static enum reason
first_knock(struct engine *g, const struct agent *a, const struct verify_job *j,
    uint64_t now_ms)
{
	struct agent_state *st = NULL;

	if (j->keyed)
		st = keycache_put(g->keys, a->key_id, a->pk, j->key);
	if (!j->opened || st == NULL)	/* no memory: as keycache_get's NULL */
		return REASON_BAD_AUTH;
	if (bucket_take(&st->bucket, now_ms, AGENT_RATE, AGENT_BURST) != 0)
		return REASON_RATE_LIMITED;
	return REASON_OK;
}

/* Steps 8 (result) to 12, back on the loop after the signature check. */
static enum reason
finish(struct engine *g, struct verify_job *j, uint64_t now_ms)
{
	struct audit_rec rec = { .src = &j->src, .key_id = j->h.key_id };
	const char *asked[KNOCK_MAX_RES];
	const struct spa_addr *target = &j->src;
	struct knock_body body;
	const struct agent *a;
	enum reason why;

	/* The agents may have been reloaded while the job was in flight. */
	a = g->agents ? agentdb_find(g->agents, j->h.key_id) : NULL;
	if (a == NULL || memcmp(a->pk, j->pk, KEY_PK_LEN) != 0)
		return refuse(g, &rec, REASON_UNKNOWN_KEY, now_ms);
	rec.agent = a->name;
	if (a->revoked != 0)
		return refuse(g, &rec, REASON_REVOKED, now_ms);
	if (j->kc != NULL && (why = first_knock(g, a, j, now_ms)) != REASON_OK)
		return refuse(g, &rec, why, now_ms);
	if (!j->ok)
		return refuse(g, &rec, REASON_BAD_SIGNATURE, now_ms);
	/* Only an authentic knock spends its nonce; a copy that passed the
	 * replay check while this one was in flight is caught here. */
	if (replay_insert(g->replay, keys_id64(j->h.key_id), j->h.ts_ms,
	    j->h.nonce, now_ms) != 0)
		return refuse(g, &rec, REASON_REPLAY, now_ms);
	/* 9: the signed body. */
	if (knock_parse_body(j->plain, j->h.body_len, &body) != 0)
		return refuse(g, &rec, REASON_MALFORMED, now_ms);
	for (unsigned i = 0; i < body.nres; i++)
		asked[i] = body.res[i];
	rec.res = asked;
	rec.nres = body.nres;
	if (sodium_memcmp(body.gw_pk, g->gw_pk, KEY_PK_LEN) != 0)
		return refuse(g, &rec, REASON_WRONG_GATEWAY, now_ms);
	if (body.addr.family != 0) {
		rec.addr = &body.addr;
		if (!addr_eq(&body.addr, &j->src) && !g->cfg->allow_other_address)
			return refuse(g, &rec, REASON_ADDRESS_MISMATCH, now_ms);
		target = &body.addr;
	}
	rec.addr = target;
	return grant(g, a, &body, target, &rec, j->arrived_us, now_ms);
}

/*
 * Knock keys derived ahead: after a start or a reload, each usable agent's
 * that is not cached yet is handed to the verifier's warm-up thread, which
 * derives it on CPU time nothing else wants, a bounded number in flight. A
 * pass ends when every agent has been looked at; its end is logged if it
 * derived any.
 */
static void
warm_up(struct engine *g, uint64_t now_ms)
{
	size_t n = g->agents != NULL ? agentdb_count(g->agents) : 0;
	struct verify_job *j = NULL;

	if (!g->warm || g->threads == 0 || g->loud)
		return;
	for (size_t k = 0; k < WARM_SCAN && g->warm_next < n; k++) {
		const struct agent *a = agentdb_at(g->agents, g->warm_next);

		if (usable(a, now_ms) && keycache_find(g->keys, a->key_id, a->pk) == NULL) {
			if (j == NULL && (j = verifier_job(g->verifier)) == NULL)
				break;
			j->warm = 1;
			j->kc = g->keys;
			memcpy(j->pk, a->pk, KEY_PK_LEN);
			memcpy(j->h.key_id, a->key_id, KEY_ID_LEN);
			if (verifier_warm(g->verifier, j) != 0)
				break;		/* enough in flight: this one later */
			j = NULL;
			g->warm_inflight++;
			if (g->warm_t0_ms == 0)
				g->warm_t0_ms = now_ms;
		}
		g->warm_next++;
	}
	if (j != NULL)
		verifier_put(g->verifier, j);
	if (g->warm_next == n && g->warm_inflight == 0 && g->warm_t0_ms != 0) {
		if (g->warm_done > 0)
			log_info("knock keys derived ahead of first knocks: %zu in "
			    "%.2f s", g->warm_done,
			    (double)(now_ms - g->warm_t0_ms) / 1000);
		g->warm_done = 0;
		g->warm_t0_ms = 0;
	}
}

/* A warm-up job back: its key is cached if the agent still has that public
 * key (the agents may have been reloaded meanwhile) and its first knock did
 * not come first. */
static void
warmed(struct engine *g, const struct verify_job *j)
{
	const struct agent *a = g->agents ? agentdb_find(g->agents, j->h.key_id) : NULL;

	g->warm_inflight--;
	if (j->keyed && a != NULL && memcmp(a->pk, j->pk, KEY_PK_LEN) == 0 &&
	    keycache_find(g->keys, a->key_id, a->pk) == NULL &&
	    keycache_put(g->keys, a->key_id, a->pk, j->key) != NULL)
		g->warm_done++;
}

int
engine_drain(struct engine *g, uint64_t now_ms)
{
	struct verify_job *j;
	int last = ENGINE_PENDING;

	while ((j = verifier_done(g->verifier)) != NULL) {
		if (j->warm)
			warmed(g, j);
		else
			last = (int)finish(g, j, now_ms);
		verifier_put(g->verifier, j);
	}
	/* A decision is final once committed: ok may have become a refusal. */
	if (commit(g, now_ms) != 0 && last == REASON_OK)
		last = REASON_FIREWALL_ERROR;
	replay_sync(g->replay);
	audit_flush(g->audit);
	warm_up(g, now_ms);		/* after the knocks' own work */
	return last;
}

/* What a worker needs of a knock: copies, so agents may be reloaded meanwhile. */
static void
fill(struct verify_job *j, const struct knock_pkt *k, const struct agent *a,
    const struct knock_hdr *h)
{
	memcpy(j->pkt, k->data, k->len);
	j->len = k->len;
	memcpy(j->pk, a->pk, KEY_PK_LEN);
	j->h = *h;
	j->src = k->src;
	j->arrived_us = k->arrived_us;
}

int
engine_handle(struct engine *g, const struct knock_pkt *k, uint64_t now_ms)
{
	struct audit_rec rec = { .src = &k->src };
	uint64_t skew = (uint64_t)g->cfg->clock_skew * 1000;
	const struct agent *a;
	struct agent_state *st;
	struct verify_job *j;
	struct knock_hdr h;

	g->packets++;
	/* 2: fixed header. 3: key id. */
	if (knock_parse_header(k->data, k->len, &h) != 0)
		return refuse(g, &rec, REASON_MALFORMED, now_ms);
	rec.key_id = h.key_id;
	if (g->agents == NULL || (a = agentdb_find(g->agents, h.key_id)) == NULL)
		return refuse(g, &rec, REASON_UNKNOWN_KEY, now_ms);
	rec.agent = a->name;
	if (a->revoked != 0)
		return refuse(g, &rec, REASON_REVOKED, now_ms);
	if (a->expires != 0 && (uint64_t)a->expires * 1000 <= now_ms)
		return refuse(g, &rec, REASON_EXPIRED, now_ms);
	/* 4: time. 5: replay. 6: source rate. */
	if (h.ts_ms + skew < now_ms || h.ts_ms > now_ms + skew)
		return refuse(g, &rec, REASON_STALE, now_ms);
	if (replay_check(g->replay, keys_id64(h.key_id), h.ts_ms, h.nonce) != 0)
		return refuse(g, &rec, REASON_REPLAY, now_ms);
	if (srclimit_take(g->src, &k->src, now_ms) != 0)
		return refuse(g, &rec, REASON_RATE_LIMITED, now_ms);
	/* 7: symmetric check; then the agent's own budget. */
	if ((j = verifier_job(g->verifier)) == NULL)
		return refuse(g, &rec, REASON_RATE_LIMITED, now_ms);
	st = keycache_find(g->keys, a->key_id, a->pk);
	if (st == NULL && g->threads > 0) {
		/* A first knock: 7 and 8 on a worker, after it derives the
		 * knock key. */
		fill(j, k, a, &h);
		j->kc = g->keys;
		if (verifier_submit(g->verifier, j, 0) == 0)
			return ENGINE_PENDING;
		j->kc = NULL;			/* their queue is full */
	}
	if (st == NULL) {
		/* Their queue full: derived here within a budget (a burst of
		 * one agent's first knocks costs one derivation, the others
		 * find the key); beyond it, refused, so that a flood of forged
		 * knocks under cold key ids cannot stall the loop. Without
		 * workers (offline, a capture file: no live traffic to keep up
		 * with; the daemon always has one) every key is derived here. */
		if (g->threads > 0 &&
		    bucket_take(&g->derive, now_ms, DERIVE_RATE, DERIVE_BURST) != 0) {
			verifier_put(g->verifier, j);
			return refuse(g, &rec, REASON_RATE_LIMITED, now_ms);
		}
		st = keycache_get(g->keys, a->key_id, a->pk);
	}
	if (st == NULL || knock_open(k->data, k->len, &h, st->key, j->plain) != 0) {
		verifier_put(g->verifier, j);
		return refuse(g, &rec, REASON_BAD_AUTH, now_ms);
	}
	if (bucket_take(&st->bucket, now_ms, AGENT_RATE, AGENT_BURST) != 0) {
		verifier_put(g->verifier, j);
		return refuse(g, &rec, REASON_RATE_LIMITED, now_ms);
	}
	/* 8: the agent's signature, on a worker when the loop is busy. */
	fill(j, k, a, &h);
	verifier_submit(g->verifier, j, g->threads == 0 || g->may_inline);
	return g->threads == 0 ? engine_drain(g, now_ms) : ENGINE_PENDING;
}

int
engine_set_threads(struct engine *g, int n)
{
	struct verifier *v = verifier_new(n);

	if (v == NULL)
		return -1;
	verifier_free(g->verifier);	/* no knock is in flight at start */
	g->verifier = v;
	g->threads = n;
	g->warm_next = g->warm_inflight = 0;	/* warm-up jobs went with it */
	g->warm_t0_ms = 0;
	return 0;
}

void
engine_set_warm(struct engine *g, int on)
{
	g->warm = on;
}

void
engine_set_inline(struct engine *g, int may)
{
	g->may_inline = may;
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
	g->loud = g->packets - g->packets_tick > WARM_LOUD;
	g->packets_tick = g->packets;
	warm_up(g, now_ms);
	if (now_ms >= g->next_audit_ms || now_ms + 2000 < g->next_audit_ms) {
		g->next_audit_ms = now_ms + 1000;
		audit_tick(g->audit, now_ms);
	}
}
