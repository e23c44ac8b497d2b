/* SPDX-License-Identifier: ISC */
/* Tests of the knock-key cache: derived once, found again, pruned. */
/*
 * The cache of per-agent knock keys: every agent's key is derived once and
 * found again, across the growth of the array and its hash; a new public
 * key under a known key id is derived again; a prune keeps exactly what it
 * is told to, keys and buckets intact.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keycache.h"
#include "keys.h"
#include "t.h"

#define N 3000

static uint8_t pk[N][KEY_PK_LEN], id[N][KEY_ID_LEN];

/* keycache_prune: agents 2, 4, 6... (by key id and public key). */
static int
even(uint64_t id64, const uint8_t p[KEY_PK_LEN], void *arg)
{
	(void)arg;
	for (int i = 2; i < N; i += 2)
		if (keys_id64(id[i]) == id64 && memcmp(pk[i], p, KEY_PK_LEN) == 0)
			return 1;
	return 0;
}

static int
none(uint64_t id64, const uint8_t p[KEY_PK_LEN], void *arg)
{
	(void)id64, (void)p, (void)arg;
	return 0;
}

int
main(void)
{
	uint8_t gw_pk[KEY_PK_LEN], gw_sk[KEY_SK_LEN], sk[KEY_SK_LEN];
	uint8_t want[KEY_SESSION_LEN];
	struct keycache *kc;
	struct agent_state *s;
	int bad = 0;

	if (sodium_init() < 0)
		return 2;
	crypto_sign_keypair(gw_pk, gw_sk);
	T_CHECK((kc = keycache_new(gw_sk, gw_pk)) != NULL);
	if (kc == NULL)
		return T_DONE();
	for (int i = 0; i < N; i++) {
		crypto_sign_keypair(pk[i], sk);
		keys_id(pk[i], id[i]);
		s = keycache_get(kc, id[i], pk[i]);
		bad += s == NULL || s->id != keys_id64(id[i]);
		if (s != NULL)
			s->bucket.last_ms = (uint64_t)i + 1;	/* marks it */
	}
	T_CHECK(bad == 0);

	/* Each is found again, with its own key and its own bucket. */
	for (int i = 0; i < N; i++) {
		s = keycache_get(kc, id[i], pk[i]);
		bad += s == NULL || s->bucket.last_ms != (uint64_t)i + 1 ||
		    memcmp(s->pk, pk[i], KEY_PK_LEN) != 0;
		bad += keys_session(gw_sk, pk[i], pk[i], gw_pk, want) != 0 ||
		    s == NULL || memcmp(s->key, want, sizeof(want)) != 0;
	}
	T_CHECK(bad == 0);

	/* Agent 0's key id now comes with agent 1's public key: derived
	 * again, bucket reset; agent 1 itself is untouched. */
	s = keycache_get(kc, id[0], pk[1]);
	T_CHECK(s != NULL && s->bucket.last_ms == 0 &&
	    memcmp(s->pk, pk[1], KEY_PK_LEN) == 0);
	T_CHECK(keys_session(gw_sk, pk[1], pk[1], gw_pk, want) == 0 &&
	    s != NULL && memcmp(s->key, want, sizeof(want)) == 0);
	s = keycache_get(kc, id[1], pk[1]);
	T_CHECK(s != NULL && s->bucket.last_ms == 2);

	/* In three steps, as the engine does with workers: not found until
	 * put; derived as keys_session does; a second put (two first knocks
	 * were in flight) keeps the state and its bucket. */
	{
		uint8_t npk[KEY_PK_LEN], nid[KEY_ID_LEN], key[KEY_SESSION_LEN];

		crypto_sign_keypair(npk, sk);
		keys_id(npk, nid);
		T_CHECK(keycache_find(kc, nid, npk) == NULL);
		T_CHECK(keycache_find(kc, id[2], pk[3]) == NULL);
		T_CHECK(keycache_derive(kc, npk, key) == 0 &&
		    keys_session(gw_sk, npk, npk, gw_pk, want) == 0 &&
		    memcmp(key, want, sizeof(want)) == 0);
		s = keycache_put(kc, nid, npk, key);
		T_CHECK(s != NULL && keycache_find(kc, nid, npk) == s);
		if (s != NULL)
			s->bucket.last_ms = 77;
		T_CHECK(keycache_put(kc, nid, npk, key) == s && s != NULL &&
		    s->bucket.last_ms == 77 && memcmp(s->key, want, sizeof(want)) == 0);
	}

	/* An unusable public key gives no state. */
	{
		uint8_t zero[KEY_PK_LEN] = { 0 }, zid[KEY_ID_LEN];

		keys_id(zero, zid);
		T_CHECK(keycache_get(kc, zid, zero) == NULL);
		T_CHECK(keycache_derive(kc, zero, want) != 0);
	}
	/* Pruned to the even agents: the odd ones are gone, the even ones
	 * keep their key and bucket, and new ones still go in. */
	{
		size_t before = keycache_count(kc), kept = (N + 1) / 2 - 1;

		T_CHECK(keycache_prune(kc, even, NULL) == before - kept);
		T_CHECK(keycache_count(kc) == kept);
		for (int i = 2; i < N; i++) {
			s = keycache_find(kc, id[i], pk[i]);
			if (i % 2 != 0) {
				bad += s != NULL;
				continue;
			}
			bad += keys_session(gw_sk, pk[i], pk[i], gw_pk, want) != 0 ||
			    s == NULL || memcmp(s->key, want, sizeof(want)) != 0 ||
			    s->bucket.last_ms != (uint64_t)i + 1;
		}
		T_CHECK(bad == 0);
		T_CHECK(keycache_prune(kc, even, NULL) == 0);
		for (int i = 1; i < N; i += 2)
			bad += keycache_get(kc, id[i], pk[i]) == NULL;
		T_CHECK(bad == 0 && keycache_count(kc) == before - 2);
		T_CHECK(keycache_prune(kc, none, NULL) == before - 2 &&
		    keycache_count(kc) == 0 && keycache_find(kc, id[2], pk[2]) == NULL);
	}
	keycache_free(kc);
	return T_DONE();
}
