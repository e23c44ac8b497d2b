/* SPDX-License-Identifier: ISC */
/* Grants waiting for the firewall: one batch, then the index and the audit. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "decide.h"
#include "log.h"
#include "privsep.h"
#include "util.h"

#define MAX_GRANTS 256

struct pending {
	char agent[64];
	uint8_t id[KEY_ID_LEN];
	struct spa_addr src, addr;
	const char *names[DECIDE_MAX_GRANT];
	struct audit_rec rec;
	size_t from, to;		/* its elements in e[] */
	uint64_t arrived_us;
};

struct batch {
	struct fw *fw;
	struct openings *open;
	struct audit *audit;
	struct fw_elem e[PRIV_MAX_ELEMS];
	size_t ne;
	struct pending p[MAX_GRANTS];
	size_t np;
	struct hist opened;		/* knock to opening */
};

struct batch *
batch_new(struct fw *fw, struct openings *o, struct audit *a)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b != NULL) {
		b->fw = fw;
		b->open = o;
		b->audit = a;
	}
	return b;
}

void
batch_free(struct batch *b)
{
	free(b);
}

void
batch_add(struct batch *b, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, size_t n, const struct audit_rec *rec,
    uint64_t arrived_us, uint64_t now_ms)
{
	struct pending *p;

	if (b->np == MAX_GRANTS || b->ne + n > PRIV_MAX_ELEMS)
		batch_commit(b, now_ms);
	p = &b->p[b->np++];
	util_strlcpy(p->agent, rec->agent, sizeof(p->agent));
	memcpy(p->id, id, KEY_ID_LEN);
	p->src = *rec->src;
	p->addr = *rec->addr;
	for (size_t i = 0; i < rec->nres; i++)
		p->names[i] = rec->res[i];
	p->rec = *rec;
	p->rec.agent = p->agent;
	p->rec.key_id = p->id;
	p->rec.src = &p->src;
	p->rec.addr = &p->addr;
	p->rec.res = p->names;
	p->from = b->ne;
	memcpy(&b->e[b->ne], e, n * sizeof(*e));
	b->ne += n;
	p->to = b->ne;
	p->arrived_us = arrived_us;
}

/* Index a committed grant's openings: 0, or -1 when the index is out of
 * memory; the grant's elements are then deleted from the firewall again, so
 * that none is live unknown to the index. Those of them already indexed
 * stay there until they expire: a revocation deletes them once more, which
 * is no error. */
static int
index_grant(struct batch *b, const struct pending *p, uint64_t now_ms)
{
	for (size_t j = p->from; j < p->to; j++)
		if (openings_add(b->open, p->id, &b->e[j],
		    now_ms + b->e[j].timeout_ms) != 0) {
			log_warn("openings index out of memory: %s's opening "
			    "withdrawn", p->agent);
			if (b->fw != NULL && b->fw->ops->del(b->fw->ctx,
			    &b->e[p->from], p->to - p->from) != 0)
				log_warn("cannot withdraw %s's opening; it expires "
				    "in %u s", p->agent, p->rec.duration);
			return -1;
		}
	return 0;
}

static void
refused(struct pending *p)
{
	p->rec.reason = REASON_FIREWALL_ERROR;
	p->rec.duration = 0;
	p->rec.expires_ms = 0;
}

int
batch_commit(struct batch *b, uint64_t now_ms)
{
	uint64_t done_us;
	int ok, all = 1;

	if (b->np == 0)
		return 0;
	ok = b->fw == NULL || b->fw->ops->add(b->fw->ctx, b->e, b->ne) == 0;
	done_us = util_now_us();
	for (size_t i = 0; i < b->np; i++) {
		struct pending *p = &b->p[i];

		if (!ok || index_grant(b, p, now_ms) != 0) {
			refused(p);
			all = 0;
		}
		else if (p->arrived_us != 0)
			hist_observe(&b->opened, p->arrived_us, done_us);
		audit_log(b->audit, &p->rec, now_ms);
	}
	b->ne = b->np = 0;
	return all ? 0 : -1;
}

const struct hist *
batch_hist(const struct batch *b)
{
	return &b->opened;
}
