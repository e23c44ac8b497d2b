/* SPDX-License-Identifier: ISC */
/* Tests for gatewayd/openings.c's shared parts: targets, agents, memory. */
/*
 * Tests for gatewayd/openings.c, its shared parts: targets that differ in one
 * field only, many agents (table and vector growth, memory per opening), and
 * reuse of target slots once their openings are gone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openings.h"
#include "t.h"
#include "topenings.h"

/* --- targets that differ in one field only -------------------------------- */

/*
 * Hundreds of targets, each differing from others in only one field (source
 * family, destination family, protocol, low or high port), from one source:
 * each must be its own target, whatever collides in the hash of targets.
 */
#define NT 120

static void
test_near_targets(void)
{
	struct openings *o = openings_new();
	struct opening *out;
	struct want *w = calloc(5 * NT, sizeof(*w));
	uint8_t a[KEY_ID_LEN];
	size_t nw = 0;
	int bad = 0;
	long n;

	if (w == NULL)
		exit(2);
	mkid(5555, a);
	for (int i = 0; i < NT; i++) {
		struct fw_elem e = mkelem("192.0.2.77", "10.5.0.1", PROTO_TCP,
		    1000, (uint16_t)(1000 + i));

		w[nw++] = (struct want){ e, 1000000 + (uint64_t)i };
		e.src.family = 6;	/* same bytes */
		w[nw++] = (struct want){ e, 2000000 + (uint64_t)i };
		e.dst.family = 6;	/* same bytes */
		w[nw++] = (struct want){ e, 3000000 + (uint64_t)i };
		e = mkelem("192.0.2.77", "10.5.0.1", PROTO_UDP, 1000,
		    (uint16_t)(1000 + i));
		w[nw++] = (struct want){ e, 4000000 + (uint64_t)i };
		e = mkelem("192.0.2.77", "10.5.0.1", PROTO_TCP,
		    (uint16_t)(1000 - i), 1000);
		if (i > 0)	/* i == 0 is the first one above */
			w[nw++] = (struct want){ e, 5000000 + (uint64_t)i };
	}
	for (size_t i = 0; i < nw; i++)
		bad += openings_add(o, a, &w[i].e, w[i].expires_ms) != 0;
	T_CHECK(bad == 0);
	T_CHECK(openings_total(o) == nw);
	/* Refreshing every one of them keeps each apart. */
	for (size_t i = 0; i < nw; i++) {
		w[i].expires_ms += 7;
		bad += openings_add(o, a, &w[i].e, w[i].expires_ms) != 0;
	}
	T_CHECK(bad == 0);
	T_CHECK(openings_total(o) == nw);
	n = openings_take(o, a, 0, &out);
	T_CHECK(same_set(out, n, w, nw));
	free(out);
	T_CHECK(openings_total(o) == 0);
	free(w);
	openings_free(o);

	/* Few targets, so a small hash of them: near ones share buckets often.
	 * Many small indexes, each with six targets one field apart and two
	 * others (eight: the most a 16-bucket hash holds). */
	bad = 0;
	for (int i = 0; i < 4000; i++) {
		struct want v[8];
		struct fw_elem e = mkelem("192.0.2.78", "10.5.0.2", PROTO_TCP,
		    (uint16_t)(2000 + i), (uint16_t)(2000 + i));

		o = openings_new();
		v[0] = (struct want){ e, 10 };
		v[1] = v[0];
		v[1].e.src.family = 6;
		v[2] = v[0];
		v[2].e.dst.family = 6;
		v[3] = v[0];
		v[3].e.proto = PROTO_UDP;
		v[4] = v[0];
		v[4].e.port_hi++;
		v[5] = v[0];
		v[5].e.port_lo--;
		v[6] = v[0];
		v[6].e.dst.bytes[3] = (uint8_t)(i * 7);
		v[6].e.port_lo = (uint16_t)(i * 13);
		v[7] = v[6];
		v[7].e.dst.bytes[2] = (uint8_t)(i * 3);
		v[7].e.port_hi = (uint16_t)(i * 5);
		for (int k = 0; k < 8; k++) {	/* the two others first */
			int j = (k + 6) % 8;

			v[j].expires_ms = 10 + (uint64_t)j;
			bad += openings_add(o, a, &v[j].e,
			    v[j].expires_ms) != 0;
		}
		bad += openings_total(o) != 8;
		n = openings_take(o, a, 0, &out);
		bad += !same_set(out, n, v, 8);
		free(out);
		openings_free(o);
	}
	T_CHECK(bad == 0);
}

