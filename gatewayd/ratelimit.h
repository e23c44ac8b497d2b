#ifndef SPA_RATELIMIT_H
#define SPA_RATELIMIT_H

/* Token buckets: per agent (embedded) and per source address (a fixed table). */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct bucket {
	uint64_t milli;			/* tokens x 1000 */
	uint64_t last_ms;
};

/* Take one token (rate per second, burst tokens); 0, or -1 when empty. */
int bucket_take(struct bucket *b, uint64_t now_ms, uint32_t rate, uint32_t burst);

struct srclimit;

/* A table of slots buckets keyed by source address; NULL on error. */
struct srclimit *srclimit_new(size_t slots, uint32_t rate, uint32_t burst);
void srclimit_free(struct srclimit *s);
int srclimit_take(struct srclimit *s, const struct spa_addr *a, uint64_t now_ms);

#endif
