/* SPDX-License-Identifier: ISC */
/* The compact records behind the index of openings, kept in lists. */
#ifndef SPA_OPRECS_H
#define SPA_OPRECS_H

/*
 * An opening is a 16-byte record: its source address (an IPv4 address
 * itself, an IPv6 one by the number of its interned copy), its expiry
 * (milliseconds after the store's base time), the number of its target
 * (what it opens: source family, destination, protocol, ports; few,
 * interned and shared) and the number of the next record in its list.
 *
 * All records live in one array mapped on its own (it grows with mremap, so
 * no copy and no heap fragments; pages never used are never resident);
 * records are numbered from 1, so that 0 ends a list, and freed ones are
 * reused first. The caller holds the heads of the lists (one per agent) and
 * walks them with oprecs_next.
 */

#include <stddef.h>
#include <stdint.h>

#include "intern.h"
#include "openings.h"

struct oprecs_rec {
	uint32_t src;			/* IPv4: the address; else: src6 slot */
	uint32_t exp;			/* expiry - base, in ms */
	uint32_t target;
	uint32_t next;			/* the list's next record; 0: none */
};

struct oprecs {
	struct oprecs_rec *r;		/* r[0] unused */
	uint32_t n, cap;		/* records handed out (and 1), mapped */
	uint32_t free;			/* list of freed records; 0: none */
	size_t live;			/* records in lists */
	uint64_t base;			/* expiries are stored as ms after it */
	struct intern tg, src6;
};

/* An empty store; 0 or -1. */
int oprecs_init(struct oprecs *s);
/* Unmap and free everything (a zeroed store is a no-op). */
void oprecs_free(struct oprecs *s);

/* Set the expiry of e's record in the list at *head, or append one for it
 * (a list keeps the order its records were made in): 0 if it was there, 1
 * if appended, -1 if out of memory. Expiries follow the clock within 49
 * days (see openings_add). */
int oprecs_put(struct oprecs *s, uint32_t *head, const struct fw_elem *e,
    uint64_t expires_ms);

/* Unlink the record *link names (*link becomes the next one) and free it. */
void oprecs_drop(struct oprecs *s, uint32_t *link);

/* Free every record of the list at *head (then 0). */
void oprecs_drop_all(struct oprecs *s, uint32_t *head);

/* Free the records from the one *link names on, to the list's end, whose
 * expiry + keep_ms is not after now_ms; returns how many; *seen counts the
 * records looked at. */
uint32_t oprecs_prune_at(struct oprecs *s, uint32_t *link, uint64_t now_ms,
    uint64_t keep_ms, size_t *seen);

/* Set record k's expiry (to the millisecond, within the window). */
void oprecs_set_expires(struct oprecs *s, uint32_t k, uint64_t expires_ms);

/* The full opening record k stands for. */
void oprecs_expand(const struct oprecs *s, uint32_t k, struct opening *out);

/* Rebuild the records into the smallest array that holds them with room to
 * spare, each list's side by side, and the IPv6 sources into a set of their
 * own size; heads[0..n) are all the lists, rewritten. Nothing changes if the
 * array would be no smaller or memory runs out. */
void oprecs_compact(struct oprecs *s, uint32_t *heads, size_t n);

/* 1 once at most a quarter of the array is in use: time to compact. */
int oprecs_sparse(const struct oprecs *s);

/* Bytes the store holds (records handed out, targets, sources). */
size_t oprecs_bytes(const struct oprecs *s);

/* Record k's expiry. Inline, as are the links: a prune reads every
 * record. */
static inline uint64_t
oprecs_expires(const struct oprecs *s, uint32_t k)
{
	return s->base + s->r[k].exp;
}

/* oprecs_prune_at for the list at *head, inline up to the first record to
 * free: most lists a sweep looks at have none. */
static inline uint32_t
oprecs_prune(struct oprecs *s, uint32_t *head, uint64_t now_ms,
    uint64_t keep_ms, size_t *seen)
{
	for (uint32_t *link = head; *link != 0; link = &s->r[*link].next, ++*seen)
		if (oprecs_expires(s, *link) + keep_ms <= now_ms)
			return oprecs_prune_at(s, link, now_ms, keep_ms, seen);
	return 0;
}

/* The place of the link to the record after k, and that record (0: none). */
static inline uint32_t *
oprecs_link(struct oprecs *s, uint32_t k)
{
	return &s->r[k].next;
}

static inline uint32_t
oprecs_next(const struct oprecs *s, uint32_t k)
{
	return s->r[k].next;
}

#endif
