/*
 * Reloads and the control socket: re-reading configuration all or nothing,
 * and answering spa-admin.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "daemon_int.h"
#include "diag.h"
#include "log.h"
#include "policy.h"
#include "util.h"

int
daemon_load_rules(struct daemon *d)
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
daemon_reload_agents(struct daemon *d)
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
daemon_reload_all(struct daemon *d)
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

/* Knocks the kernel dropped because a capture ring was full: never seen,
 * so in no other count. */
static void
write_capture_drops(struct daemon *d, FILE *f)
{
	fprintf(f, "# HELP spa_capture_dropped_total Packets to the knock port "
	    "dropped before the daemon read them (capture ring full).\n"
	    "# TYPE spa_capture_dropped_total counter\n");
	for (size_t i = 0; i < d->ncap; i++)
		fprintf(f, "spa_capture_dropped_total{iface=\"%s\"} %u\n",
		    d->cfg.ifaces[i], capture_drops(d->cap[i]));
}

/* One control request (fd is closed): answer, then "ok" or "error: ...". */
static void
serve_control(struct daemon *d, int fd)
{
	struct control_req req;
	FILE *f;
	long n;

	if (control_read(fd, &req, 500) != 0 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	switch (req.op) {
	case CONTROL_RELOAD:
		if (daemon_reload_all(d) != 0) {
			fprintf(f, "error: %s\n", diag_last());
			goto out;
		}
		break;
	case CONTROL_REVOKE:
		daemon_reload_agents(d);	/* pick up the file spa-admin just wrote */
		n = engine_revoke(d->engine, req.name, req.kill, util_now_ms());
		if (n < 0) {
			fprintf(f, "error: no agent '%s'\n", req.name);
			goto out;
		}
		fprintf(f, "%s holds no live opening now", req.name);
		if (req.kill)
			fprintf(f, "; %ld connection%s cut", n, n == 1 ? "" : "s");
		fprintf(f, "\n");
		break;
	case CONTROL_OPENINGS:
		engine_write_openings(d->engine, f, util_now_ms());
		break;
	case CONTROL_AGENTS:
		engine_write_agents(d->engine, f, util_now_ms());
		break;
	case CONTROL_METRICS:
		engine_write_metrics(d->engine, f);
		write_capture_drops(d, f);
		break;
	}
	fprintf(f, "ok\n");
out:
	fclose(f);		/* closes fd */
}

void
daemon_accept_control(struct daemon *d)
{
	int fd;

	struct timeval tv = { 1, 0 };

	/* A client that stops reading must not stall the daemon for long. */
	while ((fd = accept4(d->control, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve_control(d, fd);
	}
}

