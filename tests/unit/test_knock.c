/* SPDX-License-Identifier: ISC */
/* Wire format: PROTOCOL.md vectors, round trips, every bit flip refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"
#include "knock.h"
#include "t.h"

struct vec {
	char name[32];
	char value[1024];
};

static struct vec vecs[32];
static size_t nvecs;

static int
load_vectors(const char *path)
{
	char line[1200];
	int in = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) && nvecs < 32) {
		char *eq;

		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "```vectors")) { in = 1; continue; }
		if (in && !strncmp(line, "```", 3))
			break;
		if (!in || (eq = strstr(line, " = ")) == NULL)
			continue;
		*eq = '\0';
		snprintf(vecs[nvecs].name, sizeof(vecs[nvecs].name), "%.31s", line);
		snprintf(vecs[nvecs].value, sizeof(vecs[nvecs].value), "%.1023s", eq + 3);
		nvecs++;
	}
	fclose(f);
	return nvecs > 0 ? 0 : -1;
}

static size_t
vec_bin(const char *name, uint8_t *out, size_t max)
{
	size_t len = 0;

	for (size_t i = 0; i < nvecs; i++)
		if (!strcmp(vecs[i].name, name) &&
		    sodium_hex2bin(out, max, vecs[i].value, strlen(vecs[i].value),
		    NULL, &len, NULL) == 0)
			return len;
	fprintf(stderr, "missing vector %s\n", name);
	return 0;
}

int
main(void)
{
	uint8_t aseed[32], gseed[32], apk[32], ask[64], gpk[32], gsk[64];
	uint8_t v[KNOCK_MAX_LEN], out[KNOCK_MAX_LEN], id[8], k1[32], k2[32];
	uint8_t plain[KNOCK_BODY_MAX];
	struct knock_hdr h, h2;
	struct knock_body b, b2;
	size_t n, vn;
	int bad = 0;

	T_CHECK(sodium_init() >= 0);
	T_CHECK(load_vectors("common/PROTOCOL.md") == 0);
	T_CHECK(vec_bin("agent_seed", aseed, 32) == 32);
	T_CHECK(vec_bin("gateway_seed", gseed, 32) == 32);
	crypto_sign_seed_keypair(apk, ask, aseed);
	crypto_sign_seed_keypair(gpk, gsk, gseed);
	T_CHECK(vec_bin("agent_public_key", v, 32) == 32 && !memcmp(v, apk, 32));
	T_CHECK(vec_bin("gateway_public_key", v, 32) == 32 && !memcmp(v, gpk, 32));
	keys_id(apk, id);
	T_CHECK(vec_bin("key_id", v, 8) == 8 && !memcmp(v, id, 8));
	/* Both sides derive the same knock key, equal to the vector. */
	T_CHECK(keys_session(ask, gpk, apk, gpk, k1) == 0);
	T_CHECK(keys_session(gsk, apk, apk, gpk, k2) == 0);
	T_CHECK(!memcmp(k1, k2, 32));
	T_CHECK(vec_bin("knock_key", v, 32) == 32 && !memcmp(v, k1, 32));

	/* Building the vector's knock reproduces it byte for byte. */
	memcpy(h.key_id, id, 8);
	h.ts_ms = 1767225600000ULL;
	memset(h.nonce, 3, sizeof(h.nonce));
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gpk, 32);
	b.duration = 30;
	b.nres = 1;
	strcpy(b.res[0], "web");
	n = knock_build(out, &h, &b, k1, ask);
	vn = vec_bin("knock", v, sizeof(v));
	T_CHECK(n == 184 && vn == n && !memcmp(v, out, n));

	/* Decoding it gives back header and body. */
	T_CHECK(knock_parse_header(v, vn, &h2) == 0);
	T_CHECK(!memcmp(h2.key_id, id, 8) && h2.ts_ms == h.ts_ms && h2.body_len == 58);
	T_CHECK(knock_open(v, vn, &h2, k2, plain) == 0);
	T_CHECK(knock_verify_sig(v, vn, apk) == 0);
	T_CHECK(knock_parse_body(plain, h2.body_len, &b2) == 0);
	T_CHECK(b2.duration == 30 && b2.nres == 1 && !strcmp(b2.res[0], "web") &&
	    !memcmp(b2.gw_pk, gpk, 32) && b2.addr.family == 0);

	/* Every single-bit flip is refused by header, AEAD or signature. */
	for (size_t bit = 0; bit < vn * 8; bit++) {
		memcpy(out, v, vn);
		out[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		if (knock_parse_header(out, vn, &h2) == 0 &&
		    !memcmp(h2.key_id, id, 8) &&
		    knock_open(out, vn, &h2, k2, plain) == 0 &&
		    knock_verify_sig(out, vn, apk) == 0)
			bad++;
	}
	T_CHECK(bad == 0);

	/* The largest body, 16 names of 15 characters (256 bytes with their
	 * lengths), round-trips; one character more, or 17 names, does not
	 * build; 4 names of 63 characters fill it too. */
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gpk, 32);
	b.addr.family = 6;
	b.addr.bytes[15] = 1;
	b.nres = KNOCK_MAX_RES;
	for (int i = 0; i < KNOCK_MAX_RES; i++) {
		memset(b.res[i], 'a', 15);
		b.res[i][0] = (char)('a' + i);
	}
	n = knock_build(out, &h, &b, k1, ask);
	T_CHECK(n == KNOCK_MAX_LEN && KNOCK_MAX_LEN == 436);
	T_CHECK(knock_parse_header(out, n, &h2) == 0 &&
	    knock_open(out, n, &h2, k2, plain) == 0 &&
	    knock_parse_body(plain, h2.body_len, &b2) == 0 &&
	    b2.nres == KNOCK_MAX_RES && b2.addr.family == 6 &&
	    !strcmp(b2.res[15], b.res[15]));
	b.res[7][15] = 'z';
	T_CHECK(knock_build(out, &h, &b, k1, ask) == 0);
	b.res[7][15] = '\0';
	b.nres = KNOCK_MAX_RES + 1;
	T_CHECK(knock_build(out, &h, &b, k1, ask) == 0);
	b.nres = 4;
	for (int i = 0; i < 4; i++)
		memset(b.res[i], 'a' + i, KNOCK_NAME_MAX);
	T_CHECK(knock_build(out, &h, &b, k1, ask) == KNOCK_MAX_LEN);
	/* A header that announces a longer body is malformed. */
	out[44] = (uint8_t)((KNOCK_BODY_MAX + 1) >> 8);
	out[45] = (uint8_t)(KNOCK_BODY_MAX + 1);
	T_CHECK(knock_parse_header(out, KNOCK_MAX_LEN + 1, &h2) != 0);

	/* Bad bodies: bad name, trailing bytes, bad family, long duration. */
	memset(plain, 0, sizeof(plain));
	plain[53] = 1; plain[54] = 3; memcpy(plain + 55, "W/b", 3);
	T_CHECK(knock_parse_body(plain, 58, &b2) != 0);
	memcpy(plain + 55, "web", 3);
	T_CHECK(knock_parse_body(plain, 58, &b2) == 0);
	T_CHECK(knock_parse_body(plain, 59, &b2) != 0);
	plain[36] = 5;
	T_CHECK(knock_parse_body(plain, 58, &b2) != 0);
	plain[36] = 4; plain[37 + 5] = 1;	/* IPv4 with junk after 4 bytes */
	T_CHECK(knock_parse_body(plain, 58, &b2) != 0);
	plain[36] = 0; plain[37 + 5] = 0;
	plain[32] = 0xff;			/* duration past 86400 */
	T_CHECK(knock_parse_body(plain, 58, &b2) != 0);
	/* Length mismatch, short and long datagrams. */
	T_CHECK(knock_parse_header(v, vn - 1, &h2) != 0);
	T_CHECK(knock_parse_header(v, 10, &h2) != 0);
	return T_DONE();
}
