/*
 * gatewayd/verifier.c: every submitted job comes back exactly once, with
 * the signature's verdict, whether it was verified inline or on a worker;
 * the eventfd is readable while workers' finished knocks wait.
 * Warm-up jobs (a knock key to derive, no knock) come back keyed, a bounded
 * number in flight, after the knocks queued behind them.
 */
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keycache.h"
#include "t.h"
#include "verifier.h"

#define MSG_LEN 300		/* at least KNOCK_MIN_LEN */
#define MANY 3000

_Static_assert(MSG_LEN >= KNOCK_MIN_LEN && MSG_LEN <= KNOCK_MAX_LEN, "a knock's length");

static uint8_t pk[KEY_PK_LEN], sk[KEY_SK_LEN];

/* Job number i: a signed message, with a byte of it changed when i % 3 == 0. */
static void
fill(struct verify_job *j, uint64_t i)
{
	randombytes_buf(j->pkt, MSG_LEN - KNOCK_SIG_LEN);
	crypto_sign_detached(j->pkt + MSG_LEN - KNOCK_SIG_LEN, NULL, j->pkt,
	    MSG_LEN - KNOCK_SIG_LEN, sk);
	if (i % 3 == 0)
		j->pkt[i % (MSG_LEN - KNOCK_SIG_LEN)] ^= 0x40;
	j->len = MSG_LEN;
	memcpy(j->pk, pk, KEY_PK_LEN);
	j->h.ts_ms = i;
	j->ok = -1;
}

static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Collect finished jobs into seen[], checking each verdict; the count. */
static int
collect(struct verifier *v, unsigned char *seen, int *wrong)
{
	struct verify_job *j;
	int n = 0;

	while ((j = verifier_done(v)) != NULL) {
		uint64_t i = j->h.ts_ms;

		if (i >= MANY || seen[i]++ != 0 || j->ok != (i % 3 != 0))
			(*wrong)++;
		verifier_put(v, j);
		n++;
	}
	return n;
}

static void
test_inline_only(void)
{
	struct verifier *v = verifier_new(0);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0;
	struct verify_job *j;

	T_CHECK(v != NULL && verifier_fd(v) == -1);
	T_CHECK(verifier_done(v) == NULL);
	for (int i = 0; i < 30; i++) {
		j = verifier_job(v);
		fill(j, (uint64_t)i);
		verifier_submit(v, j, 0);	/* no worker: here anyway */
	}
	T_CHECK(collect(v, seen, &wrong) == 30 && wrong == 0);
	T_CHECK(verifier_done(v) == NULL);
	verifier_free(v);
}

/* Nothing in flight and may_inline: done before submit returns. */
static void
test_inline_when_idle(void)
{
	struct verifier *v = verifier_new(1);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0;
	struct verify_job *j = verifier_job(v);

	fill(j, 1);
	verifier_submit(v, j, 1);
	T_CHECK(collect(v, seen, &wrong) == 1 && wrong == 0 && seen[1] == 1);
	T_CHECK(!readable(verifier_fd(v), 0));	/* no eventfd for it */
	verifier_free(v);
}

/* On a worker: the eventfd says so, and is reset once collected. */
static void
test_worker_wakes_loop(void)
{
	struct verifier *v = verifier_new(1);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0, got = 0;
	struct verify_job *j = verifier_job(v);

	fill(j, 2);
	verifier_submit(v, j, 0);
	T_CHECK(readable(verifier_fd(v), 5000));
	got = collect(v, seen, &wrong);
	T_CHECK(got == 1 && wrong == 0 && seen[2] == 1);
	T_CHECK(!readable(verifier_fd(v), 0));
	T_CHECK(verifier_done(v) == NULL);
	verifier_free(v);
}

/* Many jobs on two workers and the loop, collected as they come. */
static void
test_many(int threads)
{
	static unsigned char seen[MANY];
	struct verifier *v = verifier_new(threads);
	struct verify_job *j;
	int wrong = 0, got = 0, waits = 0;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < MANY; i++) {
		while ((j = verifier_job(v)) == NULL)	/* all in flight */
			got += collect(v, seen, &wrong);
		fill(j, (uint64_t)i);
		verifier_submit(v, j, i % 100 == 0);
		if (i % 7 == 0)
			got += collect(v, seen, &wrong);
	}
	while (got < MANY && waits++ < 1000) {
		readable(verifier_fd(v), 10);
		got += collect(v, seen, &wrong);
	}
	T_CHECK(got == MANY);
	T_CHECK(wrong == 0);
	for (int i = 0; i < MANY; i++)
		if (seen[i] != 1)
			wrong++;
	T_CHECK(wrong == 0);
	T_CHECK(verifier_done(v) == NULL);
	T_CHECK(!readable(verifier_fd(v), 0));
	/* All collected, so idle again: the next one is verified inline. */
	memset(seen, 0, sizeof(seen));
	j = verifier_job(v);
	fill(j, 5);
	verifier_submit(v, j, 1);
	T_CHECK(collect(v, seen, &wrong) == 1 && wrong == 0 && seen[5] == 1);
	verifier_free(v);
}