/* --- many agents ---------------------------------------------------------- */

#define NAGENTS 5000
#define PER 7

/* Agent a's opening j: mixed families, three targets per family. */
static void
many_want(uint32_t a, int j, struct want *w)
{
	static const char *dst4[3] = { "10.9.0.1", "10.9.0.2", "10.9.0.3" };
	static const char *dst6[3] = { "2001:db8:9::1", "2001:db8:9::2",
	    "2001:db8:9::3" };
	static const uint8_t proto[3] = { PROTO_TCP, PROTO_TCP, PROTO_UDP };
	static const uint16_t lo[3] = { 22, 443, 1000 };
	static const uint16_t hi[3] = { 22, 443, 2000 };
	int six = (int)((a + (uint32_t)j) % 2), t = j % 3;

	memset(w, 0, sizeof(*w));
	if (addr_parse(six ? dst6[t] : dst4[t], &w->e.dst) != 0)
		exit(2);
	w->e.src.family = six ? 6 : 4;
	if (six) {
		w->e.src.bytes[0] = 0x20;
		w->e.src.bytes[1] = 0x01;
		w->e.src.bytes[2] = 0x0d;
		w->e.src.bytes[3] = 0xb8;
		w->e.src.bytes[12] = (uint8_t)j;
		w->e.src.bytes[14] = (uint8_t)(a >> 8);
		w->e.src.bytes[15] = (uint8_t)a;
	} else {
		w->e.src.bytes[0] = 100;
		w->e.src.bytes[1] = (uint8_t)(64 + j);
		w->e.src.bytes[2] = (uint8_t)(a >> 8);
		w->e.src.bytes[3] = (uint8_t)a;
	}
	w->e.proto = proto[t];
	w->e.port_lo = lo[t];
	w->e.port_hi = hi[t];
	w->expires_ms = 100000 + (uint64_t)a * PER + (uint64_t)j;
}

/* Every agent's openings, interleaved (the agent table grows while every
 * agent's list is part made); returns how many adds failed. */
static int
add_many(struct openings *o)
{
	uint8_t id[KEY_ID_LEN];
	int fail = 0;

	for (int j = 0; j < PER; j++)
		for (uint32_t a = 0; a < NAGENTS; a++) {
			struct want w;

			mkid(1000 + a, id);
			many_want(a, j, &w);
			fail += openings_add(o, id, &w.e, w.expires_ms) != 0;
		}
	return fail;
}

static void
test_many(void)
{
	struct openings *o = openings_new();
	struct opening *out;
	uint8_t id[KEY_ID_LEN];
	size_t bytes, after;
	int addfail = 0, badcount = 0, badtake = 0;

	T_CHECK(add_many(o) == 0);
	T_CHECK(openings_total(o) == (size_t)NAGENTS * PER);

	/* Refreshing them all adds nothing. */
	for (uint32_t a = 0; a < NAGENTS; a += 7) {
		struct want w;

		mkid(1000 + a, id);
		many_want(a, (int)(a % PER), &w);
		addfail += openings_add(o, id, &w.e, w.expires_ms) != 0;
	}
	T_CHECK(addfail == 0);
	T_CHECK(openings_total(o) == (size_t)NAGENTS * PER);

	for (uint32_t a = 0; a < NAGENTS; a++) {
		uint64_t base = 100000 + (uint64_t)a * PER;

		mkid(1000 + a, id);
		badcount += openings_count(o, id, 0) != PER;
		badcount += openings_count(o, id, base + 3) != PER - 4;
		badcount += openings_count(o, id, base + PER - 1) != 0;
	}
	T_CHECK(badcount == 0);

	bytes = openings_bytes(o);
	printf("openings: %d agents x %d: %zu bytes, %.1f bytes per opening\n",
	    NAGENTS, PER, bytes, (double)bytes / (NAGENTS * PER));
	/*
	 * 16-byte records, plus the agent table (16-byte slots, at most four
	 * fifths full: 8192 for 5000 agents, 3.7 bytes an opening), plus the
	 * IPv6 sources: half the openings here, each from its own address,
	 * interned in 20-byte slots (32768 for 17500) and a hash (131072 4-byte
	 * entries), 34 bytes an opening: 46.0 in all. 49 still catches records
	 * growing by 4 bytes, or the table growing early.
	 */
	T_CHECK(bytes < (size_t)49 * NAGENTS * PER);

	for (uint32_t a = 0; a < NAGENTS; a++) {
		struct want w[PER];
		long n;

		for (int j = 0; j < PER; j++)
			many_want(a, j, &w[j]);
		mkid(1000 + a, id);
		n = openings_take(o, id, 0, &out);
		badtake += !same_set(out, n, w, PER);
		free(out);
	}
	T_CHECK(badtake == 0);
	T_CHECK(openings_total(o) == 0);
	/* The next prune gives back the records' room and the agents' slots. */
	T_CHECK(openings_bytes(o) == bytes);
	openings_prune(o, 0);
	after = openings_bytes(o);
	printf("openings: %.1f bytes per opening given back, %zu bytes left\n",
	    (double)(bytes - after) / (NAGENTS * PER), after);
	T_CHECK(after + (size_t)39 * NAGENTS * PER <= bytes);
	T_CHECK(after < 4096);
	openings_free(o);
}

