/* SPDX-License-Identifier: ISC */
/* Reloads: gateway.ini, policy.ini and agents.d, all or nothing. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentdb.h"
#include "reload.h"
#include "diag.h"
#include "log.h"
#include "policy.h"
#include "util.h"

int
reload_rules(struct daemon *d)
{
	struct policy *p = policy_load(d->cfg.policy);
	struct agentdb *db = p ? agentdb_load(d->cfg.agents) : NULL;

	if (p == NULL || db == NULL) {
		policy_free(p);
		return -1;
	}
	engine_set_policy(d->engine, p, util_now_ms());
	engine_set_agents(d->engine, db, util_now_ms());
	log_info("loaded %zu resources, %zu enclaves, %zu agents", p->nres,
	    p->nenc, agentdb_count(db));
	return 0;
}

void
reload_agents(struct daemon *d)
{
	struct agentdb *db = agentdb_load(d->cfg.agents);

	if (db == NULL) {
		log_warn("agents not reloaded; the previous set stays in force");
		return;
	}
	engine_set_agents(d->engine, db, util_now_ms());
	malloc_trim(0);
}

/* Settings that only a restart can change. */
static const char *
restart_field(const struct gw_config *a, const struct gw_config *b)
{
	if (a->nifaces != b->nifaces ||
	    memcmp(a->ifaces, b->ifaces, sizeof(a->ifaces)) != 0)
		return "interface";
	if (a->port != b->port)
		return "port";
	if (strcmp(a->table, b->table) != 0)
		return "table";
	if (strcmp(a->identity, b->identity) != 0)
		return "identity";
	if (strcmp(a->state, b->state) != 0 || strcmp(a->audit, b->audit) != 0 ||
	    strcmp(a->control, b->control) != 0 || strcmp(a->agents, b->agents) != 0)
		return "paths";
	if (strcmp(a->user, b->user) != 0)
		return "user";
	if (a->nallow != b->nallow ||
	    memcmp(a->allow, b->allow, a->nallow * sizeof(a->allow[0])) != 0)
		return "allow";
	return NULL;
}

/*
 * Re-read gateway.ini, policy.ini and agents.d; apply all or nothing. The
 * new gateway.ini may change what applies live (clock_skew,
 * allow_other_address, the policy path); the rest needs a restart.
 */
int
reload_all(struct daemon *d)
{
	struct gw_config *c = malloc(sizeof(*c));
	struct policy *p = NULL;
	struct agentdb *db = NULL;
	const char *field;
	int ret = -1;

	if (c == NULL || config_load(d->dir, c) != 0)
		goto out;
	if ((field = restart_field(&d->cfg, c)) != NULL) {
		diag(c->file, 0, "changing '%s' needs a restart of the daemon", field);
		goto out;
	}
	if ((p = policy_load(c->policy)) == NULL ||
	    (db = agentdb_load(c->agents)) == NULL)
		goto out;
	log_info("reloaded: %zu resources, %zu enclaves, %zu agents", p->nres,
	    p->nenc, agentdb_count(db));
	d->cfg = *c;			/* the engine reads it by reference */
	engine_set_agents(d->engine, db, util_now_ms());
	engine_set_policy(d->engine, p, util_now_ms());
	malloc_trim(0);		/* give the old agent set back to the system */
	p = NULL;
	ret = 0;
out:
	policy_free(p);
	free(c);
	return ret;
}
