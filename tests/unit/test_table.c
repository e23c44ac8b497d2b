/* SPDX-License-Identifier: ISC */
/* Unit tests of common/table.c: sizing, probes, collisions, rebuilds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "table.h"

/* The entries of a test: a key each, their hash chosen by the test. */
struct set {
	struct table t;
	uint64_t *key, *hash;
	size_t n, cap;
};

/* The entry holding key under hash h, or TABLE_END; *probes counts the
 * candidates looked at. */
static uint32_t
find(const struct set *s, uint64_t key, uint64_t h, size_t *probes)
{
	size_t at;

	*probes = 0;
	for (uint32_t x = table_first(&s->t, h, &at); x != TABLE_END;
	    x = table_next(&s->t, &at)) {
		++*probes;
		if (s->key[x] == key)
			return x;
	}
	return TABLE_END;
}

/* Rebuild at twice the entries when full, as a caller does; 0 or -1. */
static int
put(struct set *s, uint64_t key, uint64_t h)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;

		if ((s->key = realloc(s->key, cap * sizeof(*s->key))) == NULL ||
		    (s->hash = realloc(s->hash, cap * sizeof(*s->hash))) == NULL)
			return -1;
		s->cap = cap;
	}
	if (table_full(&s->t)) {
		struct table t;

		if (table_init(&t, 2 * s->n) != 0)
			return -1;
		for (size_t i = 0; i < s->n; i++)
			table_add(&t, s->hash[i], (uint32_t)i);
		table_free(&s->t);
		s->t = t;
	}
	s->key[s->n] = key;
	s->hash[s->n] = h;
	table_add(&s->t, h, (uint32_t)s->n);
	s->n++;
	return 0;
}

static void
set_free(struct set *s)
{
	table_free(&s->t);
	free(s->key);
	free(s->hash);
	memset(s, 0, sizeof(*s));
}

/* Capacity: a power of two, at least TABLE_MIN, that n fill at most half. */
static void
test_sizes(void)
{
	static const struct { size_t n, cap; } v[] = {
		{ 0, 16 }, { 1, 16 }, { 8, 16 }, { 9, 32 }, { 16, 32 },
		{ 17, 64 }, { 1000, 2048 }, { 1024, 2048 }, { 1025, 4096 },
	};
	struct table t;
	int bad = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (table_init(&t, v[i].n) != 0) {
			bad++;
			continue;
		}
		bad += t.mask + 1 != v[i].cap || t.used != 0;
		bad += table_bytes(&t) != v[i].cap * sizeof(uint32_t);
		for (size_t j = 0; j <= t.mask; j++)
			bad += t.slot[j] != 0;
		table_free(&t);
		bad += t.slot != NULL || t.mask != 0 || table_bytes(&t) != 0;
	}
	T_CHECK(bad == 0);
	/* Room that cannot be had is refused, with t zeroed. */
	T_CHECK(table_init(&t, SIZE_MAX / 2) == -1 && t.slot == NULL);
	table_free(&t);			/* zeroed: a no-op */
	table_clear(&t);
}

/* Full at half: 8 entries fit 16 slots, the 9th asks for a rebuild. */
static void
test_full(void)
{
	struct table t;
	int bad = 0;

	T_CHECK(table_init(&t, 8) == 0 && t.mask == 15);
	for (uint32_t x = 0; x < 8; x++) {
		bad += table_full(&t);
		table_add(&t, x * 7, x);
	}
	T_CHECK(bad == 0 && t.used == 8);
	T_CHECK(table_full(&t));
	table_clear(&t);
	T_CHECK(t.used == 0 && !table_full(&t) && t.mask == 15);
	for (size_t j = 0; j <= t.mask; j++)
		bad += t.slot[j] != 0;
	T_CHECK(bad == 0);
	table_free(&t);
}

/*
 * Collisions: entries under one hash come back in the order added, each
 * probe looking at one more candidate; a missing key walks the whole run
 * and stops at the first empty slot. The run starts at the last slot, so
 * it wraps to slot 0.
 */
static void
test_collisions(void)
{
	struct set s = { 0 };
	uint64_t h = 15 + (1ULL << 40);	/* low bits: the last of 16 slots */
	size_t probes, at;
	int bad = 0;

	T_CHECK(table_init(&s.t, 8) == 0);
	for (uint64_t k = 0; k < 8; k++)
		bad += put(&s, 100 + k, h) != 0;
	T_CHECK(bad == 0 && s.t.mask == 15);
	for (uint64_t k = 0; k < 8; k++) {
		bad += find(&s, 100 + k, h, &probes) != k;
		bad += probes != k + 1;
	}
	T_CHECK(bad == 0);
	T_CHECK(find(&s, 99, h, &probes) == TABLE_END && probes == 8);
	/* The run: slot 15, then 0..6; slot 7 ends it. */
	T_CHECK(s.t.slot[15] == 1 && s.t.slot[0] == 2 && s.t.slot[6] == 8);
	T_CHECK(s.t.slot[7] == 0);
	T_CHECK(table_first(&s.t, h, &at) == 0 && at == 15);
	T_CHECK(table_next(&s.t, &at) == 1 && at == 0);
	/* Another hash in the middle of the run shares its tail. */
	T_CHECK(find(&s, 105, 3, &probes) == 5 && probes == 2);
	T_CHECK(find(&s, 42, 3, &probes) == TABLE_END && probes == 4);
	/* An empty home slot: no candidate at all. */
	T_CHECK(table_first(&s.t, 10, &at) == TABLE_END && at == 10);
	set_free(&s);
}

