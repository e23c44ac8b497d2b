/* SPDX-License-Identifier: ISC */
#ifndef SPA_INTERN_H
#define SPA_INTERN_H

/*
 * Interned keys of one fixed size: each distinct key is stored once, in a
 * numbered slot, with a count of references; a slot whose count falls to 0
 * is reused. The index of openings keeps its targets and its IPv6 sources
 * here, so that a record names them in 4 bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define INTERN_KEY_MAX 32

struct intern {
	uint8_t *keys;			/* cap keys of size bytes */
	uint32_t *refs;			/* 0: a free slot */
	uint32_t n, cap;		/* slots made, room */
	uint32_t free;			/* free slots: number + 1, linked in keys */
	struct table idx;		/* slot numbers; stale ones too */
	size_t size, live;
};

/* An empty set of keys of size bytes (4..INTERN_KEY_MAX); 0 or -1. */
int intern_init(struct intern *t, size_t size);
void intern_free(struct intern *t);

/* The slot of key, made if new, with one more reference; or -1. */
long intern_ref(struct intern *t, const void *key);

/* One reference less to slot s (which must hold one). */
void intern_unref(struct intern *t, uint32_t s);

static inline const uint8_t *
intern_key(const struct intern *t, uint32_t s)
{
	return t->keys + (size_t)s * t->size;
}

/* Keys in use, and the bytes the set holds. */
size_t intern_live(const struct intern *t);
size_t intern_bytes(const struct intern *t);

#endif
