/* SPDX-License-Identifier: ISC */
/* Key ids and the knock key an agent and a gateway share. */
#include <string.h>

#include "keys.h"

static const char id_ctx[] = "spa-gateway key id v1";
static const char kdf_ctx[] = "spa-gateway knock key v1";

void
keys_id(const uint8_t pk[KEY_PK_LEN], uint8_t id[KEY_ID_LEN])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)id_ctx, sizeof(id_ctx) - 1);
	crypto_generichash_update(&st, pk, KEY_PK_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(id, h, KEY_ID_LEN);
}

uint64_t
keys_id64(const uint8_t id[KEY_ID_LEN])
{
	uint64_t v = 0;

	for (int i = KEY_ID_LEN - 1; i >= 0; i--)
		v = (v << 8) | id[i];
	return v;
}

void
keys_id_unpack(uint64_t id64, uint8_t id[KEY_ID_LEN])
{
	for (int i = 0; i < KEY_ID_LEN; i++)
		id[i] = (uint8_t)(id64 >> (8 * i));
}

int
keys_session(const uint8_t my_sk[KEY_SK_LEN], const uint8_t peer_pk[KEY_PK_LEN],
    const uint8_t agent_pk[KEY_PK_LEN], const uint8_t gw_pk[KEY_PK_LEN],
    uint8_t key[KEY_SESSION_LEN])
{
	uint8_t xsk[crypto_scalarmult_curve25519_BYTES];
	uint8_t xpk[crypto_scalarmult_curve25519_BYTES];
	uint8_t shared[crypto_scalarmult_curve25519_BYTES];
	crypto_generichash_state st;
	int ret = -1;

	if (crypto_sign_ed25519_pk_to_curve25519(xpk, peer_pk) != 0)
		goto out;
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, my_sk) != 0)
		goto out;
	if (crypto_scalarmult_curve25519(shared, xsk, xpk) != 0)
		goto out;
	crypto_generichash_init(&st, NULL, 0, KEY_SESSION_LEN);
	crypto_generichash_update(&st, (const uint8_t *)kdf_ctx, sizeof(kdf_ctx) - 1);
	crypto_generichash_update(&st, shared, sizeof(shared));
	crypto_generichash_update(&st, agent_pk, KEY_PK_LEN);
	crypto_generichash_update(&st, gw_pk, KEY_PK_LEN);
	crypto_generichash_final(&st, key, KEY_SESSION_LEN);
	sodium_memzero(&st, sizeof(st));
	ret = 0;
out:
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(shared, sizeof(shared));
	return ret;
}
