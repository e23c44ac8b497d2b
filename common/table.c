/* SPDX-License-Identifier: ISC */
/* Sizing and filling of the open-addressing index of table.h. */
#include <stdlib.h>
#include <string.h>

#include "table.h"

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

size_t
table_bytes(const struct table *t)
{
	return t->slot == NULL ? 0 : (t->mask + 1) * sizeof(*t->slot);
}
