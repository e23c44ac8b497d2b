/* SPDX-License-Identifier: ISC */
/* knockgen: one knock built independently of the product's code. */
/*
 * knockgen: build one knock datagram (common/PROTOCOL.md, version 1) with a
 * chosen clock offset, independently of the product's code, and write it to
 * stdout. The end-to-end tests use it to make a knock whose timestamp lies
 * ahead of the gateway's clock (still inside the skew window): such a knock,
 * accepted before a restart, is only refused after it if the daemon kept its
 * replay floor on disk.
 *
 *   knockgen CREDFILE OFFSET_MS DURATION [RESOURCE...] > knock.bin
 *   knockgen --selftest     (checks the test vector of PROTOCOL.md)
 *
 * Built by the test scripts into their scratch directory:
 *   cc -O2 -o knockgen knockgen.c -lsodium
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define HDR 46

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int
hash2(uint8_t out[32], const char *label, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, a, alen);
	if (b != NULL)
		crypto_generichash_update(&st, b, blen);
	if (c != NULL)
		crypto_generichash_update(&st, c, clen);
	return crypto_generichash_final(&st, out, 32);
}

/* The datagram into out (at least 436 bytes); its length, or -1. */
static int
build(uint8_t *out, const uint8_t seed[32], const uint8_t gw_pk[32],
    uint64_t ts_ms, const uint8_t nonce[24], uint32_t duration,
    char **res, int nres)
{
	uint8_t pk[32], sk[64], xsk[32], xpk[32], shared[32], kk[32], id[32];
	uint8_t body[310];
	size_t blen = 54;
	unsigned long long clen;

	crypto_sign_seed_keypair(pk, sk, seed);
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, gw_pk) != 0 ||
	    crypto_scalarmult(shared, xsk, xpk) != 0)
		return -1;
	hash2(id, "spa-gateway key id v1", pk, 32, NULL, 0, NULL, 0);
	hash2(kk, "spa-gateway knock key v1", shared, 32, pk, 32, gw_pk, 32);

	memset(body, 0, sizeof(body));
	memcpy(body, gw_pk, 32);
	put_be(body + 32, duration, 4);
	body[53] = (uint8_t)nres;
	for (int i = 0; i < nres; i++) {
		size_t l = strlen(res[i]);
		if (l < 1 || l > 63 || blen + 1 + l > sizeof(body))
			return -1;
		body[blen++] = (uint8_t)l;
		memcpy(body + blen, res[i], l);
		blen += l;
	}

	out[0] = 'S';
	out[1] = 'K';
	out[2] = 1;
	out[3] = 0;
	memcpy(out + 4, id, 8);
	put_be(out + 12, ts_ms, 8);
	memcpy(out + 20, nonce, 24);
	put_be(out + 44, blen, 2);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + HDR, &clen, body, blen,
	    out, HDR, NULL, nonce, kk);
	crypto_sign_detached(out + HDR + clen, NULL, out, HDR + clen, sk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(kk, sizeof(kk));
	sodium_memzero(shared, sizeof(shared));
	return (int)(HDR + clen + 64);
}

/* "key = base64" under [section] of an INI file, decoded to 32 bytes. */
static int
ini_key32(const char *path, const char *section, const char *key, uint8_t out[32])
{
	char line[1100], cur[64] = "", want[80];
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f == NULL)
		return -1;
	snprintf(want, sizeof(want), "[%s]", section);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *v;
		size_t n, klen = strlen(key), len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(p, " \t\r\n"), p);
			continue;
		}
		if (strcmp(cur, want) != 0 || strncmp(p, key, klen) != 0)
			continue;
		v = p + klen;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		len = strcspn(v, " \t\r\n");
		if (sodium_base642bin(out, 32, v, len, NULL, &n, NULL,
		    sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32)
			rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static int
selftest(void)
{
	static const char want[] =
	    "534b01003cc2ebeeda48c4400000019b76daa800030303030303030303030303"
	    "030303030303030303030303003a4382745a23e68853206bb17041ab1b7f12f3"
	    "8f040e0e641e710807f4efed024382967fd98487f2dd9ed0dee9ee0c6c26a75e"
	    "07d4e83dc97d0fe181a9e63aa6aa4537e5bdf2a657a58b9c43f21f8885326cc6"
	    "cc36e4006fe87b88706025fd1ea67de7de931f162416af022aa0f78d9fc01f53"
	    "a18d82ceb9169ceb837961b4c2e4448778fe2f5b78f9bb04";
	uint8_t seed[32], gseed[32], gpk[32], gsk[64], nonce[24], out[436];
	char hex[2 * 436 + 1], web[] = "web", *res[] = { web };
	int len;

	memset(seed, 1, 32);
	memset(gseed, 2, 32);
	memset(nonce, 3, 24);
	crypto_sign_seed_keypair(gpk, gsk, gseed);
	len = build(out, seed, gpk, 1767225600000ULL, nonce, 30, res, 1);
	if (len < 0)
		return 1;
	sodium_bin2hex(hex, sizeof(hex), out, (size_t)len);
	if (strcmp(hex, want) != 0) {
		fprintf(stderr, "knockgen: selftest mismatch:\n got %s\nwant %s\n",
		    hex, want);
		return 1;
	}
	printf("knockgen: selftest ok (%d bytes)\n", len);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t seed[32], gpk[32], nonce[24], out[436];
	struct timespec ts;
	long long off;
	int len;

	if (sodium_init() < 0)
		return 1;
	if (argc == 2 && strcmp(argv[1], "--selftest") == 0)
		return selftest();
	if (argc < 4 || argc - 4 > 16) {
		fprintf(stderr, "usage: knockgen CREDFILE OFFSET_MS DURATION "
		    "[RESOURCE...] > FILE\n       knockgen --selftest\n");
		return 2;
	}
	if (ini_key32(argv[1], "agent", "secret_key", seed) != 0 ||
	    ini_key32(argv[1], "gateway", "public_key", gpk) != 0) {
		fprintf(stderr, "knockgen: %s: cannot read the keys\n", argv[1]);
		return 1;
	}
	off = strtoll(argv[2], NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	randombytes_buf(nonce, sizeof(nonce));
	len = build(out, seed, gpk,
	    (uint64_t)((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + off),
	    nonce, (uint32_t)strtoul(argv[3], NULL, 10), argv + 4, argc - 4);
	sodium_memzero(seed, sizeof(seed));
	if (len < 0 || fwrite(out, 1, (size_t)len, stdout) != (size_t)len) {
		fprintf(stderr, "knockgen: cannot build the knock\n");
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
