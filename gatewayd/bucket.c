/* SPDX-License-Identifier: ISC */
/* Token buckets: one token a take, refilled at a rate, capped at a burst. */
#include "bucket.h"

int
bucket_take(struct bucket *b, uint64_t now_ms, uint32_t rate, uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (b->last_ms == 0) {
		b->milli = cap;
	} else if (now_ms > b->last_ms) {
		b->milli += (now_ms - b->last_ms) * rate;
		if (b->milli > cap)
			b->milli = cap;
	}
	b->last_ms = now_ms;
	if (b->milli < 1000)
		return -1;
	b->milli -= 1000;
	return 0;
}
