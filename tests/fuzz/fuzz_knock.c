/* SPDX-License-Identifier: ISC */
/* Fuzz target: knock decoding (common/knock.c). */
/*
 * Knock decoding (common/knock.c) on hostile bytes: the clear header, the
 * sealed body opened with the fixed knock key of PROTOCOL.md's vector, the
 * signature, and the body parser fed directly (the fuzzer cannot forge the
 * seal). Oracle: a body that parses encodes, seals, opens and parses back to
 * the same struct.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "knock.h"

static uint8_t agent_pk[32], agent_sk[64], gw_pk[32], gw_sk[64];
static uint8_t key[KEY_SESSION_LEN];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_keypair(0x01, agent_pk, agent_sk);
	fuzz_keypair(FUZZ_GW_SEED, gw_pk, gw_sk);
	if (keys_session(agent_sk, gw_pk, agent_pk, gw_pk, key) != 0)
		fuzz_fail("knock key");
	return 0;
}

/* Body -> knock -> body must be the identity for every body that parses. */
static void
round_trip(const struct knock_body *b)
{
	static uint8_t pkt[KNOCK_MAX_LEN], plain[KNOCK_BODY_MAX];
	struct knock_hdr h, h2;
	struct knock_body b2;
	size_t n;

	memset(&h, 0, sizeof(h));
	memset(h.key_id, 0x5a, sizeof(h.key_id));
	h.ts_ms = 1767225600000ULL;
	memset(h.nonce, 0x03, sizeof(h.nonce));
	n = knock_build(pkt, &h, b, key, agent_sk);
	if (n == 0)
		fuzz_fail("knock_build refused a body knock_parse_body accepted");
	if (knock_parse_header(pkt, n, &h2) != 0 || h2.body_len != h.body_len ||
	    h2.ts_ms != h.ts_ms || memcmp(h2.nonce, h.nonce, sizeof(h.nonce)) != 0)
		fuzz_fail("header round trip");
	if (knock_open(pkt, n, &h2, key, plain) != 0)
		fuzz_fail("cannot open a knock just built");
	if (knock_verify_sig(pkt, n, agent_pk) != 0)
		fuzz_fail("signature of a knock just built");
	if (knock_parse_body(plain, h2.body_len, &b2) != 0 ||
	    memcmp(b, &b2, sizeof(b2)) != 0)
		fuzz_fail("body round trip");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t plain[KNOCK_BODY_MAX];
	struct knock_hdr h;
	struct knock_body b;
	uintptr_t acc = 0;

	if (knock_parse_header(data, size, &h) == 0) {
		acc += h.body_len + h.ts_ms;
		if (knock_open(data, size, &h, key, plain) == 0) {
			acc += 1;
			if (knock_parse_body(plain, h.body_len, &b) == 0)
				acc += b.nres + b.duration;
			acc += knock_verify_sig(data, size, agent_pk) == 0;
		}
	}
	/* The body parser straight on the input, as if it were opened. */
	if (knock_parse_body(data, size, &b) == 0) {
		acc += b.nres;
		for (unsigned i = 0; i < b.nres; i++)
			acc += strlen(b.res[i]);
		round_trip(&b);
	}
	fuzz_sink = acc;
	return 0;
}
