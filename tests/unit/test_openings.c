/* SPDX-License-Identifier: ISC */
/* Tests for gatewayd/openings.c, one agent at a time. */
/*
 * Tests for gatewayd/openings.c, one agent at a time: adding, refreshing and
 * counting; ending, taking, pruning and filtering, with every field of what
 * comes out checked. Targets and scale: test_openings_targets.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openings.h"
#include "t.h"
#include "topenings.h"

/* --- add, refresh, count, end, take --------------------------------------- */

static void
test_add_end_take(void)
{
	struct openings *o = openings_new();
	struct opening *out;
	uint8_t a[KEY_ID_LEN], b[KEY_ID_LEN];
	struct fw_elem e1, e2, e3, e4, e5, e6, e7, e8, v4;
	long n;

	T_CHECK(o != NULL);
	mkid(1, a);
	mkid(2, b);
	T_CHECK(openings_total(o) == 0);
	T_CHECK(openings_count(o, a, 0) == 0);

	e1 = mkelem("192.0.2.1", "10.0.0.1", PROTO_TCP, 22, 22);
	T_CHECK(openings_add(o, a, &e1, 1000) == 0);
	T_CHECK(openings_total(o) == 1);
	T_CHECK(openings_count(o, a, 0) == 1);
	T_CHECK(openings_count(o, a, 999) == 1);
	T_CHECK(openings_count(o, a, 1000) == 0);	/* expired at 1000 */
	T_CHECK(openings_count(o, b, 0) == 0);

	/* Refresh: same source and target, new expiry, no second record. */
	T_CHECK(openings_add(o, a, &e1, 5000) == 0);
	T_CHECK(openings_total(o) == 1);
	T_CHECK(openings_count(o, a, 1000) == 1);
	T_CHECK(openings_count(o, a, 4999) == 1);
	T_CHECK(openings_count(o, a, 5000) == 0);
	/* Refreshing with the same timeout passed along is still one record. */
	e1.timeout_ms = 99;
	T_CHECK(openings_add(o, a, &e1, 5000) == 0);
	T_CHECK(openings_total(o) == 1);

	/* Distinct openings: another port range, another destination, another
	 * protocol, another source, and an IPv6 source with the same bytes. */
	e2 = mkelem("192.0.2.1", "10.0.0.1", PROTO_TCP, 22, 23);
	e3 = mkelem("192.0.2.1", "10.0.0.2", PROTO_TCP, 22, 22);
	e4 = mkelem("192.0.2.1", "10.0.0.1", PROTO_UDP, 22, 22);
	e5 = mkelem("192.0.2.2", "10.0.0.1", PROTO_TCP, 22, 22);
	e6 = e1;
	e6.src.family = 6;		/* ::c000:201 as bytes: same 16 bytes */
	T_CHECK(memcmp(e6.src.bytes, e1.src.bytes, 16) == 0);
	T_CHECK(openings_add(o, a, &e2, 6000) == 0);
	T_CHECK(openings_total(o) == 2);
	T_CHECK(openings_add(o, a, &e3, 7000) == 0);
	T_CHECK(openings_total(o) == 3);
	T_CHECK(openings_add(o, a, &e4, 8000) == 0);
	T_CHECK(openings_total(o) == 4);
	T_CHECK(openings_add(o, a, &e5, 9000) == 0);
	T_CHECK(openings_total(o) == 5);
	T_CHECK(openings_add(o, a, &e6, 10000) == 0);
	T_CHECK(openings_total(o) == 6);
	/* A real IPv6 opening and one already expiring early. */
	e7 = mkelem("2001:db8::7", "2001:db8:1::1", PROTO_TCP, 443, 443);
	e8 = mkelem("192.0.2.8", "10.0.0.1", PROTO_TCP, 1, 65535);
	T_CHECK(openings_add(o, a, &e7, 11000) == 0);
	T_CHECK(openings_add(o, a, &e8, 1500) == 0);
	T_CHECK(openings_total(o) == 8);
	/* Refresh of one among several: still 8, only its expiry changes. */
	T_CHECK(openings_add(o, a, &e3, 7500) == 0);
	T_CHECK(openings_total(o) == 8);
	T_CHECK(openings_count(o, a, 0) == 8);
	T_CHECK(openings_count(o, a, 1500) == 7);
	T_CHECK(openings_count(o, a, 5000) == 6);
	T_CHECK(openings_count(o, a, 7499) == 5);
	T_CHECK(openings_count(o, a, 7500) == 4);
	T_CHECK(openings_count(o, a, 11000) == 0);

	/* The same opening for another agent is its own record. */
	T_CHECK(openings_add(o, b, &e1, 20000) == 0);
	T_CHECK(openings_total(o) == 9);
	T_CHECK(openings_count(o, b, 0) == 1);
	T_CHECK(openings_count(o, a, 0) == 8);

	/* End a's openings at 2000: the live ones come out, exactly. */
	{
		const struct want w[] = {
			{ e1, 5000 }, { e2, 6000 }, { e3, 7500 }, { e4, 8000 },
			{ e5, 9000 }, { e6, 10000 }, { e7, 11000 },
		};

		n = openings_end(o, a, 2000, &out);
		T_CHECK(n == 7);
		T_CHECK(same_set(out, n, w, sizeof(w) / sizeof(w[0])));
		free(out);
	}
	T_CHECK(openings_count(o, a, 2000) == 0);
	T_CHECK(openings_count(o, a, 1999) == 7);	/* ended at 2000 */
	T_CHECK(openings_total(o) == 9);
	T_CHECK(openings_count(o, b, 2000) == 1);

	/* Ending again finds nothing live. */
	n = openings_end(o, a, 2000, &out);
	T_CHECK(n == 0);
	free(out);
	n = openings_end(o, a, 3000, &out);
	T_CHECK(n == 0);
	free(out);

	/* Take: all of a's, ended and expired, with their expiries. */
	{
		const struct want w[] = {
			{ e1, 2000 }, { e2, 2000 }, { e3, 2000 }, { e4, 2000 },
			{ e5, 2000 }, { e6, 2000 }, { e7, 2000 }, { e8, 1500 },
		};

		n = openings_take(o, a, 3000, &out);
		T_CHECK(n == 8);
		T_CHECK(same_set(out, n, w, sizeof(w) / sizeof(w[0])));
		free(out);
	}
	T_CHECK(openings_total(o) == 1);
	T_CHECK(openings_count(o, a, 0) == 0);
	n = openings_take(o, a, 3000, &out);
	T_CHECK(n == 0 && out == NULL);
	free(out);

	/* b is untouched; after a's targets went, a's can come back. */
	{
		const struct want w[] = { { e1, 20000 } };

		n = openings_end(o, b, 3000, &out);
		T_CHECK(same_set(out, n, w, 1));
		free(out);
	}
	T_CHECK(openings_add(o, a, &e7, 30000) == 0);
	v4 = e2;
	T_CHECK(openings_add(o, a, &v4, 31000) == 0);
	{
		const struct want w[] = { { e7, 30000 }, { e2, 31000 } };

		n = openings_take(o, a, 3000, &out);
		T_CHECK(same_set(out, n, w, 2));
		free(out);
	}
	{
		const struct want w[] = { { e1, 3000 } };

		n = openings_take(o, b, 3000, &out);
		T_CHECK(same_set(out, n, w, 1));
		free(out);
	}
	T_CHECK(openings_total(o) == 0);

	/* An agent never seen. */
	mkid(3, b);
	n = openings_take(o, b, 0, &out);
	T_CHECK(n == 0 && out == NULL);
	n = openings_end(o, b, 0, &out);
	T_CHECK(n == 0);
	free(out);
	openings_free(o);
}

