/* SPDX-License-Identifier: ISC */
/* Interned keys: equal byte strings stored once, numbered, counted. */
#include <stdlib.h>
#include <string.h>

#include "intern.h"

/*
 * The hash (table.h) holds slot numbers. A freed slot keeps its entry
 * (stale: lookups skip slots with no reference, and compare keys), and a
 * reused slot gets a new one; the hash is rebuilt from the live slots when
 * entries of either kind would fill more than half of it.
 */

/* Rebuild the hash with room for twice the live keys and one more. */
static int
reindex(struct intern *t)
{
	struct table idx;

	if (table_init(&idx, 2 * (t->live + 1)) != 0)
		return -1;
	for (uint32_t s = 0; s < t->n; s++)
		if (t->refs[s] > 0)
			table_add(&idx, table_hash(intern_key(t, s), t->size), s);
	table_free(&t->idx);
	t->idx = idx;
	return 0;
}

int
intern_init(struct intern *t, size_t size)
{
	memset(t, 0, sizeof(*t));
	if (size < sizeof(t->free) || size > INTERN_KEY_MAX)
		return -1;
	t->size = size;
	return reindex(t);
}

void
intern_free(struct intern *t)
{
	free(t->keys);
	free(t->refs);
	table_free(&t->idx);
	memset(t, 0, sizeof(*t));
}

/* A slot for a new key: a freed one, else a new one; or -1. */
static long
slot(struct intern *t)
{
	uint32_t s;

	if (t->free != 0) {
		s = t->free - 1;
		memcpy(&t->free, intern_key(t, s), sizeof(t->free));
		return s;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		uint8_t *keys;
		uint32_t *refs;

		if (t->cap > UINT32_MAX / 4 ||
		    (keys = realloc(t->keys, (size_t)cap * t->size)) == NULL)
			return -1;
		t->keys = keys;
		if ((refs = realloc(t->refs, cap * sizeof(*refs))) == NULL)
			return -1;
		t->refs = refs;
		t->cap = cap;
	}
	t->refs[t->n] = 0;
	return t->n++;
}

long
intern_ref(struct intern *t, const void *key)
{
	uint64_t h = table_hash(key, t->size);
	size_t at;
	uint32_t x;
	long s;

	for (x = table_first(&t->idx, h, &at); x != TABLE_END;
	    x = table_next(&t->idx, &at)) {
		if (t->refs[x] > 0 && memcmp(intern_key(t, x), key, t->size) == 0) {
			if (t->refs[x] == UINT32_MAX)
				return -1;
			t->refs[x]++;
			return x;
		}
	}
	if (table_full(&t->idx) && reindex(t) != 0)
		return -1;
	if ((s = slot(t)) < 0)
		return -1;
	memcpy(t->keys + (size_t)s * t->size, key, t->size);
	t->refs[s] = 1;
	t->live++;
	table_add(&t->idx, h, (uint32_t)s);
	return s;
}

void
intern_unref(struct intern *t, uint32_t s)
{
	if (--t->refs[s] > 0)
		return;
	t->live--;
	/* Linked into the free slots through the first bytes of its key. */
	memcpy(t->keys + (size_t)s * t->size, &t->free, sizeof(t->free));
	t->free = s + 1;
}

size_t
intern_live(const struct intern *t)
{
	return t->live;
}

size_t
intern_bytes(const struct intern *t)
{
	return (size_t)t->cap * (t->size + sizeof(*t->refs)) +
	    table_bytes(&t->idx);
}
