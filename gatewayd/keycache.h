/* SPDX-License-Identifier: ISC */
#ifndef SPA_KEYCACHE_H
#define SPA_KEYCACHE_H

/*
 * Per-agent runtime state: the knock key (X25519, a scalar multiplication:
 * derived after the load in the background, on a thread that runs only on
 * idle CPU time, or for the agent's first knock if that comes sooner; then
 * cached) and the agent's rate-limit bucket. Kept apart from the agent
 * database: a reload keeps the states of agents that may still knock and
 * wipes the others' (agents that come and go do not pile up); an entry whose
 * public key changed is derived again.
 */

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "bucket.h"

struct agent_state {
	uint64_t id;
	uint8_t pk[KEY_PK_LEN];
	uint8_t key[KEY_SESSION_LEN];
	struct bucket bucket;
};

struct keycache;

/* gw_sk/gw_pk: the gateway's identity, copied into locked memory. */
struct keycache *keycache_new(const uint8_t gw_sk[KEY_SK_LEN],
    const uint8_t gw_pk[KEY_PK_LEN]);
/* Wipes every key. */
void keycache_free(struct keycache *kc);

/* The state of the agent with this key id and public key, deriving its knock
 * key if needed; NULL if the public key is unusable or memory runs out. */
struct agent_state *keycache_get(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN]);

/* The same in three steps, so that the derivation can run on another thread:
 * find only (NULL: not cached, or cached for another public key); derive
 * (reads only the gateway's key, which never changes: safe on any thread;
 * -1 if the public key is unusable); put a derived key (a new public key
 * under a known key id replaces the old; NULL if memory runs out). */
struct agent_state *keycache_find(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN]);
int keycache_derive(const struct keycache *kc, const uint8_t pk[KEY_PK_LEN],
    uint8_t key[KEY_SESSION_LEN]);
struct agent_state *keycache_put(struct keycache *kc, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN], const uint8_t key[KEY_SESSION_LEN]);

/* Keep only the states keep() says yes to (by id64 and public key); the
 * others' keys are wiped. Pointers to states are invalid afterwards. The
 * number dropped. */
size_t keycache_prune(struct keycache *kc,
    int (*keep)(uint64_t id64, const uint8_t pk[KEY_PK_LEN], void *arg), void *arg);

/* Knock keys cached. */
size_t keycache_count(const struct keycache *kc);

#endif
