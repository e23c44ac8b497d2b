/* SPDX-License-Identifier: ISC */
/* The privileged parser (gatewayd/privsep.c): privsep_validate on any bytes. */
/*
 * The input is the request, at its own length, in a buffer of exactly that
 * size (so ASan sees a read past it). Oracles: a refusal says why; an
 * accepted request has a known op, 1 to 1024 elements that fill its length
 * exactly, and every element within the bounds privsep.h documents, checked
 * here afresh; one byte more or less is refused.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "privsep.h"

/* The address takes its family's bytes and leaves the rest zero. */
static int
addr_ok(const struct spa_addr *a, int none_ok)
{
	size_t used;

	switch (a->family) {
	case 0:
		if (!none_ok)
			return 0;
		used = 0;
		break;
	case 4:
		used = 4;
		break;
	case 6:
		used = 16;
		break;
	default:
		return 0;
	}
	for (size_t i = used; i < sizeof(a->bytes); i++)
		if (a->bytes[i] != 0)
			return 0;
	return 1;
}

static void
check_elem(const struct fw_elem *e, uint32_t op)
{
	unsigned ports;

	if (!addr_ok(&e->src, 0))
		fuzz_fail("src address");
	if (!addr_ok(&e->dst, 1))
		fuzz_fail("dst address");
	if (e->dst.family != 0 && e->dst.family != e->src.family)
		fuzz_fail("dst family differs from src");
	if (e->proto != 6 && e->proto != 17)
		fuzz_fail("proto");
	if (e->port_lo < 1 || e->port_hi < e->port_lo)
		fuzz_fail("port range");
	ports = (unsigned)e->port_hi - e->port_lo + 1;
	if (ports > 1024)
		fuzz_fail("more than 1024 ports");
	if (op == PRIV_ADD && (e->timeout_ms < 1 || e->timeout_ms > 86400000))
		fuzz_fail("timeout of an add");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct priv_req *r;
	char why[128];
	int ok;

	if ((r = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(r, data, size);
	why[0] = '\0';
	ok = privsep_validate(r, size, why, sizeof(why));
	if (ok != 0 && why[0] == '\0')
		fuzz_fail("refused without a reason");
	if (ok != 0 && privsep_validate(r, size, NULL, 0) == 0)
		fuzz_fail("accepted without a reason buffer");
	if (ok == 0) {
		if (r->op != PRIV_ADD && r->op != PRIV_DEL && r->op != PRIV_KILL)
			fuzz_fail("op");
		if (r->n < 1 || r->n > 1024)
			fuzz_fail("count");
		if (size != offsetof(struct priv_req, e) +
		    r->n * sizeof(struct fw_elem))
			fuzz_fail("length does not match the count");
		for (uint32_t i = 0; i < r->n; i++)
			check_elem(&r->e[i], r->op);
		if (privsep_validate(r, size - 1, NULL, 0) == 0 ||
		    privsep_validate(r, size + 1, NULL, 0) == 0)
			fuzz_fail("accepted one byte shorter or longer");
	}
	fuzz_sink = (uintptr_t)ok;
	free(r);
	return 0;
}
