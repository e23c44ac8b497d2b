/* SPDX-License-Identifier: ISC */
/* Openings and knock keys the agents or policy no longer allow. */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "reconcile.h"
#include "util.h"

/* Delete openings from the firewall (the live ones) and, with kill, the
 * connections they let in (also those of recently expired ones). */
static long
close_openings(struct fw *fw, const struct opening *o, size_t n, int kill,
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
	if (live > 0 && fw != NULL)
		fw->ops->del(fw->ctx, e, live);
	if (kill && n > 0 && fw != NULL) {
		for (size_t i = 0; i < n; i++)
			e[i] = o[i].e;
		cut = fw->ops->kill(fw->ctx, e, n);
	}
	free(e);
	return cut;
}

long
reconcile_agent(struct openings *o, struct fw *fw, const uint8_t id[KEY_ID_LEN],
    int kill, uint64_t now_ms)
{
	struct opening *op = NULL;
	long n = kill ? openings_take(o, id, now_ms, &op) :
	    openings_end(o, id, now_ms, &op);
	long cut = 0;

	if (n > 0)
		cut = close_openings(fw, op, (size_t)n, kill, now_ms);
	free(op);
	return cut;
}

void
reconcile_agents(struct openings *o, struct fw *fw, const struct agentdb *old,
    const struct agentdb *agents, uint64_t now_ms)
{
	for (size_t i = 0; old != NULL && i < agentdb_count(old); i++) {
		const struct agent *a = agentdb_at(old, i);

		if (!agent_usable(agentdb_find(agents, a->key_id), now_ms))
			reconcile_agent(o, fw, a->key_id, 0, now_ms);
	}
}

int
reconcile_resource(const struct policy *p, const struct fw_elem *e)
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

struct policy_ctx {
	const struct policy *p;
	const struct agentdb *agents;
	uint64_t now_ms;
};

static const struct agent *
agent_of(const struct agentdb *agents, uint64_t id64)
{
	uint8_t id[KEY_ID_LEN];

	keys_id_unpack(id64, id);
	return agents ? agentdb_find(agents, id) : NULL;
}

/* 1 if the agent may no longer hold this opening under the policy. */
static int
disallowed(uint64_t id64, const struct opening *op, void *arg)
{
	const struct policy_ctx *c = arg;
	const struct agent *a = agent_of(c->agents, id64);
	char names[1][KNOCK_NAME_MAX + 1];
	const char *why;
	struct grant gr;
	int r;

	if (op->expires_ms <= c->now_ms)
		return 0;
	if (a == NULL || (r = reconcile_resource(c->p, &op->e)) < 0)
		return 1;
	util_strlcpy(names[0], c->p->res[r].name, sizeof(names[0]));
	return decide(c->p, a, names, 1, 0, &gr, &why) != 0;
}

void
reconcile_policy(struct openings *o, struct fw *fw, const struct policy *p,
    const struct agentdb *agents, uint64_t now_ms)
{
	struct policy_ctx c = { p, agents, now_ms };
	struct opening *gone = NULL;
	size_t n = 0;

	/* Even after a failure, what was taken out of the index is closed. */
	openings_filter(o, disallowed, &c, &gone, &n);
	if (n > 0)
		close_openings(fw, gone, n, 0, now_ms);
	free(gone);
}

struct keys_ctx {
	const struct agentdb *agents;
	uint64_t now_ms;
};

/* keycache_prune: the knock keys of agents that may still knock. */
static int
may_knock(uint64_t id64, const uint8_t pk[KEY_PK_LEN], void *arg)
{
	const struct keys_ctx *c = arg;
	const struct agent *a = agent_of(c->agents, id64);

	return agent_usable(a, c->now_ms) && memcmp(a->pk, pk, KEY_PK_LEN) == 0;
}

void
reconcile_keys(struct keycache *kc, const struct agentdb *agents, uint64_t now_ms)
{
	struct keys_ctx c = { agents, now_ms };

	keycache_prune(kc, may_knock, &c);
}
