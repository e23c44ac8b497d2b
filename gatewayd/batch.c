#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "decide.h"
#include "privsep.h"
#include "util.h"

#define MAX_GRANTS 256

/* Buckets of the knock-to-open histogram, microseconds; the latency targets
 * of the benchmarks (300 us, 2 ms, 5 ms) are among them. */
static const struct {
	uint64_t us;
	const char *le;
} bounds[] = {
	{ 100, "0.0001" }, { 200, "0.0002" }, { 300, "0.0003" },
	{ 500, "0.0005" }, { 1000, "0.001" }, { 2000, "0.002" },
	{ 5000, "0.005" }, { 10000, "0.01" }, { 100000, "0.1" },
};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

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
	struct fw_elem e[PRIV_MAX_ELEMS];
	size_t ne;
	struct pending p[MAX_GRANTS];
	size_t np;
	/* Knock to opening: counts per bucket (the last: beyond them all). */
	uint64_t hist[NBOUNDS + 1], hist_count, hist_sum_us;
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
    const struct fw_elem *e, size_t n, const struct audit_rec *rec,
    uint64_t arrived_us)
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
	p->arrived_us = arrived_us;
}

/* A clock stepped back counts as no time at all. */
static void
observe(struct batch *b, uint64_t arrived_us, uint64_t now_us)
{
	uint64_t d = now_us > arrived_us ? now_us - arrived_us : 0;
	size_t i = 0;

	while (i < NBOUNDS && d > bounds[i].us)
		i++;
	b->hist[i]++;
	b->hist_count++;
	b->hist_sum_us += d;
}

int
batch_commit(struct batch *b, struct fw *fw, struct openings *o,
    struct audit *a, uint64_t now_ms)
{
	uint64_t done_us;
	int ok;

	if (b->np == 0)
		return 0;
	ok = fw == NULL || fw->ops->add(fw->ctx, b->e, b->ne) == 0;
	done_us = util_now_us();
	for (size_t i = 0; i < b->np; i++) {
		struct pending *p = &b->p[i];

		if (ok) {
			if (p->arrived_us != 0)
				observe(b, p->arrived_us, done_us);
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

void
batch_write_metrics(const struct batch *b, FILE *f)
{
	uint64_t n = 0;

	fprintf(f, "# HELP spa_knock_open_seconds From a knock's arrival "
	    "(capture timestamp) to its openings committed to the firewall.\n"
	    "# TYPE spa_knock_open_seconds histogram\n");
	for (size_t i = 0; i < NBOUNDS; i++) {
		n += b->hist[i];
		fprintf(f, "spa_knock_open_seconds_bucket{le=\"%s\"} %llu\n",
		    bounds[i].le, (unsigned long long)n);
	}
	fprintf(f, "spa_knock_open_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "spa_knock_open_seconds_sum %llu.%06llu\n"
	    "spa_knock_open_seconds_count %llu\n",
	    (unsigned long long)b->hist_count,
	    (unsigned long long)(b->hist_sum_us / 1000000),
	    (unsigned long long)(b->hist_sum_us % 1000000),
	    (unsigned long long)b->hist_count);
}
