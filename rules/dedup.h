/* SPDX-License-Identifier: ISC */
#ifndef SPA_DEDUP_H
#define SPA_DEDUP_H

/*
 * Deduplication while a table is built: equal byte strings are copied into an
 * arena once and shared. The set itself is only needed while building; the
 * copies belong to the arena and outlive it.
 */

#include <stddef.h>

#include "arena.h"

struct dedup;

/* An empty set copying into ar; NULL if out of memory. */
struct dedup *dedup_new(struct arena *ar);

/* The arena's copy of the n bytes at p (made now, or the one made for equal
 * bytes before), aligned for pointers; NULL if out of memory. */
const void *dedup_copy(struct dedup *d, const void *p, size_t n);

/* Free the set (not the copies); NULL is a no-op. */
void dedup_free(struct dedup *d);

#endif
