#include <stdlib.h>
#include <string.h>

#include "openings.h"

/*
 * Compact storage: an opening is its source address, its expiry and the
 * number of its target (what it opens: source family, destination, protocol,
 * ports), 28 bytes. Targets are few (the policy's resources, per family) and
 * shared by every opening made for them; each counts its openings and its
 * slot is reused once none is left.
 */
struct rec {
	uint64_t expires_ms;
	uint8_t src[16];
	uint32_t target;
} __attribute__((packed, aligned(4)));

struct target {
	struct spa_addr dst;
	uint8_t src_family;
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint32_t refs;			/* records that name it; 0: free slot */
};

struct per_agent {
	uint64_t id;
	struct rec *v;
	uint32_t n, cap;
	int used;			/* the slot holds an agent */
};

struct openings {
	struct per_agent *tab;
	size_t cap, used, total;
	struct target *tg;
	uint32_t ntg, captg;
	uint32_t *tgidx;		/* hash of targets: index + 1, 0 empty */
	size_t tgmask;
};

static struct per_agent *
lookup(const struct openings *o, uint64_t id)
{
	size_t i;

	for (i = id & (o->cap - 1); o->tab[i].used; i = (i + 1) & (o->cap - 1))
		if (o->tab[i].id == id)
			return &o->tab[i];
	return NULL;
}

