/* SPDX-License-Identifier: ISC */
#ifndef SPA_TOPENINGS_H
#define SPA_TOPENINGS_H

/* Helpers for the tests of gatewayd/openings.c: agent ids, elements, and
 * checks of every field of what the index hands out. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "keys.h"
#include "fw.h"
#include "openings.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

static inline void
mkid(uint32_t n, uint8_t id[KEY_ID_LEN])
{
	/* splitmix64, so that ids spread over the agent table like real ones */
	uint64_t z = (uint64_t)n * 0x9e3779b97f4a7c15ULL + 0x1234;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	for (int i = 0; i < KEY_ID_LEN; i++)
		id[i] = (uint8_t)(z >> (8 * i));
}

static inline struct fw_elem
mkelem(const char *src, const char *dst, uint8_t proto, uint16_t lo,
    uint16_t hi)
{
	struct fw_elem e;

	memset(&e, 0, sizeof(e));
	if (addr_parse(src, &e.src) != 0 || addr_parse(dst, &e.dst) != 0) {
		fprintf(stderr, "bad address %s or %s\n", src, dst);
		exit(2);
	}
	e.proto = proto;
	e.port_lo = lo;
	e.port_hi = hi;
	e.timeout_ms = 12345;	/* not stored: comes back as 0 */
	return e;
}

/* Every field of an opening as handed out, against what was added. */
static inline int
op_is(const struct opening *op, const struct fw_elem *e, uint64_t expires_ms)
{
	return op->e.src.family == e->src.family &&
	    memcmp(op->e.src.bytes, e->src.bytes, 16) == 0 &&
	    op->e.dst.family == e->dst.family &&
	    memcmp(op->e.dst.bytes, e->dst.bytes, 16) == 0 &&
	    op->e.proto == e->proto && op->e.port_lo == e->port_lo &&
	    op->e.port_hi == e->port_hi && op->e.timeout_ms == 0 &&
	    op->expires_ms == expires_ms;
}

struct want {
	struct fw_elem e;
	uint64_t expires_ms;
};

/* ops[0..n) is exactly want[0..nw) in some order (each matched once). */
static inline int
same_set(const struct opening *ops, long n, const struct want *w, size_t nw)
{
	char *used;
	int ok = 1;

	if (n < 0 || (size_t)n != nw)
		return 0;
	if ((used = calloc(nw + 1, 1)) == NULL)
		exit(2);
	for (long i = 0; ok && i < n; i++) {
		size_t j;

		for (j = 0; j < nw; j++)
			if (!used[j] &&
			    op_is(&ops[i], &w[j].e, w[j].expires_ms))
				break;
		if (j == nw)
			ok = 0;
		else
			used[j] = 1;
	}
	free(used);
	return ok;
}

#endif