/* --- prune ---------------------------------------------------------------- */

static void
test_prune(void)
{
	struct openings *o = openings_new();
	struct opening *out;
	uint8_t a[KEY_ID_LEN], b[KEY_ID_LEN];
	struct fw_elem e[4];
	const uint64_t K = OPENINGS_KEEP_MS;
	long n;

	mkid(10, a);
	mkid(11, b);
	for (int i = 0; i < 4; i++)
		e[i] = mkelem(i % 2 ? "2001:db8::5" : "198.51.100.5",
		    i % 2 ? "2001:db8:2::1" : "10.1.0.1", PROTO_TCP,
		    (uint16_t)(100 + i), (uint16_t)(100 + i));
	T_CHECK(openings_add(o, a, &e[0], 1000) == 0);
	T_CHECK(openings_add(o, a, &e[1], 2000) == 0);
	T_CHECK(openings_add(o, a, &e[2], 3000) == 0);
	T_CHECK(openings_add(o, a, &e[3], 10 * K) == 0);	/* live long */
	T_CHECK(openings_add(o, b, &e[0], 1000) == 0);
	T_CHECK(openings_total(o) == 5);

	/* Expired, but not yet for KEEP: nothing goes. */
	openings_prune(o, 3500);
	T_CHECK(openings_total(o) == 5);
	openings_prune(o, 1000 + K - 1);
	T_CHECK(openings_total(o) == 5);

	/* Well past 1000 + KEEP: the two expiring at 1000 go (a's and b's). */
	openings_prune(o, 1000 + K + 1);
	T_CHECK(openings_total(o) == 3);
	T_CHECK(openings_count(o, a, 0) == 3);
	T_CHECK(openings_count(o, b, 0) == 0);
	openings_prune(o, 2000 + K - 1);
	T_CHECK(openings_total(o) == 3);

	/* Past 3000 + KEEP: only the long-lived one is left. */
	openings_prune(o, 3000 + K + 1);
	T_CHECK(openings_total(o) == 1);
	{
		const struct want w[] = { { e[3], 10 * K } };

		n = openings_take(o, a, 3000 + K + 1, &out);
		T_CHECK(same_set(out, n, w, 1));
		free(out);
	}
	T_CHECK(openings_total(o) == 0);

	/* An ended opening is pruned KEEP after its end, not its old expiry. */
	T_CHECK(openings_add(o, a, &e[1], 100 * K) == 0);
	n = openings_end(o, a, 5000, &out);
	T_CHECK(n == 1);
	free(out);
	openings_prune(o, 5000 + K - 1);
	T_CHECK(openings_total(o) == 1);
	openings_prune(o, 5000 + K + 1);
	T_CHECK(openings_total(o) == 0);
	openings_free(o);
}

