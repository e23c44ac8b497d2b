/* SPDX-License-Identifier: ISC */
#ifndef SPA_OPENINGS_H
#define SPA_OPENINGS_H

/*
 * The daemon's own index of live openings, per agent: the kernel expires the
 * set elements by itself, but revocation must find all of one agent's
 * elements without dumping the sets. The openings themselves are compact
 * records (oprecs.h).
 *
 * The agents have a hash table of their own, not table.h's index: a slot
 * holds the agent itself (key id, first record, count: 16 bytes) and fills
 * up to four fifths, so a lookup reads one slot rather than a slot and then
 * an array of agents, and 100,000 agents take 2 MiB where an index and its
 * array would take half as much again.
 */

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "fw.h"

/* An opening as handed out (stored in a compact form; e.timeout_ms is 0). */
struct opening {
	struct fw_elem e;
	uint64_t expires_ms;
};

struct openings;

struct openings *openings_new(void);
void openings_free(struct openings *o);

/* Record (or refresh) an opening of an agent; 0 or -1. Expiries are held
 * to the millisecond within a window of 49 days that follows the clock
 * (openings last a day at most); after the clock jumps by more than that,
 * the openings from before the jump read as ending at the window's edge. */
int openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms);

/* Remove an agent's openings, live and recently expired, into *out
 * (malloc'd, caller frees); returns their count. */
long openings_take(struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms, struct opening **out);

/* End an agent's live openings now (they stay in the index, expired, for
 * OPENINGS_KEEP_MS); the ended ones are copied to *out (malloc'd, caller
 * frees); returns their count. */
long openings_end(struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms, struct opening **out);

/* Forget openings expired more than OPENINGS_KEEP_MS ago (kept that long so a
 * revocation can still find the connections they let in). */
#define OPENINGS_KEEP_MS (300 * 1000)
void openings_prune(struct openings *o, uint64_t now_ms);

/* The same in steps that never hold the loop for long: each call looks at
 * a bounded number of agents and records (8192) and carries on from there
 * the next time; returns 1 when it ended a whole pass. A pass over many
 * openings takes many calls (one per housekeeping tick), so a record may
 * outlive OPENINGS_KEEP_MS by that long. Both give the room
 * back once most of it is unused. */
int openings_sweep(struct openings *o, uint64_t now_ms);

/* Call fn for every opening; fn returns 1 to remove it (then it is copied to
 * *removed, malloc'd, counted in *nremoved), 0 to keep it. 0 or -1; after -1
 * (out of memory) *removed still holds what was taken out. */
typedef int (*openings_fn)(uint64_t id, const struct opening *op, void *arg);
int openings_filter(struct openings *o, openings_fn fn, void *arg,
    struct opening **removed, size_t *nremoved);

/* Call fn for every opening, in no particular order (fn's return is
 * ignored). */
void openings_each(const struct openings *o, openings_fn fn, void *arg);

/* Bytes the index holds (its tables and records, not the allocator's own
 * overhead). */
size_t openings_bytes(const struct openings *o);

/* Live openings of an agent, and in all. */
size_t openings_count(const struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms);
size_t openings_total(const struct openings *o);

#endif