static int
grow(struct openings *o)
{
	size_t cap = o->cap * 2;
	struct per_agent *tab = calloc(cap, sizeof(*tab));

	if (tab == NULL)
		return -1;
	for (size_t i = 0; i < o->cap; i++) {
		size_t j;

		if (!o->tab[i].used)
			continue;
		for (j = o->tab[i].id & (cap - 1); tab[j].used; j = (j + 1) & (cap - 1))
			;
		tab[j] = o->tab[i];
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
	if ((o->used + 1) * 2 > o->cap && grow(o) != 0)
		return NULL;
	for (i = id & (o->cap - 1); o->tab[i].used; i = (i + 1) & (o->cap - 1))
		;
	o->tab[i].used = 1;
	o->tab[i].id = id;
	o->used++;
	return &o->tab[i];
}

/* --- targets ---------------------------------------------------------------- */

/* What e opens, as a target with no reference yet. */
static struct target
target_of(const struct fw_elem *e)
{
	return (struct target){ .dst = e->dst, .src_family = e->src.family,
	    .proto = e->proto, .port_lo = e->port_lo, .port_hi = e->port_hi };
}

static uint64_t
target_hash(const struct target *t)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a, then a final mix */
	uint8_t k[23];

	k[0] = t->src_family;
	k[1] = t->dst.family;
	memcpy(k + 2, t->dst.bytes, 16);
	k[18] = t->proto;
	k[19] = (uint8_t)t->port_lo;
	k[20] = (uint8_t)(t->port_lo >> 8);
	k[21] = (uint8_t)t->port_hi;
	k[22] = (uint8_t)(t->port_hi >> 8);
	for (size_t i = 0; i < sizeof(k); i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static int
target_same(const struct target *a, const struct target *b)
{
	return a->src_family == b->src_family && addr_eq(&a->dst, &b->dst) &&
	    a->proto == b->proto && a->port_lo == b->port_lo &&
	    a->port_hi == b->port_hi;
}

/* Rebuild the hash of targets in use with room for at least n of them. */
static int
target_reindex(struct openings *o, size_t n)
{
	size_t cap = 16;
	uint32_t *idx;

	while (cap < 2 * n)
		cap *= 2;
	if ((idx = calloc(cap, sizeof(*idx))) == NULL)
		return -1;
	for (uint32_t t = 0; t < o->ntg; t++) {
		size_t i;

		if (o->tg[t].refs == 0)
			continue;
		for (i = target_hash(&o->tg[t]) & (cap - 1); idx[i];
		    i = (i + 1) & (cap - 1))
			;
		idx[i] = t + 1;
	}
	free(o->tgidx);
	o->tgidx = idx;
	o->tgmask = cap - 1;
	return 0;
}

/* The number of e's target, made if new, with one more reference; or -1. */
static long
target_ref(struct openings *o, const struct fw_elem *e)
{
	struct target key = target_of(e);
	size_t i;
	uint32_t t;

	for (i = target_hash(&key) & o->tgmask; o->tgidx[i]; i = (i + 1) & o->tgmask) {
		struct target *x = &o->tg[o->tgidx[i] - 1];

		if (x->refs > 0 && target_same(x, &key)) {
			x->refs++;
			return (long)o->tgidx[i] - 1;
		}
	}
	/* New: a free slot, else a new one; then rehash (drops freed ones). */
	for (t = 0; t < o->ntg && o->tg[t].refs > 0; t++)
		;
	if (t == o->ntg) {
		if (o->ntg == o->captg) {
			uint32_t cap = o->captg ? o->captg * 2 : 16;
			struct target *tg = realloc(o->tg, cap * sizeof(*tg));

			if (tg == NULL)
				return -1;
			o->tg = tg;
			o->captg = cap;
		}
		o->ntg++;
	}
	o->tg[t] = key;
	o->tg[t].refs = 1;
	if (target_reindex(o, o->ntg) != 0) {
		o->tg[t].refs = 0;
		return -1;
	}
	return (long)t;
}

static void
target_unref(struct openings *o, uint32_t t)
{
	o->tg[t].refs--;
}

/* The full opening a record stands for. */
static void
expand(const struct openings *o, const struct rec *r, struct opening *out)
{
	const struct target *t = &o->tg[r->target];

	memset(out, 0, sizeof(*out));
	out->e.src.family = t->src_family;
	memcpy(out->e.src.bytes, r->src, 16);
	out->e.dst = t->dst;
	out->e.proto = t->proto;
	out->e.port_lo = t->port_lo;
	out->e.port_hi = t->port_hi;
	out->expires_ms = r->expires_ms;
}

/* --- the index -------------------------------------------------------------- */

struct openings *
openings_new(void)
{
	struct openings *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->cap = 64;
	o->tab = calloc(o->cap, sizeof(*o->tab));
	if (o->tab == NULL || target_reindex(o, 0) != 0) {
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
	for (size_t i = 0; o->tab != NULL && i < o->cap; i++)
		free(o->tab[i].v);
	free(o->tab);
	free(o->tg);
	free(o->tgidx);
	free(o);
}

/* Room for one more record: grow by half (openings per agent are few). */
static int
reserve(struct per_agent *p)
{
	uint32_t cap;
	struct rec *v;

	if (p->n < p->cap)
		return 0;
	cap = p->cap < 2 ? p->cap + 1 : p->cap + p->cap / 2;
	if ((v = realloc(p->v, cap * sizeof(*v))) == NULL)
		return -1;
	p->v = v;
	p->cap = cap;
	return 0;
}

/* Give back the room of removed records (to exactly what is left). */
static void
shrink(struct per_agent *p)
{
	struct rec *v;

	if (p->n == 0) {
		free(p->v);
		p->v = NULL;
		p->cap = 0;
	} else if (p->n < p->cap / 2 && (v = realloc(p->v, p->n * sizeof(*v))) != NULL) {
		p->v = v;
		p->cap = p->n;
	}
}

int
openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms)
{
	struct per_agent *p = lookup_or_add(o, keys_id64(id));
	long t;

	if (p == NULL || (t = target_ref(o, e)) < 0)
		return -1;
	for (uint32_t i = 0; i < p->n; i++) {
		if (p->v[i].target == (uint32_t)t &&
		    memcmp(p->v[i].src, e->src.bytes, 16) == 0) {
			p->v[i].expires_ms = expires_ms;
			target_unref(o, (uint32_t)t);
			return 0;
		}
	}
	if (reserve(p) != 0) {
		target_unref(o, (uint32_t)t);
		return -1;
	}
	p->v[p->n].expires_ms = expires_ms;
	memcpy(p->v[p->n].src, e->src.bytes, 16);
	p->v[p->n].target = (uint32_t)t;
	p->n++;
	o->total++;
	return 0;
}

/* Copy p's openings (with live_only, those not yet expired) to *out
 * (malloc'd); returns their count or -1. */
static long
copy_out(const struct openings *o, const struct per_agent *p, uint64_t now_ms,
    int live_only, struct opening **out)
{
	long k = 0;

	if ((*out = malloc(p->n * sizeof(**out))) == NULL)
		return -1;
	for (uint32_t i = 0; i < p->n; i++)
		if (!live_only || p->v[i].expires_ms > now_ms)
			expand(o, &p->v[i], &(*out)[k++]);
	return k;
}

long
openings_take(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	struct per_agent *p = lookup(o, keys_id64(id));
	long n;

	*out = NULL;
	if (p == NULL || p->n == 0)
		return 0;
	if ((n = copy_out(o, p, now_ms, 0, out)) < 0)
		return -1;
	for (uint32_t i = 0; i < p->n; i++)
		target_unref(o, p->v[i].target);
	o->total -= p->n;
	p->n = 0;
	shrink(p);
	return n;
}

long
openings_end(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	struct per_agent *p = lookup(o, keys_id64(id));
	long n;

	*out = NULL;
	if (p == NULL || p->n == 0)
		return 0;
	if ((n = copy_out(o, p, now_ms, 1, out)) < 0)
		return -1;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i].expires_ms > now_ms)
			p->v[i].expires_ms = now_ms;
	return n;
}