/* --- filter --------------------------------------------------------------- */

#define NF 3

struct fctx {
	uint64_t ids[NF];
	struct want w[NF][3];
	int calls, bad;
	uint16_t drop_port;
};

static int
drop_port(uint64_t id, const struct opening *op, void *arg)
{
	struct fctx *c = arg;
	int k, found = 0;

	c->calls++;
	for (k = 0; k < NF && c->ids[k] != id; k++)
		;
	if (k == NF) {
		c->bad++;
		return 0;
	}
	for (int j = 0; j < 3; j++)
		found += op_is(op, &c->w[k][j].e, c->w[k][j].expires_ms);
	if (found != 1)
		c->bad++;
	return op->e.port_lo == c->drop_port;
}

static int
keep_all(uint64_t id, const struct opening *op, void *arg)
{
	(void)id;
	(void)op;
	++*(int *)arg;
	return 0;
}

static void
test_filter(void)
{
	struct openings *o = openings_new();
	struct opening *rm, *out;
	struct fctx c;
	uint8_t ids[NF][KEY_ID_LEN];
	size_t nrm;
	int calls = 0;
	long n;

	memset(&c, 0, sizeof(c));
	for (int k = 0; k < NF; k++) {
		static const uint16_t ports[3] = { 22, 80, 443 };
		char src[64];

		mkid(100 + (uint32_t)k, ids[k]);
		c.ids[k] = keys_id64(ids[k]);
		for (int j = 0; j < 3; j++) {
			if (k == 1)
				snprintf(src, sizeof(src), "2001:db8::%d", k);
			else
				snprintf(src, sizeof(src), "203.0.113.%d", k);
			c.w[k][j].e = mkelem(src, k == 1 ? "2001:db8:3::1" :
			    "10.2.0.1", PROTO_TCP, ports[j], ports[j]);
			c.w[k][j].expires_ms = 50000 + (uint64_t)k * 10 +
			    (uint64_t)j;
			T_CHECK(openings_add(o, ids[k], &c.w[k][j].e,
			    c.w[k][j].expires_ms) == 0);
			c.w[k][j].e.timeout_ms = 0;
		}
	}
	T_CHECK(openings_total(o) == 9);

	/* Keeping everything removes nothing. */
	T_CHECK(openings_filter(o, keep_all, &calls, &rm, &nrm) == 0);
	T_CHECK(calls == 9);
	T_CHECK(nrm == 0);
	free(rm);
	T_CHECK(openings_total(o) == 9);

	/* Drop port 80 everywhere. */
	c.drop_port = 80;
	T_CHECK(openings_filter(o, drop_port, &c, &rm, &nrm) == 0);
	T_CHECK(c.calls == 9);
	T_CHECK(c.bad == 0);
	T_CHECK(nrm == NF);
	{
		struct want w[NF];

		for (int k = 0; k < NF; k++)
			w[k] = c.w[k][1];
		T_CHECK(same_set(rm, (long)nrm, w, NF));
	}
	free(rm);
	T_CHECK(openings_total(o) == 6);
	for (int k = 0; k < NF; k++)
		T_CHECK(openings_count(o, ids[k], 0) == 2);

	/* Again: nothing left on port 80, only the six others are seen. */
	c.calls = 0;
	T_CHECK(openings_filter(o, drop_port, &c, &rm, &nrm) == 0);
	T_CHECK(c.calls == 6 && c.bad == 0 && nrm == 0);
	free(rm);

	/* The rest are intact. */
	for (int k = 0; k < NF; k++) {
		const struct want w[] = { c.w[k][0], c.w[k][2] };

		n = openings_take(o, ids[k], 0, &out);
		T_CHECK(same_set(out, n, w, 2));
		free(out);
	}
	T_CHECK(openings_total(o) == 0);

	/* Removing everything, a port at a time; then the index still works. */
	for (int k = 0; k < NF; k++)
		for (int j = 0; j < 3; j++)
			T_CHECK(openings_add(o, ids[k], &c.w[k][j].e,
			    c.w[k][j].expires_ms) == 0);
	{
		static const uint16_t ports[3] = { 22, 80, 443 };
		size_t all = 0;

		for (int j = 0; j < 3; j++) {
			c.drop_port = ports[j];
			T_CHECK(openings_filter(o, drop_port, &c, &rm,
			    &nrm) == 0);
			T_CHECK(nrm == NF);
			all += nrm;
			free(rm);
		}
		T_CHECK(all == 9);
	}
	T_CHECK(c.bad == 0);
	T_CHECK(openings_total(o) == 0);
	for (int k = 0; k < NF; k++)
		T_CHECK(openings_count(o, ids[k], 0) == 0);
	T_CHECK(openings_add(o, ids[0], &c.w[0][0].e, 1) == 0);
	n = openings_take(o, ids[0], 0, &out);
	T_CHECK(n == 1 && op_is(&out[0], &c.w[0][0].e, 1));
	free(out);
	openings_free(o);
}

