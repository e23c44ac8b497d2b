/* SPDX-License-Identifier: ISC */
#ifndef SPA_KNOCK_H
#define SPA_KNOCK_H

/*
 * The knock wire format, version 1 (common/PROTOCOL.md):
 *
 *   header (46, clear) || ciphertext (body_len + 16) || signature (64)
 *
 * header: magic "SK", version 1, flags 0, key id (8), timestamp ms (8, BE),
 * nonce (24), body_len (2, BE). The body is sealed with XChaCha20-Poly1305
 * under the knock key, the header as associated data; the agent's Ed25519
 * signature covers everything before it.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "keys.h"

#define KNOCK_VERSION 1
#define KNOCK_HDR_LEN 46
#define KNOCK_NONCE_LEN 24
#define KNOCK_TAG_LEN 16
#define KNOCK_SIG_LEN 64
#define KNOCK_BODY_FIXED 54
#define KNOCK_MAX_RES 16
#define KNOCK_NAME_MAX 63
/* The names of one knock, each with its length byte, in all: a knock of the
 * largest size fits a small fixed slot of the gateway's capture ring (and an
 * empty list asks for every entitled resource). */
#define KNOCK_NAMES_MAX 256
#define KNOCK_BODY_MAX (KNOCK_BODY_FIXED + KNOCK_NAMES_MAX)
#define KNOCK_OVERHEAD (KNOCK_HDR_LEN + KNOCK_TAG_LEN + KNOCK_SIG_LEN)
#define KNOCK_MIN_LEN (KNOCK_OVERHEAD + KNOCK_BODY_FIXED)
#define KNOCK_MAX_LEN (KNOCK_OVERHEAD + KNOCK_BODY_MAX)
#define KNOCK_MAX_DURATION 86400u

struct knock_hdr {
	uint8_t key_id[KEY_ID_LEN];
	uint64_t ts_ms;
	uint8_t nonce[KNOCK_NONCE_LEN];
	uint16_t body_len;
};

struct knock_body {
	uint8_t gw_pk[KEY_PK_LEN];
	uint32_t duration;		/* seconds; 0: the gateway's default */
	struct spa_addr addr;		/* family 0: open for the source */
	uint8_t nres;			/* 0: every entitled resource */
	char res[KNOCK_MAX_RES][KNOCK_NAME_MAX + 1];
};

/* Step 2: magic, version, flags and lengths; 0 or -1. No crypto. */
int knock_parse_header(const uint8_t *pkt, size_t len, struct knock_hdr *h);

/* Step 7: open the sealed body into plain (KNOCK_BODY_MAX bytes); 0 or -1. */
int knock_open(const uint8_t *pkt, size_t len, const struct knock_hdr *h,
    const uint8_t key[KEY_SESSION_LEN], uint8_t *plain);

/* Step 8: the agent's Ed25519 signature over the knock; 0 or -1. */
int knock_verify_sig(const uint8_t *pkt, size_t len, const uint8_t pk[KEY_PK_LEN]);

/* Step 9: decode an opened body of body_len bytes; 0 or -1. */
int knock_parse_body(const uint8_t *plain, size_t len, struct knock_body *b);

/*
 * Build a knock into out (KNOCK_MAX_LEN bytes) from a header (key id, time,
 * nonce; body_len is computed) and a body; returns its length, 0 on error.
 */
size_t knock_build(uint8_t *out, struct knock_hdr *h, const struct knock_body *b,
    const uint8_t key[KEY_SESSION_LEN], const uint8_t agent_sk[KEY_SK_LEN]);

#endif