void
openings_prune(struct openings *o, uint64_t now_ms)
{
	for (size_t i = 0; i < o->cap; i++) {
		struct per_agent *p = &o->tab[i];
		uint32_t live = 0;

		if (!p->used || p->n == 0)
			continue;
		for (uint32_t j = 0; j < p->n; j++) {
			if (p->v[j].expires_ms + OPENINGS_KEEP_MS > now_ms)
				p->v[live++] = p->v[j];
			else
				target_unref(o, p->v[j].target);
		}
		if (live == p->n)
			continue;
		o->total -= p->n - live;
		p->n = live;
		shrink(p);
	}
}

size_t
openings_count(const struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms)
{
	const struct per_agent *p = lookup(o, keys_id64(id));
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (uint32_t i = 0; i < p->n; i++)
		n += p->v[i].expires_ms > now_ms;
	return n;
}

size_t
openings_total(const struct openings *o)
{
	return o->total;
}

size_t
openings_bytes(const struct openings *o)
{
	size_t b = sizeof(*o) + o->cap * sizeof(*o->tab) +
	    o->captg * sizeof(*o->tg) + (o->tgmask + 1) * sizeof(*o->tgidx);

	for (size_t i = 0; i < o->cap; i++)
		b += o->tab[i].cap * sizeof(struct rec);
	return b;
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
		uint32_t keep = 0;

		if (!p->used)
			continue;
		for (uint32_t j = 0; j < p->n; j++) {
			struct opening op;

			expand(o, &p->v[j], &op);
			if (!fn(p->id, &op, arg)) {
				p->v[keep++] = p->v[j];
				continue;
			}
			if (*nremoved == cap) {
				struct opening *v;
				cap = cap ? cap * 2 : 16;
				v = realloc(*removed, cap * sizeof(*v));
				if (v == NULL) {
					/* Keep what is not yet handed out. */
					for (; j < p->n; j++)
						p->v[keep++] = p->v[j];
					o->total -= p->n - keep;
					p->n = keep;
					return -1;
				}
				*removed = v;
			}
			(*removed)[(*nremoved)++] = op;
			target_unref(o, p->v[j].target);
		}
		o->total -= p->n - keep;
		p->n = keep;
		if (keep < p->cap)
			shrink(p);
	}
	return 0;
}
