/* SPDX-License-Identifier: ISC */
/* bench_nft: fill the daemon's set with openings through gatewayd/nft.h. */
/*
 * bench_nft: fill the daemon's own set with live openings through the
 * product's firewall module (gatewayd/nft.h), as many knocks would.
 *
 *   bench_nft --table T --count N [--batch B] [--timeout-ms MS]
 *             [--src-base IP] [--port 8080]
 *
 * Adds N elements "src . tcp . port" to set in4 of inet table T (which the
 * running daemon installed), B per netlink batch, sources src-base + i, each
 * expiring after MS. Run it inside the gateway's network namespace.
 * Prints: added= seconds= per_s= us_per_batch=.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "nft.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "table", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "src-base", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *table = NULL;
	uint64_t count = 0, batch = 1024, timeout = 30000, t0, dt;
	uint32_t src = bench_ip("10.128.0.1");
	uint16_t port = 8080;
	struct fw_elem *e;
	struct nft *n;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': table = optarg; break;
		case 'n': count = bench_num(optarg, "count"); break;
		case 'b': batch = bench_num(optarg, "batch"); break;
		case 'T': timeout = bench_num(optarg, "timeout"); break;
		case 's': src = bench_ip(optarg); break;
		case 'p': port = (uint16_t)bench_num(optarg, "port"); break;
		default: return 2;
		}
	}
	if (table == NULL || count == 0 || count > 10000000 || batch == 0 ||
	    batch > 65536 || timeout == 0 || src == 0) {
		fprintf(stderr, "usage: bench_nft --table T --count N (<= 1e7) "
		    "[--batch B] [--timeout-ms MS] [--src-base IP] [--port P]\n");
		return 2;
	}
	if ((n = nft_open(table)) == NULL || (e = calloc(batch, sizeof(*e))) == NULL)
		return 1;
	t0 = bench_ns();
	for (uint64_t done = 0; done < count;) {
		size_t k = (size_t)(count - done < batch ? count - done : batch);

		for (size_t i = 0; i < k; i++) {
			uint32_t a = src + (uint32_t)(done + i);

			memset(&e[i], 0, sizeof(e[i]));
			e[i].src.family = 4;
			e[i].src.bytes[0] = (uint8_t)(a >> 24);
			e[i].src.bytes[1] = (uint8_t)(a >> 16);
			e[i].src.bytes[2] = (uint8_t)(a >> 8);
			e[i].src.bytes[3] = (uint8_t)a;
			e[i].proto = IPPROTO_TCP;
			e[i].port_lo = e[i].port_hi = port;
			e[i].timeout_ms = (uint32_t)timeout;
		}
		if (nft_add(n, e, k) != 0) {
			fprintf(stderr, "bench_nft: nft_add failed after %llu\n",
			    (unsigned long long)done);
			return 1;
		}
		done += k;
	}
	dt = bench_ns() - t0;
	printf("added=%llu seconds=%.3f per_s=%.0f us_per_batch=%.2f\n",
	    (unsigned long long)count, (double)dt / 1e9,
	    (double)count * 1e9 / (double)dt,
	    (double)dt / 1e3 / (double)((count + batch - 1) / batch));
	free(e);
	nft_close(n);
	return 0;
}
