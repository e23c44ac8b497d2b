/* SPDX-License-Identifier: ISC */
/* Listings of openings and agents, and the metrics, written for spa-admin. */
#include "listing.h"
#include "reconcile.h"

struct list_ctx {
	const struct listing_view *v;
	FILE *f;
	uint64_t now_ms;
};

static int
list_one(uint64_t id64, const struct opening *op, void *arg)
{
	const struct list_ctx *c = arg;
	const struct policy *p = c->v->policy;
	const struct agent *a = NULL;
	int r = reconcile_resource(p, &op->e);
	char src[SPA_ADDR_STRLEN], dst[SPA_ADDR_STRLEN];
	uint8_t id[KEY_ID_LEN];

	if (op->expires_ms <= c->now_ms)
		return 0;
	keys_id_unpack(id64, id);
	if (c->v->agents != NULL)
		a = agentdb_find(c->v->agents, id);
	fprintf(c->f, "%s %s %s %s %s/%u-%u %llu\n", a ? a->name : "-",
	    addr_fmt(&op->e.src, src), r >= 0 ? p->res[r].name : "-",
	    op->e.dst.family ? addr_fmt(&op->e.dst, dst) : "gateway",
	    op->e.proto == 6 ? "tcp" : "udp", (unsigned)op->e.port_lo,
	    (unsigned)op->e.port_hi,
	    (unsigned long long)((op->expires_ms - c->now_ms + 999) / 1000));
	return 0;
}

void
listing_openings(const struct listing_view *v, FILE *f, uint64_t now_ms)
{
	struct list_ctx c = { v, f, now_ms };

	fprintf(f, "# agent source resource destination proto/ports seconds_left\n");
	openings_each(v->open, list_one, &c);
}

void
listing_agents(const struct listing_view *v, FILE *f, uint64_t now_ms)
{
	for (size_t i = 0; v->agents != NULL && i < agentdb_count(v->agents); i++) {
		const struct agent *a = agentdb_at(v->agents, i);
		size_t n = openings_count(v->open, a->key_id, now_ms);

		if (n > 0)
			fprintf(f, "%s %zu\n", a->name, n);
	}
}

void
listing_metrics(const struct listing_view *v, FILE *f)
{
	fprintf(f, "# HELP spa_knocks_total Knocks decided, by reason.\n"
	    "# TYPE spa_knocks_total counter\n");
	for (int r = 0; r < REASON_COUNT; r++)
		fprintf(f, "spa_knocks_total{reason=\"%s\"} %llu\n",
		    audit_reason_name((enum reason)r),
		    (unsigned long long)audit_count(v->audit, (enum reason)r));
	fprintf(f, "# HELP spa_openings Openings in the index (live and recently "
	    "expired).\n# TYPE spa_openings gauge\nspa_openings %zu\n",
	    openings_total(v->open));
	fprintf(f, "# HELP spa_knock_keys Agents' knock keys derived and cached.\n"
	    "# TYPE spa_knock_keys gauge\nspa_knock_keys %zu\n",
	    keycache_count(v->keys));
	fprintf(f, "# HELP spa_agents Registered agents.\n# TYPE spa_agents gauge\n"
	    "spa_agents %zu\n", v->agents ? agentdb_count(v->agents) : 0);
	fprintf(f, "# HELP spa_replay_entries Nonces remembered.\n"
	    "# TYPE spa_replay_entries gauge\nspa_replay_entries %llu\n",
	    (unsigned long long)replay_size(v->replay));
	hist_write(v->opened, f, "spa_knock_open_seconds", "From a knock's "
	    "arrival (capture timestamp) to its openings committed to the firewall.");
}
