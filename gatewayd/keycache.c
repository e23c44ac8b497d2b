#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keycache.h"
#include "log.h"

/*
 * The states in one dense array (locked in memory: it holds keys), found
 * through an open-addressing hash of state numbers (number + 1, 0 empty, at
 * most half full): 100,000 agents cost their 88-byte states and 1 MiB of
 * hash, not twice their states.
 */
struct keycache {
	uint8_t *gw;			/* sodium_malloc: sk (64) || pk (32) */
	struct agent_state *st;
	size_t n, capst;
	uint32_t *idx;
	size_t mask;
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
	kc->mask = 1023;
	kc->gw = sodium_malloc(KEY_SK_LEN + KEY_PK_LEN);
	if ((kc->st = calloc(kc->capst, sizeof(*kc->st))) != NULL)
		lock_states(kc->st, kc->capst);
	kc->idx = calloc(kc->mask + 1, sizeof(*kc->idx));
	if (kc->gw == NULL || kc->st == NULL || kc->idx == NULL) {
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
	free(kc->idx);
	free(kc);
}

/* Put states 0..n-1 into an empty hash (mask + 1 slots). */
static void
index_states(const struct agent_state *st, size_t n, uint32_t *idx, size_t mask)
{
	for (size_t k = 0; k < n; k++) {
		size_t j;

		for (j = st[k].id & mask; idx[j] != 0; j = (j + 1) & mask)
			;
		idx[j] = (uint32_t)k + 1;
	}
}

/* Room for one more state: the array and the hash both double. */
static int
grow(struct keycache *kc)
{
	struct agent_state *t;
	uint32_t *idx;
	size_t cap = kc->capst * 2, mask = kc->mask * 2 + 1;

	if (cap > UINT32_MAX / 2 || (idx = calloc(mask + 1, sizeof(*idx))) == NULL)
		return -1;
	if ((t = calloc(cap, sizeof(*t))) == NULL) {
		free(idx);
		return -1;
	}
	memcpy(t, kc->st, kc->n * sizeof(*t));
	index_states(t, kc->n, idx, mask);
	free_states(kc->st, kc->capst);
	lock_states(t, cap);
	free(kc->idx);
	kc->st = t;
	kc->capst = cap;
	kc->idx = idx;
	kc->mask = mask;
	return 0;
}

/* The state under id64, or NULL with *at where a new one goes. */
static struct agent_state *
lookup(const struct keycache *kc, uint64_t id64, size_t *at)
{
	size_t i;

	for (i = id64 & kc->mask; kc->idx[i] != 0; i = (i + 1) & kc->mask)
		if (kc->st[kc->idx[i] - 1].id == id64)
			return &kc->st[kc->idx[i] - 1];
	*at = i;
	return NULL;
}

struct agent_state *
keycache_find(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN])
{
	struct agent_state *s;
	size_t at;

	s = lookup(kc, keys_id64(id), &at);
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
	size_t at;

	if ((s = lookup(kc, id64, &at)) != NULL) {
		/* Two first knocks were in flight: the state stays as it is. */
		if (memcmp(s->pk, pk, KEY_PK_LEN) == 0)
			return s;
		/* Same key id, new public key (agent re-issued): replaced. */
	} else {
		if (kc->n == kc->capst) {
			if (grow(kc) != 0)
				return NULL;
			(void)lookup(kc, id64, &at);
		}
		s = &kc->st[kc->n];
		s->id = id64;
		kc->idx[at] = (uint32_t)kc->n + 1;
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
	memset(kc->idx, 0, (kc->mask + 1) * sizeof(*kc->idx));
	index_states(kc->st, n, kc->idx, kc->mask);
	dropped = kc->n - n;
	kc->n = n;
	return dropped;
}

size_t
keycache_count(const struct keycache *kc)
{
	return kc->n;
}
