#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "util.h"

/* Open addressing, at most half full; an empty slot has p == NULL. */
struct slot {
	uint64_t hash;
	const void *p;
	size_t n;
};

struct dedup {
	struct arena *ar;
	struct slot *tab;
	size_t mask, used;
};

struct dedup *
dedup_new(struct arena *ar)
{
	struct dedup *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->ar = ar;
	d->mask = 63;
	if ((d->tab = calloc(d->mask + 1, sizeof(*d->tab))) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static struct slot *
find(struct slot *tab, size_t mask, uint64_t h, const void *p, size_t n)
{
	size_t i;

	for (i = h & mask; tab[i].p != NULL; i = (i + 1) & mask)
		if (tab[i].hash == h && tab[i].n == n && memcmp(tab[i].p, p, n) == 0)
			break;
	return &tab[i];
}

static int
grow(struct dedup *d)
{
	size_t cap = 2 * (d->mask + 1);
	struct slot *tab = calloc(cap, sizeof(*tab));

	if (tab == NULL)
		return -1;
	for (size_t i = 0; i <= d->mask; i++)
		if (d->tab[i].p != NULL)
			*find(tab, cap - 1, d->tab[i].hash, d->tab[i].p,
			    d->tab[i].n) = d->tab[i];
	free(d->tab);
	d->tab = tab;
	d->mask = cap - 1;
	return 0;
}

const void *
dedup_copy(struct dedup *d, const void *p, size_t n)
{
	uint64_t h = util_hash(p, n, UTIL_HASH_INIT);
	struct slot *s = find(d->tab, d->mask, h, p, n);

	if (s->p != NULL)
		return s->p;
	if (2 * (d->used + 1) > d->mask + 1) {
		if (grow(d) != 0)
			return NULL;
		s = find(d->tab, d->mask, h, p, n);
	}
	if ((s->p = arena_dup(d->ar, p, n, _Alignof(void *))) == NULL)
		return NULL;
	s->hash = h;
	s->n = n;
	d->used++;
	return s->p;
}

void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	free(d->tab);
	free(d);
}
