/* SPDX-License-Identifier: ISC */
/* Per-agent knock keys and budgets, derived once, kept in locked memory. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keycache.h"
#include "log.h"
#include "table.h"

/*
 * The states in one dense array (locked in memory: it holds keys), found
 * by key id through a hash of state numbers (table.h) with twice the
 * array's room, so both grow together: 100,000 agents cost their 88-byte
 * states and 1 MiB of hash, not twice their states.
 */
struct keycache {
	uint8_t *gw;			/* sodium_malloc: sk (64) || pk (32) */
	struct agent_state *st;
	size_t n, capst;
	struct table idx;
};

/* Locks are per page, not counted: lock an array only once the one it
 * replaces is unlocked, or a page they share would end up unlocked. */
static void
lock_states(struct agent_state *t, size_t cap)
{
	static int told;

	/* Best effort: said once, since the keys may then be swapped out. */
	if (sodium_mlock(t, cap * sizeof(*t)) != 0 && !told) {
		told = 1;
		log_warn("cannot lock %zu KiB of knock keys in memory (RLIMIT_MEMLOCK; "
		    "the unit sets LimitMEMLOCK=): they may be swapped out",
		    cap * sizeof(*t) / 1024);
	}
}

static void
free_states(struct agent_state *t, size_t cap)
{
	if (t == NULL)
		return;
	sodium_munlock(t, cap * sizeof(*t));		/* also wipes */
	free(t);
}

struct keycache *
keycache_new(const uint8_t gw_sk[KEY_SK_LEN], const uint8_t gw_pk[KEY_PK_LEN])
{
	struct keycache *kc = calloc(1, sizeof(*kc));

	if (kc == NULL)
		return NULL;
	kc->capst = 512;
	kc->gw = sodium_malloc(KEY_SK_LEN + KEY_PK_LEN);
	if ((kc->st = calloc(kc->capst, sizeof(*kc->st))) != NULL)
		lock_states(kc->st, kc->capst);
	if (kc->gw == NULL || kc->st == NULL ||
	    table_init(&kc->idx, kc->capst) != 0) {
		keycache_free(kc);
		return NULL;
	}
	memcpy(kc->gw, gw_sk, KEY_SK_LEN);
	memcpy(kc->gw + KEY_SK_LEN, gw_pk, KEY_PK_LEN);
	return kc;
}

void
keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	if (kc->gw != NULL)
		sodium_free(kc->gw);
	free_states(kc->st, kc->capst);
	table_free(&kc->idx);
	free(kc);
}

/* Put states 0..n-1 into an empty hash: a key id is a hash already. */
static void
index_states(const struct agent_state *st, size_t n, struct table *idx)
{
	for (size_t k = 0; k < n; k++)
		table_add(idx, st[k].id, (uint32_t)k);
}

/* Room for one more state: the array and the hash both double. */
static int
grow(struct keycache *kc)
{
	struct agent_state *t;
	struct table idx;
	size_t cap = kc->capst * 2;

	if (cap > UINT32_MAX / 2 || table_init(&idx, cap) != 0)
		return -1;
	if ((t = calloc(cap, sizeof(*t))) == NULL) {
		table_free(&idx);
		return -1;
	}
	memcpy(t, kc->st, kc->n * sizeof(*t));
	index_states(t, kc->n, &idx);
	free_states(kc->st, kc->capst);
	lock_states(t, cap);
	table_free(&kc->idx);
	kc->st = t;
	kc->capst = cap;
	kc->idx = idx;
	return 0;
}

/* The state under id64, or NULL. Inline: keycache_find runs on every
 * knock. */
static inline struct agent_state *
lookup(const struct keycache *kc, uint64_t id64)
{
	size_t at;

	for (uint32_t x = table_first(&kc->idx, id64, &at); x != TABLE_END;
	    x = table_next(&kc->idx, &at))
		if (kc->st[x].id == id64)
			return &kc->st[x];
	return NULL;
}

struct agent_state *
keycache_find(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN])
{
	struct agent_state *s = lookup(kc, keys_id64(id));

	return s != NULL && memcmp(s->pk, pk, KEY_PK_LEN) == 0 ? s : NULL;
}

int
keycache_derive(const struct keycache *kc, const uint8_t pk[KEY_PK_LEN],
    uint8_t key[KEY_SESSION_LEN])
{
	return keys_session(kc->gw, pk, pk, kc->gw + KEY_SK_LEN, key);
}

struct agent_state *
keycache_put(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN], const uint8_t key[KEY_SESSION_LEN])
{
	uint64_t id64 = keys_id64(id);
	struct agent_state *s;

	if ((s = lookup(kc, id64)) != NULL) {
		/* Two first knocks were in flight: the state stays as it is. */
		if (memcmp(s->pk, pk, KEY_PK_LEN) == 0)
			return s;
		/* Same key id, new public key (agent re-issued): replaced. */
	} else {
		/* The hash is full when the array is. */
		if (kc->n == kc->capst && grow(kc) != 0)
			return NULL;
		s = &kc->st[kc->n];
		s->id = id64;
		table_add(&kc->idx, id64, (uint32_t)kc->n);
		kc->n++;
	}
	memcpy(s->key, key, KEY_SESSION_LEN);
	memcpy(s->pk, pk, KEY_PK_LEN);
	memset(&s->bucket, 0, sizeof(s->bucket));
	return s;
}

struct agent_state *
keycache_get(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN])
{
	uint8_t key[KEY_SESSION_LEN];
	struct agent_state *s;

	if ((s = keycache_find(kc, id, pk)) != NULL)
		return s;
	s = keycache_derive(kc, pk, key) == 0 ? keycache_put(kc, id, pk, key) : NULL;
	sodium_memzero(key, sizeof(key));
	return s;
}

size_t
keycache_prune(struct keycache *kc,
    int (*keep)(uint64_t id64, const uint8_t pk[KEY_PK_LEN], void *arg), void *arg)
{
	size_t n = 0, dropped;

	for (size_t k = 0; k < kc->n; k++) {
		if (!keep(kc->st[k].id, kc->st[k].pk, arg))
			continue;
		if (n != k)
			kc->st[n] = kc->st[k];
		n++;
	}
	if (n == kc->n)
		return 0;
	sodium_memzero(&kc->st[n], (kc->n - n) * sizeof(*kc->st));
	table_clear(&kc->idx);
	index_states(kc->st, n, &kc->idx);
	dropped = kc->n - n;
	kc->n = n;
	return dropped;
}

size_t
keycache_count(const struct keycache *kc)
{
	return kc->n;
}
