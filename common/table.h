/* SPDX-License-Identifier: ISC */
/* An open-addressing hash index of entry numbers, shared by the modules. */
#ifndef SPA_TABLE_H
#define SPA_TABLE_H

/*
 * One behaviour for the project's hash tables (the two that keep their own,
 * of nonces and of agents with openings, say why in replay.h and
 * openings.h). The entries live in the caller's own array; a table finds
 * them by a 64-bit hash.
 *
 *   slot      an entry number + 1, 4 bytes; 0: empty
 *   capacity  a power of two, at least TABLE_MIN
 *   load      at most half full: table_full says when one more entry would
 *             pass that, and the caller rebuilds (table_init at the new size,
 *             table_add of every entry it still wants, table_free of the old;
 *             or table_clear and table_add at the same size)
 *   probe     from the hash's low bits, one slot at a time (wrapping) up to
 *             the first empty slot; the caller compares each candidate
 *   deletion  none in place (no tombstones, no shifting): an entry leaves
 *             with the next rebuild, or stays as a slot the caller's
 *             comparison rejects (a counted, stale slot)
 *
 * Hashes must spread in their low bits: key ids (themselves hashes) do as
 * they are, byte strings go through table_hash. The probe is inline so that
 * each lookup costs what a hand-written loop would.
 */

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TABLE_MIN 16
#define TABLE_END UINT32_MAX		/* no more candidates; not an entry */

struct table {
	uint32_t *slot;
	size_t mask;			/* capacity - 1 */
	size_t used;			/* slots filled, stale ones too */
};

/* An empty table that n entries fill at most half; 0 or -1 (then t is
 * zeroed). */
int table_init(struct table *t, size_t n);

/* Free the slots and zero t; a zeroed table is a no-op. */
void table_free(struct table *t);

/* Empty every slot, keeping the capacity. */
void table_clear(struct table *t);

/* Add entry x (below TABLE_END) under hash h; the caller has made room
 * (!table_full). Equal hashes, and even equal entries, may be added twice. */
void table_add(struct table *t, uint64_t h, uint32_t x);

/* Bytes the slots take. */
size_t table_bytes(const struct table *t);

/* 1 if one more entry would fill more than half the slots. */
static inline int
table_full(const struct table *t)
{
	return (t->used + 1) * 2 > t->mask + 1;
}

/* A hash of n bytes: FNV-1a, whose low bits depend weakly on the last
 * bytes, with the high bits folded in before they index a table. */
static inline uint64_t
table_hash(const void *p, size_t n)
{
	uint64_t h = util_hash(p, n, UTIL_HASH_INIT);

	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ULL ^ (h >> 32);
}

/* The first candidate entry for hash h, or TABLE_END; *at keeps the place
 * for table_next. */
static inline uint32_t
table_first(const struct table *t, uint64_t h, size_t *at)
{
	*at = (size_t)h & t->mask;
	return t->slot[*at] - 1;	/* an empty slot wraps to TABLE_END */
}

/* The next candidate on the same probe, or TABLE_END. */
static inline uint32_t
table_next(const struct table *t, size_t *at)
{
	*at = (*at + 1) & t->mask;
	return t->slot[*at] - 1;
}

#endif
