/* SPDX-License-Identifier: ISC */
/* The index of live openings per agent, so a revocation finds them all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openings.h"
#include "oprecs.h"

/*
 * Each agent heads a list of its records (oprecs.h) from its slot in a hash
 * table of agents. After a prune that leaves most agents with no record,
 * the table is rebuilt without them, and the records are compacted.
 */

#define EMPTY UINT32_MAX		/* per_agent.head of a free slot */

struct per_agent {
	uint64_t id;
	uint32_t head;			/* first record; 0: none; EMPTY: free slot */
	uint32_t n;
};

/* Slots and records one openings_sweep call looks at: a bounded pause of the
 * loop (about a cache miss a record). */
#define SWEEP_BUDGET 8192

struct openings {
	struct per_agent *tab;
	size_t cap, used;
	struct oprecs rs;
	size_t sweep, sweep_idle;	/* openings_sweep: next slot, idle seen */
};

/* --- agents ----------------------------------------------------------------- */

static struct per_agent *
slots_new(size_t cap)
{
	struct per_agent *tab = malloc(cap * sizeof(*tab));

	for (size_t i = 0; tab != NULL && i < cap; i++)
		tab[i].head = EMPTY;
	return tab;
}

static struct per_agent *
lookup(const struct openings *o, uint64_t id)
{
	size_t i;

	for (i = id & (o->cap - 1); o->tab[i].head != EMPTY; i = (i + 1) & (o->cap - 1))
		if (o->tab[i].id == id)
			return &o->tab[i];
	return NULL;
}

/* Move the agents into a table of cap slots, leaving out those with no
 * record left unless keep_idle; 0 or -1 (then nothing changed). */
static int
rehash(struct openings *o, size_t cap, int keep_idle)
{
	struct per_agent *tab = slots_new(cap);

	if (tab == NULL)
		return -1;
	o->used = 0;
	for (size_t i = 0; i < o->cap; i++) {
		size_t j;

		if (o->tab[i].head == EMPTY || (!keep_idle && o->tab[i].n == 0))
			continue;
		for (j = o->tab[i].id & (cap - 1); tab[j].head != EMPTY; j = (j + 1) & (cap - 1))
			;
		tab[j] = o->tab[i];
		o->used++;
	}
	free(o->tab);
	o->tab = tab;
	o->cap = cap;
	return 0;
}

static struct per_agent *
lookup_or_add(struct openings *o, uint64_t id)
{
	struct per_agent *p = lookup(o, id);
	size_t i;

	if (p != NULL)
		return p;
	/* At most four fifths full: with 100,000 agents, 2 MiB, not 4. */
	if ((o->used + 1) * 5 > o->cap * 4 && rehash(o, o->cap * 2, 1) != 0)
		return NULL;
	for (i = id & (o->cap - 1); o->tab[i].head != EMPTY; i = (i + 1) & (o->cap - 1))
		;
	o->tab[i] = (struct per_agent){ .id = id, .head = 0, .n = 0 };
	o->used++;
	return &o->tab[i];
}

/* Rebuild the records with each agent's list side by side; the heads go
 * through an array of their own (nothing changes if that fails). */
static void
compact(struct openings *o)
{
	uint32_t *heads = malloc((o->used + 1) * sizeof(*heads));
	size_t n = 0;

	if (heads == NULL)
		return;
	for (size_t i = 0; i < o->cap; i++)
		if (o->tab[i].head != EMPTY)
			heads[n++] = o->tab[i].head;
	oprecs_compact(&o->rs, heads, n);
	n = 0;
	for (size_t i = 0; i < o->cap; i++)
		if (o->tab[i].head != EMPTY)
			o->tab[i].head = heads[n++];
	free(heads);
}

/* --- the index -------------------------------------------------------------- */

struct openings *
openings_new(void)
{
	struct openings *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->cap = 64;
	if ((o->tab = slots_new(o->cap)) == NULL || oprecs_init(&o->rs) != 0) {
		openings_free(o);
		return NULL;
	}
	return o;
}

void
openings_free(struct openings *o)
{
	if (o == NULL)
		return;
	oprecs_free(&o->rs);
	free(o->tab);
	free(o);
}

int
openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms)
{
	struct per_agent *p = lookup_or_add(o, keys_id64(id));
	int r;

	if (p == NULL || (r = oprecs_put(&o->rs, &p->head, e, expires_ms)) < 0)
		return -1;
	p->n += (uint32_t)r;
	return 0;
}

/* Copy p's openings (with live_only, those not yet expired) to *out
 * (malloc'd); returns their count or -1. */
static long
copy_out(const struct openings *o, const struct per_agent *p, uint64_t now_ms,
    int live_only, struct opening **out)
{
	long n = 0;

	if ((*out = malloc(p->n * sizeof(**out))) == NULL)
		return -1;
	for (uint32_t k = p->head; k != 0; k = oprecs_next(&o->rs, k))
		if (!live_only || oprecs_expires(&o->rs, k) > now_ms)
			oprecs_expand(&o->rs, k, &(*out)[n++]);
	return n;
}