/*
 * A prune that leaves few records rebuilds the array smaller and drops the
 * agents left with none; what is left reads back exactly, whole lists and a
 * list cut short, and the index takes new openings after. With sweep, the
 * prune is made in bounded steps, and only the last one gives the room
 * back.
 */
static void
test_compact(int sweep)
{
	const uint32_t cut = 4500;	/* agents from here on keep openings */
	const uint64_t now = 100000 + (uint64_t)cut * PER + 4 + OPENINGS_KEEP_MS;
	struct openings *o = openings_new();
	struct opening *out;
	uint8_t id[KEY_ID_LEN];
	size_t full, pruned;
	int addfail = 0, bad = 0;

	T_CHECK(add_many(o) == 0);
	full = openings_bytes(o);
	if (sweep) {
		int calls = 0, done = 0;

		/* 8192 slots and 35,000 records, at most 8192 (and the rest of
		 * one agent's list) a call: 6 calls. */
		while (!done && calls < 100) {
			done = openings_sweep(o, now);
			calls++;
			bad += !done && openings_bytes(o) != full;
		}
		printf("openings: a sweep pass in %d calls\n", calls);
		T_CHECK(done && calls >= 5 && calls <= 7);
	} else {
		openings_prune(o, now);
	}
	pruned = openings_bytes(o);
	printf("openings: compacted from %zu to %zu bytes for %zu openings\n",
	    full, pruned, openings_total(o));
	T_CHECK(openings_total(o) == (size_t)(NAGENTS - cut) * PER - 5);
	T_CHECK(pruned * 5 < full);
	for (uint32_t a = 0; a < NAGENTS; a++) {
		struct want w[PER];
		int from = a < cut ? PER : a == cut ? 5 : 0;
		long n;

		for (int j = from; j < PER; j++)
			many_want(a, j, &w[j - from]);
		mkid(1000 + a, id);
		if (a % 3 == 0) {
			n = openings_take(o, id, 0, &out);
			bad += !same_set(out, n, w, (size_t)(PER - from));
			free(out);
			for (int j = from; j < PER; j++)
				addfail += openings_add(o, id, &w[j - from].e,
				    w[j - from].expires_ms) != 0;
		}
		bad += openings_count(o, id, 0) != (size_t)(PER - from);
	}
	T_CHECK(addfail == 0);
	T_CHECK(bad == 0);
	T_CHECK(openings_total(o) == (size_t)(NAGENTS - cut) * PER - 5);
	openings_free(o);
}

/* --- reuse of target slots ------------------------------------------------ */

struct churn {
	uint16_t port;
	uint64_t b, c;
	int calls, bad;
	struct want w[4];
};

/* Drop what b and c hold on the round's port; check what is seen. */
static int
churn_drop(uint64_t id, const struct opening *op, void *arg)
{
	struct churn *ch = arg;
	int found = 0;

	ch->calls++;
	if (op->e.port_lo != ch->port)
		return 0;		/* a's long-lived ones */
	if (id == ch->b)
		for (int i = 0; i < 3; i++)
			found += op_is(op, &ch->w[i].e, ch->w[i].expires_ms);
	else if (id == ch->c)
		found = op_is(op, &ch->w[3].e, ch->w[3].expires_ms);
	ch->bad += found != 1;
	return 1;
}