/* A table may hold a probe sequence long enough to be nearly whole: with
 * every hash on one slot, each lookup still ends at the one empty slot. */
static void
test_long_run(void)
{
	struct table t;
	size_t at, n = 0;
	int bad = 0;

	/* Past table_full on purpose: only the probe is tested here. */
	T_CHECK(table_init(&t, 0) == 0);
	for (uint32_t x = 0; x < 15; x++)
		table_add(&t, 9, x);
	for (uint32_t x = table_first(&t, 9, &at); x != TABLE_END;
	    x = table_next(&t, &at)) {
		bad += x != n;
		n++;
	}
	T_CHECK(bad == 0 && n == 15 && at == 8);
	table_free(&t);
}

/*
 * What callers without deletion do: an entry left behind stays in its slot
 * (stale), rejected by the caller's comparison, until a rebuild leaves it
 * out; a rebuilt table finds the rest as before.
 */
static void
test_stale(void)
{
	struct set s = { 0 };
	struct table t;
	size_t probes;
	int bad = 0;

	T_CHECK(table_init(&s.t, 4) == 0);
	for (uint64_t k = 0; k < 6; k++)
		bad += put(&s, k, 4) != 0;
	s.key[2] = UINT64_MAX;		/* "deleted": no key matches it */
	T_CHECK(find(&s, 2, 4, &probes) == TABLE_END && probes == 6);
	T_CHECK(find(&s, 5, 4, &probes) == 5 && probes == 6);
	T_CHECK(s.t.used == 6);
	T_CHECK(table_init(&t, s.n) == 0);
	for (uint32_t i = 0; i < s.n; i++)
		if (s.key[i] != UINT64_MAX)
			table_add(&t, s.hash[i], i);
	table_free(&s.t);
	s.t = t;
	T_CHECK(s.t.used == 5);
	T_CHECK(find(&s, 5, 4, &probes) == 5 && probes == 5);
	T_CHECK(find(&s, 2, 4, &probes) == TABLE_END && probes == 5);
	for (uint64_t k = 0; k < 6; k++)
		bad += k != 2 && find(&s, k, 4, &probes) != k;
	T_CHECK(bad == 0);
	set_free(&s);
}

/* Many keys through every growth: each found, none made up, the table at
 * most half full throughout and never more than twice the room needed. */
static void
test_many(void)
{
	const uint64_t n = 200000;
	struct set s = { 0 };
	size_t probes, worst = 0, sum = 0;
	int bad = 0, full = 0;

	T_CHECK(table_init(&s.t, 0) == 0);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ULL;

		bad += put(&s, key, table_hash(&key, sizeof(key))) != 0;
		full += s.t.used * 2 > s.t.mask + 1;
	}
	T_CHECK(bad == 0 && full == 0);
	T_CHECK(s.t.used == n && s.t.mask + 1 <= 4 * n);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ULL;

		bad += find(&s, key, table_hash(&key, sizeof(key)), &probes) != k;
		sum += probes;
		worst = probes > worst ? probes : worst;
	}
	T_CHECK(bad == 0);
	for (uint64_t k = n; k < n + 1000; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ULL;

		bad += find(&s, key, table_hash(&key, sizeof(key)), &probes) !=
		    TABLE_END;
	}
	T_CHECK(bad == 0);
	printf("table: %llu keys in %zu slots, %.2f probes a hit, at most %zu\n",
	    (unsigned long long)n, s.t.mask + 1, (double)sum / (double)n, worst);
	/* At most half full, linear probing averages well under 2 a hit. */
	T_CHECK(sum < 2 * n);
	set_free(&s);
}

/* table_hash: the same bytes the same hash; the low bits of short keys
 * that differ in one byte spread over a small table. */
static void
test_hash(void)
{
	char name[16];
	unsigned seen[64] = { 0 };
	int most = 0;

	T_CHECK(table_hash("abc", 3) == table_hash("abc", 3));
	T_CHECK(table_hash("abc", 3) != table_hash("abd", 3));
	T_CHECK(table_hash("", 0) != table_hash("\0", 1));
	for (int i = 0; i < 6400; i++) {
		snprintf(name, sizeof(name), "res%d", i);
		seen[table_hash(name, strlen(name)) & 63]++;
	}
	for (int i = 0; i < 64; i++)
		most = seen[i] > (unsigned)most ? (int)seen[i] : most;
	T_CHECK(most < 200);		/* 100 each on average */
}

int
main(void)
{
	test_sizes();
	test_full();
	test_collisions();
	test_long_run();
	test_stale();
	test_many();
	test_hash();
	return T_DONE();
}
