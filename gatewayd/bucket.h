/* SPDX-License-Identifier: ISC */
/* Token buckets: the rate limits of agents, sources and the loop's own work. */
#ifndef SPA_BUCKET_H
#define SPA_BUCKET_H

#include <stdint.h>

struct bucket {
	uint64_t milli;			/* tokens x 1000 */
	uint64_t last_ms;
};

/* Take one token (rate per second, burst tokens); 0, or -1 when empty. A
 * bucket never used starts full. */
int bucket_take(struct bucket *b, uint64_t now_ms, uint32_t rate, uint32_t burst);

#endif
