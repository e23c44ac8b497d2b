/* SPDX-License-Identifier: ISC */
/* The knock's wire format: header, sealed body, signature (PROTOCOL.md). */
#include <string.h>

#include <sodium.h>

#include "knock.h"
#include "util.h"

static const uint8_t magic[2] = { 'S', 'K' };

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int
knock_parse_header(const uint8_t *pkt, size_t len, struct knock_hdr *h)
{
	if (len < KNOCK_MIN_LEN || len > KNOCK_MAX_LEN)
		return -1;
	if (pkt[0] != magic[0] || pkt[1] != magic[1] || pkt[2] != KNOCK_VERSION ||
	    pkt[3] != 0)
		return -1;
	memcpy(h->key_id, pkt + 4, KEY_ID_LEN);
	h->ts_ms = get_be64(pkt + 12);
	memcpy(h->nonce, pkt + 20, KNOCK_NONCE_LEN);
	h->body_len = (uint16_t)(pkt[44] << 8 | pkt[45]);
	if (h->body_len < KNOCK_BODY_FIXED || h->body_len > KNOCK_BODY_MAX ||
	    len != (size_t)KNOCK_OVERHEAD + h->body_len)
		return -1;
	return 0;
}

int
knock_open(const uint8_t *pkt, size_t len, const struct knock_hdr *h,
    const uint8_t key[KEY_SESSION_LEN], uint8_t *plain)
{
	unsigned long long plen = 0;

	(void)len;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
	    pkt + KNOCK_HDR_LEN, (unsigned long long)h->body_len + KNOCK_TAG_LEN,
	    pkt, KNOCK_HDR_LEN, h->nonce, key) == 0 && plen == h->body_len ? 0 : -1;
}

int
knock_verify_sig(const uint8_t *pkt, size_t len, const uint8_t pk[KEY_PK_LEN])
{
	if (len < KNOCK_MIN_LEN)
		return -1;
	return crypto_sign_verify_detached(pkt + len - KNOCK_SIG_LEN, pkt,
	    len - KNOCK_SIG_LEN, pk);
}

int
knock_parse_body(const uint8_t *p, size_t len, struct knock_body *b)
{
	size_t off = KNOCK_BODY_FIXED;

	if (len < KNOCK_BODY_FIXED || len > KNOCK_BODY_MAX)
		return -1;
	memset(b, 0, sizeof(*b));
	memcpy(b->gw_pk, p, KEY_PK_LEN);
	b->duration = (uint32_t)p[32] << 24 | (uint32_t)p[33] << 16 |
	    (uint32_t)p[34] << 8 | p[35];
	b->addr.family = p[36];
	memcpy(b->addr.bytes, p + 37, 16);
	b->nres = p[53];
	if (b->duration > KNOCK_MAX_DURATION || b->nres > KNOCK_MAX_RES)
		return -1;
	if (b->addr.family == 0) {
		if (!sodium_is_zero(b->addr.bytes, 16))
			return -1;
	} else if (b->addr.family == 4) {
		if (!sodium_is_zero(b->addr.bytes + 4, 12))
			return -1;
	} else if (b->addr.family != 6) {
		return -1;
	}
	for (unsigned i = 0; i < b->nres; i++) {
		size_t n;

		if (off >= len)
			return -1;
		n = p[off++];
		if (n == 0 || n > KNOCK_NAME_MAX || off + n > len)
			return -1;
		memcpy(b->res[i], p + off, n);
		b->res[i][n] = '\0';
		if (memchr(b->res[i], '\0', n) != NULL || !util_valid_name(b->res[i]))
			return -1;
		off += n;
	}
	return off == len ? 0 : -1;
}

/* Encode the body; returns its length, 0 on a bad body. */
static size_t
encode_body(uint8_t *p, const struct knock_body *b)
{
	size_t off = KNOCK_BODY_FIXED;

	if (b->nres > KNOCK_MAX_RES || b->duration > KNOCK_MAX_DURATION ||
	    (b->addr.family != 0 && b->addr.family != 4 && b->addr.family != 6))
		return 0;
	memcpy(p, b->gw_pk, KEY_PK_LEN);
	p[32] = (uint8_t)(b->duration >> 24);
	p[33] = (uint8_t)(b->duration >> 16);
	p[34] = (uint8_t)(b->duration >> 8);
	p[35] = (uint8_t)b->duration;
	p[36] = b->addr.family;
	memset(p + 37, 0, 16);
	if (b->addr.family != 0)
		memcpy(p + 37, b->addr.bytes, b->addr.family == 4 ? 4 : 16);
	p[53] = b->nres;
	for (unsigned i = 0; i < b->nres; i++) {
		size_t n = strlen(b->res[i]);

		if (!util_valid_name(b->res[i]) || off + 1 + n > KNOCK_BODY_MAX)
			return 0;
		p[off++] = (uint8_t)n;
		memcpy(p + off, b->res[i], n);
		off += n;
	}
	return off;
}

size_t
knock_build(uint8_t *out, struct knock_hdr *h, const struct knock_body *b,
    const uint8_t key[KEY_SESSION_LEN], const uint8_t agent_sk[KEY_SK_LEN])
{
	uint8_t plain[KNOCK_BODY_MAX];
	unsigned long long clen = 0;
	size_t blen, len;

	blen = encode_body(plain, b);
	if (blen == 0)
		return 0;
	h->body_len = (uint16_t)blen;
	out[0] = magic[0];
	out[1] = magic[1];
	out[2] = KNOCK_VERSION;
	out[3] = 0;
	memcpy(out + 4, h->key_id, KEY_ID_LEN);
	put_be64(out + 12, h->ts_ms);
	memcpy(out + 20, h->nonce, KNOCK_NONCE_LEN);
	out[44] = (uint8_t)(blen >> 8);
	out[45] = (uint8_t)blen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KNOCK_HDR_LEN, &clen,
	    plain, blen, out, KNOCK_HDR_LEN, NULL, h->nonce, key);
	sodium_memzero(plain, sizeof(plain));
	len = KNOCK_HDR_LEN + (size_t)clen;
	crypto_sign_detached(out + len, NULL, out, len, agent_sk);
	return len + KNOCK_SIG_LEN;
}
