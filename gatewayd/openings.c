#include <stdlib.h>
#include <string.h>

#include "openings.h"

struct per_agent {
	uint64_t id;
	int used;
	struct opening *v;
	size_t n, cap;
};

struct openings {
	struct per_agent *tab;
	size_t cap, used, total;
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

struct openings *
openings_new(void)
{
	struct openings *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->cap = 64;
	o->tab = calloc(o->cap, sizeof(*o->tab));
	if (o->tab == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

void
openings_free(struct openings *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->cap; i++)
		free(o->tab[i].v);
	free(o->tab);
	free(o);
}

static int
same(const struct fw_elem *a, const struct fw_elem *b)
{
	return addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst) &&
	    a->proto == b->proto && a->port_lo == b->port_lo &&
	    a->port_hi == b->port_hi;
}

int
openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms)
{
	struct per_agent *p = lookup_or_add(o, keys_id64(id));

	if (p == NULL)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		if (same(&p->v[i].e, e)) {
			p->v[i].e.timeout_ms = e->timeout_ms;
			p->v[i].expires_ms = expires_ms;
			return 0;
		}
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 2;
		struct opening *v = realloc(p->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].e = *e;
	p->v[p->n].expires_ms = expires_ms;
	p->n++;
	o->total++;
	return 0;
}

long
openings_take(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	struct per_agent *p = lookup(o, keys_id64(id));
	long n;

	(void)now_ms;
	*out = NULL;
	if (p == NULL || p->n == 0)
		return 0;
	n = (long)p->n;
	o->total -= p->n;
	*out = p->v;
	p->v = NULL;
	p->n = p->cap = 0;
	return n;
}

void
openings_prune(struct openings *o, uint64_t now_ms)
{
	for (size_t i = 0; i < o->cap; i++) {
		struct per_agent *p = &o->tab[i];
		size_t live = 0;

		if (!p->used || p->n == 0)
			continue;
		for (size_t j = 0; j < p->n; j++)
			if (p->v[j].expires_ms + OPENINGS_KEEP_MS > now_ms)
				p->v[live++] = p->v[j];
		o->total -= p->n - live;
		p->n = live;
		if (live == 0) {
			free(p->v);
			p->v = NULL;
			p->cap = 0;
		}
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
	for (size_t i = 0; i < p->n; i++)
		n += p->v[i].expires_ms > now_ms;
	return n;
}

size_t
openings_total(const struct openings *o)
{
	return o->total;
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
		size_t keep = 0;

		for (size_t j = 0; p->used && j < p->n; j++) {
			if (!fn(p->id, &p->v[j], arg)) {
				p->v[keep++] = p->v[j];
				continue;
			}
			if (*nremoved == cap) {
				struct opening *v;
				cap = cap ? cap * 2 : 16;
				v = realloc(*removed, cap * sizeof(*v));
				if (v == NULL)
					return -1;
				*removed = v;
			}
			(*removed)[(*nremoved)++] = p->v[j];
		}
		if (p->used) {
			o->total -= p->n - keep;
			p->n = keep;
		}
	}
	return 0;
}

long
openings_end(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	struct per_agent *p = lookup(o, keys_id64(id));
	size_t live = 0;

	*out = NULL;
	if (p == NULL || p->n == 0)
		return 0;
	*out = malloc(p->n * sizeof(**out));
	if (*out == NULL)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].expires_ms <= now_ms)
			continue;
		(*out)[live++] = p->v[i];
		p->v[i].expires_ms = now_ms;
	}
	return (long)live;
}
