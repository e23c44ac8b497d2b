/* SPDX-License-Identifier: ISC */
/* A bump allocator for tables built once and only read, freed at once. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Big enough that the malloc header per chunk is noise, small enough that a
 * table of a few agents does not hold much unused. */
#define ARENA_CHUNK 16384

struct chunk {
	struct chunk *next;
	size_t size;			/* bytes of data */
	max_align_t data[];
};

struct arena {
	struct chunk *head;		/* the chunk being filled */
	size_t used;			/* bytes of head->data handed out */
	size_t bytes;
};

struct arena *
arena_new(void)
{
	struct arena *ar = calloc(1, sizeof(*ar));

	if (ar != NULL)
		ar->bytes = sizeof(*ar);
	return ar;
}

void *
arena_alloc(struct arena *ar, size_t n, size_t align)
{
	struct chunk *c = ar->head;
	size_t off = c != NULL ? (ar->used + align - 1) & ~(align - 1) : 0;
	size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

	if (c != NULL && off <= c->size && n <= c->size - off) {
		ar->used = off + n;
		return (char *)c->data + off;
	}
	if (size > SIZE_MAX - sizeof(*c) || (c = malloc(sizeof(*c) + size)) == NULL)
		return NULL;
	c->size = size;
	ar->bytes += sizeof(*c) + size;
	/* An item larger than a chunk gets one of its own, kept behind the
	 * chunk being filled so that its free room is not lost. */
	if (n > ARENA_CHUNK && ar->head != NULL) {
		c->next = ar->head->next;
		ar->head->next = c;
	} else {
		c->next = ar->head;
		ar->head = c;
		ar->used = n;
	}
	return c->data;
}

void *
arena_dup(struct arena *ar, const void *p, size_t n, size_t align)
{
	void *q = arena_alloc(ar, n, align);

	if (q != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

size_t
arena_bytes(const struct arena *ar)
{
	return ar != NULL ? ar->bytes : 0;
}

void
arena_free(struct arena *ar)
{
	struct chunk *c, *next;

	if (ar == NULL)
		return;
	for (c = ar->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(ar);
}
