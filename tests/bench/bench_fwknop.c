/* SPDX-License-Identifier: ISC */
/* bench_fwknop: the fwknop side of the comparison, with libfko. */
/*
 * bench_fwknop: the fwknop side of the comparison, with fwknop's own library
 * (libfko, what the fwknop client uses), so thousands of distinct agents
 * cost no thousands of client processes.
 *
 *   bench_fwknop access  --count N --seed S --src-base IP [--port 8080]
 *       print an access.conf stanza per agent: SOURCE src-base+i/32, its own
 *       Rijndael and HMAC-SHA256 keys, OPEN_PORTS tcp/port.
 *   bench_fwknop packets --first I --count N --seed S --src-base IP [--port]
 *       print "SRC SPA-PACKET" for agents I..I+N-1, stamped now, each
 *       allowing its own source (the client's -a), fwknop's defaults
 *       otherwise (AES-CBC, HMAC-SHA256, SHA256 digest).
 *
 * Keys are derived from the seed and the index, so both commands agree.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fko.h>
#include <sodium.h>

#include "benchlib.h"

#define ENC_LEN 32
#define HMAC_LEN 64

static void
derive(const char *seed, const char *what, size_t i, uint8_t *out, size_t len)
{
	char in[256];

	snprintf(in, sizeof(in), "%s/%s/%zu", seed, what, i);
	crypto_generichash(out, len, (const uint8_t *)in, strlen(in), NULL, 0);
}

static void
b64(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, in, len, sodium_base64_VARIANT_ORIGINAL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "first", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "src-base", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode, *seed = NULL;
	size_t first = 0, count = 0;
	uint32_t base = 0;
	unsigned port = 8080;
	uint8_t ek[ENC_LEN], hk[HMAC_LEN];
	char ip[16], e64[128], h64[128], msg[64];
	int ch;

	if (argc < 2)
		return 2;
	mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': first = bench_num(optarg, "first"); break;
		case 'n': count = bench_num(optarg, "count"); break;
		case 's': seed = optarg; break;
		case 'b': base = bench_ip(optarg); break;
		case 'p': port = (unsigned)bench_num(optarg, "port"); break;
		default: return 2;
		}
	}
	if (seed == NULL || base == 0 || count == 0 || count > 1000000 ||
	    sodium_init() < 0) {
		fprintf(stderr, "usage: bench_fwknop access|packets --count N --seed S "
		    "--src-base IP [--first I] [--port P]\n");
		return 2;
	}
	for (size_t i = first; i < first + count; i++) {
		fko_ctx_t ctx = NULL;
		char *spa = NULL;
		int r;

		derive(seed, "enc", i, ek, sizeof(ek));
		derive(seed, "hmac", i, hk, sizeof(hk));
		bench_ip_str(base + (uint32_t)i, ip);
		if (strcmp(mode, "access") == 0) {
			b64(ek, sizeof(ek), e64, sizeof(e64));
			b64(hk, sizeof(hk), h64, sizeof(h64));
			printf("SOURCE %s/32\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\n"
			    "OPEN_PORTS tcp/%u\nFW_ACCESS_TIMEOUT 30\n\n", ip, e64, h64,
			    port);
			continue;
		}
		snprintf(msg, sizeof(msg), "%s,tcp/%u", ip, port);
		if ((r = fko_new(&ctx)) != FKO_SUCCESS ||
		    (r = fko_set_spa_message(ctx, msg)) != FKO_SUCCESS ||
		    (r = fko_set_spa_hmac_type(ctx, FKO_HMAC_SHA256)) != FKO_SUCCESS ||
		    (r = fko_spa_data_final(ctx, (const char *)ek, ENC_LEN,
		    (const char *)hk, HMAC_LEN)) != FKO_SUCCESS ||
		    (r = fko_get_spa_data(ctx, &spa)) != FKO_SUCCESS) {
			fprintf(stderr, "bench_fwknop: %s\n", fko_errstr(r));
			fko_destroy(ctx);
			return 1;
		}
		printf("%s %s\n", ip, spa);
		fko_destroy(ctx);
	}
	return 0;
}
