#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "decide.h"
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
};

struct batch {
	struct fw_elem e[PRIV_MAX_ELEMS];
	size_t ne;
	struct pending p[MAX_GRANTS];
	size_t np;
};

struct batch *
batch_new(void)
{
	return calloc(1, sizeof(struct batch));
}

void
batch_free(struct batch *b)
{
	free(b);
}

int
batch_full(const struct batch *b, size_t n)
{
	return b->np == MAX_GRANTS || b->ne + n > PRIV_MAX_ELEMS;
}

void
batch_add(struct batch *b, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, size_t n, const struct audit_rec *rec)
{
	struct pending *p = &b->p[b->np++];

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
}

int
batch_commit(struct batch *b, struct fw *fw, struct openings *o,
    struct audit *a, uint64_t now_ms)
{
	int ok;

	if (b->np == 0)
		return 0;
	ok = fw == NULL || fw->ops->add(fw->ctx, b->e, b->ne) == 0;
	for (size_t i = 0; i < b->np; i++) {
		struct pending *p = &b->p[i];

		if (ok) {
			for (size_t j = p->from; j < p->to; j++)
				openings_add(o, p->id, &b->e[j],
				    now_ms + b->e[j].timeout_ms);
		} else {
			p->rec.reason = REASON_FIREWALL_ERROR;
			p->rec.duration = 0;
			p->rec.expires_ms = 0;
		}
		audit_log(a, &p->rec, now_ms);
	}
	b->ne = b->np = 0;
	return ok ? 0 : -1;
}
