/* SPDX-License-Identifier: ISC */
/* Sizing, filling and hashing for the open-addressing index of table.h. */
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "util.h"

int
table_init(struct table *t, size_t n)
{
	size_t cap = TABLE_MIN;

	memset(t, 0, sizeof(*t));
	if (n > SIZE_MAX / 4 / sizeof(*t->slot))
		return -1;
	while (cap < 2 * n)
		cap *= 2;
	if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL)
		return -1;
	t->mask = cap - 1;
	return 0;
}

void
table_free(struct table *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

void
table_clear(struct table *t)
{
	if (t->slot == NULL)
		return;
	memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
	t->used = 0;
}

void
table_add(struct table *t, uint64_t h, uint32_t x)
{
	size_t i;

	for (i = (size_t)h & t->mask; t->slot[i] != 0; i = (i + 1) & t->mask)
		;
	t->slot[i] = x + 1;
	t->used++;
}

uint64_t
table_hash(const void *p, size_t n)
{
	uint64_t h = util_hash(p, n, UTIL_HASH_INIT);

	/* FNV's low bits depend weakly on the last bytes: fold the high ones
	 * in before they index a table. */
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ULL ^ (h >> 32);
}

size_t
table_bytes(const struct table *t)
{
	return t->slot == NULL ? 0 : (t->mask + 1) * sizeof(*t->slot);
}