/* The agent's slot, its openings (with live_only, those not yet expired)
 * copied to *out; NULL with *n 0 when it has none, NULL with *n -1 when out
 * of memory. */
static struct per_agent *
copy_agent(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    int live_only, struct opening **out, long *n)
{
	struct per_agent *p = lookup(o, keys_id64(id));

	*out = NULL;
	*n = 0;
	if (p == NULL || p->n == 0)
		return NULL;
	if ((*n = copy_out(o, p, now_ms, live_only, out)) < 0)
		return NULL;
	return p;
}

long
openings_take(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	long n;
	struct per_agent *p = copy_agent(o, id, now_ms, 0, out, &n);

	if (p != NULL) {
		oprecs_drop_all(&o->rs, &p->head);
		p->n = 0;
	}
	return n;
}

long
openings_end(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	long n;
	struct per_agent *p = copy_agent(o, id, now_ms, 1, out, &n);

	for (uint32_t k = p != NULL ? p->head : 0; k != 0; k = oprecs_next(&o->rs, k))
		if (oprecs_expires(&o->rs, k) > now_ms)
			oprecs_set_expires(&o->rs, k, now_ms);
	return n;
}

/* Prune the agents from slot *at on, until the table's end or until work
 * (slots and records looked at) reaches budget; *at is left at the next slot
 * to look at. Returns how many agents it left with no record. */
static size_t
prune_slots(struct openings *o, uint64_t now_ms, size_t *at, size_t budget)
{
	size_t idle = 0, work = 0, i;

	for (i = *at; i < o->cap && work < budget; i++, work++) {
		struct per_agent *p = &o->tab[i];

		if (p->head == EMPTY)
			continue;
		p->n -= oprecs_prune(&o->rs, &p->head, now_ms, OPENINGS_KEEP_MS,
		    &work);
		idle += p->n == 0;
	}
	*at = i;
	return idle;
}

/* After a whole pass: give back what a wave of expiries left unused. */
static void
give_back(struct openings *o, size_t idle)
{
	if (idle > 32 && idle * 2 > o->used) {
		size_t cap = 64, live = 0;

		for (size_t i = 0; i < o->cap; i++)
			live += o->tab[i].head != EMPTY && o->tab[i].n > 0;
		while (cap < 2 * (live + 1))
			cap *= 2;
		rehash(o, cap, 0);
	}
	if (oprecs_sparse(&o->rs))
		compact(o);
}

void
openings_prune(struct openings *o, uint64_t now_ms)
{
	size_t at = 0;

	give_back(o, prune_slots(o, now_ms, &at, SIZE_MAX));
	o->sweep = o->sweep_idle = 0;
}

int
openings_sweep(struct openings *o, uint64_t now_ms)
{
	/* A rehash since the last call may have moved agents: the pass may
	 * miss some, which the next pass finds. */
	o->sweep_idle += prune_slots(o, now_ms, &o->sweep, SWEEP_BUDGET);
	if (o->sweep < o->cap)
		return 0;
	give_back(o, o->sweep_idle);
	o->sweep = o->sweep_idle = 0;
	return 1;
}

size_t
openings_count(const struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms)
{
	const struct per_agent *p = lookup(o, keys_id64(id));
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (uint32_t k = p->head; k != 0; k = oprecs_next(&o->rs, k))
		n += oprecs_expires(&o->rs, k) > now_ms;
	return n;
}

size_t
openings_total(const struct openings *o)
{
	return o->rs.live;
}

size_t
openings_bytes(const struct openings *o)
{
	return sizeof(*o) + o->cap * sizeof(*o->tab) + oprecs_bytes(&o->rs);
}

int
openings_filter(struct openings *o, openings_fn fn, void *arg,
    struct opening **removed, size_t *nremoved)
{
	size_t cap = 0;

	*removed = NULL;
	*nremoved = 0;
	for (size_t i = 0; i < o->cap; i++) {
		struct per_agent *p = &o->tab[i];
		uint32_t *link = &p->head;

		if (p->head == EMPTY)
			continue;
		while (*link != 0) {
			struct opening op;

			oprecs_expand(&o->rs, *link, &op);
			if (!fn(p->id, &op, arg)) {
				link = oprecs_link(&o->rs, *link);
				continue;
			}
			if (*nremoved == cap) {
				struct opening *v;

				cap = cap ? cap * 2 : 16;
				if ((v = realloc(*removed, cap * sizeof(*v))) == NULL)
					return -1;	/* the rest stays */
				*removed = v;
			}
			(*removed)[(*nremoved)++] = op;
			oprecs_drop(&o->rs, link);
			p->n--;
		}
	}
	return 0;
}

void
openings_each(const struct openings *o, openings_fn fn, void *arg)
{
	for (size_t i = 0; i < o->cap; i++) {
		const struct per_agent *p = &o->tab[i];

		if (p->head == EMPTY)
			continue;
		for (uint32_t k = p->head; k != 0; k = oprecs_next(&o->rs, k)) {
			struct opening op;

			oprecs_expand(&o->rs, k, &op);
			fn(p->id, &op, arg);
		}
	}
}
