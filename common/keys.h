/* SPDX-License-Identifier: ISC */
#ifndef SPA_KEYS_H
#define SPA_KEYS_H

#include <stdint.h>

#include <sodium.h>

#define KEY_ID_LEN 8
#define KEY_PK_LEN crypto_sign_PUBLICKEYBYTES	/* 32 */
#define KEY_SK_LEN crypto_sign_SECRETKEYBYTES	/* 64: seed || public key */
#define KEY_SEED_LEN crypto_sign_SEEDBYTES	/* 32 */
#define KEY_SESSION_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES /* 32 */

/* Key id of an Ed25519 public key: BLAKE2b-256("spa-gateway key id v1" || pk)[0..8). */
void keys_id(const uint8_t pk[KEY_PK_LEN], uint8_t id[KEY_ID_LEN]);

/* Key id as a uint64 (little-endian read of the 8 bytes), for hashing. */
uint64_t keys_id64(const uint8_t id[KEY_ID_LEN]);
/* Its inverse: the 8 bytes of a key id from keys_id64's value. */
void keys_id_unpack(uint64_t id64, uint8_t id[KEY_ID_LEN]);

/*
 * The knock key shared by one agent and one gateway (PROTOCOL.md, "Knock key"):
 * X25519 between my Ed25519 secret key and the peer's Ed25519 public key, both
 * converted to Curve25519, hashed with both public keys. Either side computes the
 * same key. Returns -1 for a public key that is invalid or of low order.
 */
int keys_session(const uint8_t my_sk[KEY_SK_LEN], const uint8_t peer_pk[KEY_PK_LEN],
    const uint8_t agent_pk[KEY_PK_LEN], const uint8_t gw_pk[KEY_PK_LEN],
    uint8_t key[KEY_SESSION_LEN]);

#endif