static void
test_reuse(void)
{
	struct openings *o = openings_new();
	struct opening *out, *rm;
	uint8_t a[KEY_ID_LEN], b[KEY_ID_LEN], c[KEY_ID_LEN];
	struct fw_elem p1, p2;
	size_t bytes0 = 0, bytesmax = 0, peak0 = 0, nrm;
	const uint64_t K = OPENINGS_KEEP_MS;
	int bad = 0;
	long n;

	mkid(7001, a);
	mkid(7002, b);
	mkid(7003, c);
	/* Long-lived openings on two targets, around the churn. */
	p1 = mkelem("192.0.2.50", "10.3.0.1", PROTO_TCP, 22, 22);
	p2 = mkelem("2001:db8::50", "2001:db8:4::1", PROTO_TCP, 443, 443);
	T_CHECK(openings_add(o, a, &p1, 5000 * K) == 0);

	for (int r = 0; r < 200; r++) {
		uint64_t now = (uint64_t)r * 10 * K;
		uint16_t port = (uint16_t)(10000 + r);
		struct fw_elem x, y, z;
		struct want w[3];

		x = mkelem("198.51.100.9", "10.3.0.2", PROTO_TCP, port, port);
		y = mkelem("2001:db8::9", "2001:db8:4::2", PROTO_UDP, port,
		    (uint16_t)(port + 5));
		z = mkelem("198.51.100.10", "10.3.0.3", PROTO_TCP, port, port);
		/* x twice (a refresh), y, z for b; z again for c. */
		bad += openings_add(o, b, &x, now + 1000) != 0;
		bad += openings_add(o, b, &x, now + 2000) != 0;
		bad += openings_add(o, b, &y, now + 3000) != 0;
		bad += openings_add(o, b, &z, now + 4000) != 0;
		bad += openings_add(o, c, &z, now + 5000) != 0;
		if (r == 0)
			bad += openings_add(o, a, &p2, 5000 * K) != 0;
		bad += openings_total(o) != 6;
		bad += openings_count(o, b, now) != 3;
		if (r == 0)
			peak0 = openings_bytes(o);
		bad += openings_bytes(o) > peak0;	/* not growing */
		w[0] = (struct want){ x, now + 2000 };
		w[1] = (struct want){ y, now + 3000 };
		w[2] = (struct want){ z, now + 4000 };
		for (int i = 0; i < 3; i++)
			w[i].e.timeout_ms = 0;

		switch (r % 3) {
		case 0:		/* taken */
			n = openings_take(o, b, now, &out);
			bad += !same_set(out, n, w, 3);
			free(out);
			n = openings_take(o, c, now, &out);
			bad += !(n == 1 && op_is(&out[0], &z, now + 5000));
			free(out);
			break;
		case 1:		/* ended, then pruned */
			n = openings_end(o, b, now + 500, &out);
			bad += !same_set(out, n, w, 3);
			free(out);
			openings_prune(o, now + 500 + K + 1);
			bad += openings_total(o) != 3;	/* c's z still there */
			openings_prune(o, now + 5000 + K + 1);
			break;
		case 2:		/* filtered out by port */
			{
				struct churn ch = { .port = port,
				    .b = keys_id64(b), .c = keys_id64(c) };

				ch.w[0] = w[0];
				ch.w[1] = w[1];
				ch.w[2] = w[2];
				ch.w[3] = (struct want){ z, now + 5000 };
				bad += openings_filter(o, churn_drop, &ch, &rm,
				    &nrm) != 0;
				bad += ch.calls != 6 || ch.bad != 0;
				bad += !same_set(rm, (long)nrm, ch.w, 4);
				free(rm);
			}
			break;
		}
		bad += openings_total(o) != 2;
		if (r == 0)
			bytes0 = openings_bytes(o);
		if (openings_bytes(o) > bytesmax)
			bytesmax = openings_bytes(o);
	}
	T_CHECK(bad == 0);
	printf("openings: 200 rounds of churn: at most %zu bytes between rounds"
	    " (%zu after the first), %zu within\n", bytesmax, bytes0, peak0);
	T_CHECK(bytesmax <= bytes0);

	/* The long-lived ones still expand to their own targets. */
	{
		const struct want w[] = {
			{ p1, 5000 * K }, { p2, 5000 * K },
		};

		n = openings_take(o, a, 0, &out);
		T_CHECK(same_set(out, n, w, 2));
		free(out);
	}
	T_CHECK(openings_total(o) == 0);
	openings_free(o);
}

int
main(void)
{
	test_near_targets();
	test_many();
	test_compact(0);
	test_compact(1);
	test_reuse();
	return T_DONE();
}
