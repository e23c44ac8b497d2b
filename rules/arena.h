/* SPDX-License-Identifier: ISC */
#ifndef SPA_ARENA_H
#define SPA_ARENA_H

/*
 * A bump allocator over chunks that never move: what it hands out stays put
 * until arena_free releases everything at once. For tables built once and
 * then only read (agentdb's names and lists), it saves the malloc header and
 * rounding of each small item.
 */

#include <stddef.h>

struct arena;

/* An empty arena, or NULL if out of memory. */
struct arena *arena_new(void);

/* n bytes aligned to align (a power of two, at most alignof(max_align_t)),
 * uninitialised; NULL if out of memory. */
void *arena_alloc(struct arena *ar, size_t n, size_t align);

/* A copy of the n bytes at p, aligned as arena_alloc; NULL if out of memory. */
void *arena_dup(struct arena *ar, const void *p, size_t n, size_t align);

/* Bytes the arena holds from malloc (its chunks and itself). */
size_t arena_bytes(const struct arena *ar);

/* Free everything the arena handed out, and the arena; NULL is a no-op. */
void arena_free(struct arena *ar);

#endif
