/* SPDX-License-Identifier: ISC */
/* The per-source rate limit: buckets by keyed hash of the address. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bucket.h"
#include "srclimit.h"

struct src_slot {
	struct spa_addr addr;
	struct bucket b;
};

struct srclimit {
	struct src_slot *slot;
	size_t n;
	uint32_t rate, burst;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

struct srclimit *
srclimit_new(size_t slots, uint32_t rate, uint32_t burst)
{
	struct srclimit *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->slot = calloc(slots, sizeof(*s->slot))) == NULL) {
		free(s);
		return NULL;
	}
	s->n = slots;
	s->rate = rate;
	s->burst = burst;
	randombytes_buf(s->key, sizeof(s->key));
	return s;
}

void
srclimit_free(struct srclimit *s)
{
	if (s == NULL)
		return;
	free(s->slot);
	free(s);
}

int
srclimit_take(struct srclimit *s, const struct spa_addr *a, uint64_t now_ms)
{
	uint8_t h[crypto_shorthash_BYTES];
	struct src_slot *slot;
	uint64_t v;

	/* Keyed hash: a sender cannot aim at another source's slot. A
	 * collision resets the slot to a full bucket, never to an empty one. */
	crypto_shorthash(h, a->bytes, sizeof(a->bytes), s->key);
	memcpy(&v, h, sizeof(v));
	slot = &s->slot[v % s->n];
	if (!addr_eq(&slot->addr, a)) {
		slot->addr = *a;
		memset(&slot->b, 0, sizeof(slot->b));
	}
	return bucket_take(&slot->b, now_ms, s->rate, s->burst);
}
