/* SPDX-License-Identifier: ISC */
/* Deduplication while a table is built: equal byte strings copied once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "table.h"

/* The copies made, in order, found through a hash of their numbers
 * (table.h); each keeps its hash for the comparison and the rebuild. */
struct copy {
	uint64_t hash;
	const void *p;
	size_t n;
};

struct dedup {
	struct arena *ar;
	struct copy *v;
	size_t n, cap;
	struct table idx;
};

struct dedup *
dedup_new(struct arena *ar)
{
	struct dedup *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->ar = ar;
	d->cap = 32;
	if ((d->v = calloc(d->cap, sizeof(*d->v))) == NULL ||
	    table_init(&d->idx, d->cap) != 0) {
		dedup_free(d);
		return NULL;
	}
	return d;
}

/* Room for one more copy: the array and the hash both double. */
static int
grow(struct dedup *d)
{
	size_t cap = 2 * d->cap;
	struct copy *v;
	struct table idx;

	if (cap > UINT32_MAX / 2 || table_init(&idx, cap) != 0)
		return -1;
	if ((v = reallocarray(d->v, cap, sizeof(*v))) == NULL) {
		table_free(&idx);
		return -1;
	}
	d->v = v;
	d->cap = cap;
	for (size_t i = 0; i < d->n; i++)
		table_add(&idx, v[i].hash, (uint32_t)i);
	table_free(&d->idx);
	d->idx = idx;
	return 0;
}

const void *
dedup_copy(struct dedup *d, const void *p, size_t n)
{
	uint64_t h = table_hash(p, n);
	struct copy *c;
	size_t at;

	for (uint32_t x = table_first(&d->idx, h, &at); x != TABLE_END;
	    x = table_next(&d->idx, &at)) {
		c = &d->v[x];
		if (c->hash == h && c->n == n && memcmp(c->p, p, n) == 0)
			return c->p;
	}
	if (d->n == d->cap && grow(d) != 0)
		return NULL;
	c = &d->v[d->n];
	if ((c->p = arena_dup(d->ar, p, n, _Alignof(void *))) == NULL)
		return NULL;
	c->hash = h;
	c->n = n;
	table_add(&d->idx, h, (uint32_t)d->n);
	d->n++;
	return c->p;
}

void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	free(d->v);
	table_free(&d->idx);
	free(d);
}