/* Every job in flight: no more until one is given back. */
static void
test_exhaustion(void)
{
	struct verifier *v = verifier_new(0);
	struct verify_job *j, *last = NULL;
	int n = 0;

	while ((j = verifier_job(v)) != NULL && n < 100000) {
		last = j;
		n++;
	}
	T_CHECK(j == NULL && n >= 512);
	verifier_put(v, last);
	T_CHECK(verifier_job(v) == last);
	verifier_free(v);
}

/* Threads of this process that run only on idle CPU time (SCHED_IDLE). */
static int
idle_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && sched_getscheduler(atoi(e->d_name)) == SCHED_IDLE)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* A warm-up job for agent i (its public key in apk[i]). */
static uint8_t apk[64][KEY_PK_LEN];

static struct verify_job *
warm_job(struct verifier *v, const struct keycache *kc, int i)
{
	struct verify_job *j = verifier_job(v);

	j->warm = 1;
	j->kc = kc;
	memcpy(j->pk, apk[i], KEY_PK_LEN);
	memset(j->h.key_id, 0, KEY_ID_LEN);
	j->h.key_id[0] = (uint8_t)i;
	return j;
}

static void
test_warm(void)
{
	uint8_t gsk[KEY_SK_LEN], gpk[KEY_PK_LEN], ask[KEY_SK_LEN], want[KEY_SESSION_LEN];
	struct keycache *kc;
	struct verifier *v;
	struct verify_job *j;
	int n, got, wrong, order, first_before_last = 0;

	crypto_sign_keypair(gpk, gsk);
	kc = keycache_new(gsk, gpk);
	for (int i = 0; i < 64; i++)
		crypto_sign_keypair(apk[i], ask);
	/* No worker: none taken. */
	v = verifier_new(0);
	j = warm_job(v, kc, 0);
	T_CHECK(verifier_warm(v, j) == -1);
	verifier_put(v, j);
	verifier_free(v);

	/* 32 in flight; they come back, each with the key of its agent; a
	 * knock submitted behind them is checked before the last of them (it
	 * goes to a worker; the warm-up thread yields the CPU to anything
	 * else). A stall of the test between the two submissions could let
	 * the warm-up thread finish them all first: tried five times. */
	for (int attempt = 0; attempt < 5 && !first_before_last; attempt++) {
		v = verifier_new(1);
		for (n = 0; n < 64; n++) {
			j = warm_job(v, kc, n);
			if (verifier_warm(v, j) != 0) {
				verifier_put(v, j);
				break;
			}
		}
		T_CHECK(n == 32);
		j = verifier_job(v);
		fill(j, 1);
		verifier_submit(v, j, 0);
		got = wrong = order = 0;
		for (int waits = 0; got < 33 && waits < 500; waits++) {
			readable(verifier_fd(v), 10);
			while ((j = verifier_done(v)) != NULL) {
				if (!j->warm) {
					wrong += j->ok != 1;	/* job 1: intact */
					order = got;
				} else {
					T_CHECK(keycache_derive(kc, j->pk, want) == 0);
					wrong += !j->keyed || j->pk[0] != apk[j->h.key_id[0]][0] ||
					    memcmp(j->key, want, sizeof(want)) != 0;
				}
				verifier_put(v, j);
				got++;
			}
		}
		T_CHECK(got == 33 && wrong == 0);
		T_CHECK(!readable(verifier_fd(v), 0) && verifier_done(v) == NULL);
		first_before_last = order < 32;
		verifier_free(v);
	}
	/* The warm-up thread runs on idle CPU time only: one SCHED_IDLE
	 * thread, and only while the verifier has workers. */
	T_CHECK(idle_threads() == 0);
	v = verifier_new(2);
	for (n = 0; n < 100 && idle_threads() == 0; n++)
		usleep(10000);
	T_CHECK(idle_threads() == 1);
	verifier_free(v);
	T_CHECK(idle_threads() == 0);

	/* Warm-up jobs alone wake the loop too, once few are left queued: a
	 * loop that waits for the eventfd collects them all. */
	v = verifier_new(1);
	for (n = 0; n < 32; n++)
		T_CHECK(verifier_warm(v, warm_job(v, kc, n)) == 0);
	for (got = 0; got < 32 && readable(verifier_fd(v), 5000); )
		while ((j = verifier_done(v)) != NULL) {
			verifier_put(v, j);
			got++;
		}
	T_CHECK(got == 32);
	/* All collected: 32 may be in flight again. */
	T_CHECK(verifier_warm(v, warm_job(v, kc, 0)) == 0);
	verifier_free(v);		/* one still in flight: freed, wiped */
	T_CHECK(first_before_last);
	keycache_free(kc);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	test_inline_only();
	test_inline_when_idle();
	test_worker_wakes_loop();
	test_many(1);
	test_many(2);
	test_many(7);
	test_exhaustion();
	test_warm();
	return T_DONE();
}