/*
 * Wall-clock expiries over 60 days: the index stores them as offsets from a
 * base it moves forward every 24 days or so, shifting what it holds. Every
 * expiry still reads back to the millisecond, and old openings are pruned
 * on time.
 */
static void
test_expiry_window(void)
{
	const uint64_t day = 86400000, t0 = 1763800000123ULL;
	struct openings *o = openings_new();
	struct fw_elem daily = mkelem("192.0.2.7", "10.0.0.7", PROTO_TCP, 22, 22);
	struct fw_elem held = mkelem("2001:db8::7", "2001:db8::1", PROTO_UDP, 53, 53);
	struct opening *out;
	uint8_t a[KEY_ID_LEN], b[KEY_ID_LEN];
	int bad = 0;
	long n;

	mkid(1, a);
	mkid(2, b);
	for (uint64_t d = 0; d < 60; d++) {
		uint64_t now = t0 + d * day + d * 7;

		/* a: a fresh hour-long opening a day, from a new source */
		daily.src.bytes[3] = (uint8_t)d;
		bad += openings_add(o, a, &daily, now + 3600000 + d) != 0;
		/* b: the same opening, refreshed for a day each day */
		bad += openings_add(o, b, &held, now + day - 1) != 0;
		openings_prune(o, now + 1);
		bad += openings_total(o) != 2;		/* yesterday's is gone */
		bad += openings_count(o, a, now) != 1;
		n = openings_end(o, b, now + 5, &out);
		bad += n != 1 || !op_is(&out[0], &held, now + day - 1);
		free(out);
		bad += openings_count(o, b, now + 5) != 0;
		bad += openings_add(o, b, &held, now + day - 1) != 0;
		n = openings_take(o, a, now, &out);
		bad += n != 1 || !op_is(&out[0], &daily, now + 3600000 + d);
		free(out);
		bad += openings_add(o, a, &daily, now + 3600000 + d) != 0;
	}
	T_CHECK(bad == 0);

	/* The clock jumps a year ahead for one knock, then back: what is made
	 * after still reads back exactly, and the stray opening stays known
	 * (ending late, not early: revocation must still find it). */
	{
		uint64_t now = t0 + 60 * day, ahead = now + 365 * day;
		uint8_t c[KEY_ID_LEN];

		mkid(3, c);
		T_CHECK(openings_add(o, c, &daily, ahead + 60000) == 0);
		T_CHECK(openings_add(o, a, &daily, now + 60000) == 0);
		/* b's, made before the jumps, ends no earlier than it did. */
		n = openings_end(o, b, now, &out);
		T_CHECK(n == 1 && out[0].expires_ms >= t0 + 59 * day + 59 * 7 + day - 1);
		free(out);
		n = openings_take(o, a, now, &out);
		T_CHECK(n == 1 && op_is(&out[0], &daily, now + 60000));
		free(out);
		openings_prune(o, now + 1);
		T_CHECK(openings_count(o, c, now + 40 * day) == 1);
	}
	openings_free(o);
}

int
main(void)
{
	test_add_end_take();
	test_prune();
	test_filter();
	test_expiry_window();
	return T_DONE();
}
