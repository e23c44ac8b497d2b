/* SPDX-License-Identifier: ISC */
/* Tests of gatewayd/verifier.c: where each check runs, and every verdict. */
/*
 * gatewayd/verifier.c: every knock handed over comes back exactly once, with
 * the signature's verdict, whether it was verified inline or on a worker;
 * the eventfd is readable while workers' finished knocks wait; a first knock
 * is keyed on a worker and its key cached by the verdict. Warm-up jobs (a
 * knock key to derive, no knock) come back keyed, a bounded number in
 * flight, after the knocks queued behind them.
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
#include "knock.h"
#include "t.h"
#include "verifier.h"

#define MANY 3000

static uint8_t gsk[KEY_SK_LEN], gpk[KEY_PK_LEN];
static uint8_t pk[KEY_PK_LEN], sk[KEY_SK_LEN], id[KEY_ID_LEN], key[KEY_SESSION_LEN];
static struct keycache *kc;		/* the agent's knock key cached */

/* Knock number i of agent (ask, apk) under knock key k, its signature broken
 * when i % 3 == 0 (the body still opens: the signature is not sealed). */
static size_t
make_knock(uint64_t i, const uint8_t ask[KEY_SK_LEN], const uint8_t apk[KEY_PK_LEN],
    const uint8_t k[KEY_SESSION_LEN], uint8_t out[KNOCK_MAX_LEN])
{
	struct knock_hdr h;
	struct knock_body b;
	size_t len;

	keys_id(apk, h.key_id);
	h.ts_ms = i;
	randombytes_buf(h.nonce, sizeof(h.nonce));
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gpk, KEY_PK_LEN);
	len = knock_build(out, &h, &b, k, ask);
	if (len > 0 && i % 3 == 0)
		out[len - 1] ^= 0x40;
	return len;
}

/* Hand knock i of the agent to the verifier, at a time that keeps the
 * agent's budget full: VERIFY_PENDING or the refusal. */
static int
submit_as(struct verifier *v, uint64_t i, const uint8_t ask[KEY_SK_LEN],
    const uint8_t apk[KEY_PK_LEN], const uint8_t k[KEY_SESSION_LEN])
{
	uint8_t pkt[KNOCK_MAX_LEN];
	struct knock_pkt kp = { .data = pkt };
	struct knock_hdr h;

	kp.len = make_knock(i, ask, apk, k, pkt);
	T_CHECK(kp.len > 0 && knock_parse_header(pkt, kp.len, &h) == 0);
	return verifier_knock(v, &kp, &h, apk, (i + 1) * 1000);
}

static int
submit(struct verifier *v, uint64_t i)
{
	return submit_as(v, i, sk, pk, key);
}

static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Collect finished knocks into seen[], checking each verdict; the count. */
static int
collect(struct verifier *v, unsigned char *seen, int *wrong)
{
	struct verify_job *j;
	int n = 0;

	while ((j = verifier_done(v)) != NULL) {
		uint64_t i = j->h.ts_ms;
		enum reason want = i % 3 != 0 ? REASON_OK : REASON_BAD_SIGNATURE;

		if (i >= MANY || seen[i]++ != 0 || j->kind != VERIFY_KNOCK ||
		    verifier_verdict(v, j, (i + 1) * 1000) != want)
			(*wrong)++;
		verifier_put(v, j);
		n++;
	}
	return n;
}

static void
test_inline_only(void)
{
	struct verifier *v = verifier_new(kc, 0);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0;

	T_CHECK(v != NULL && verifier_fd(v) == -1);
	T_CHECK(verifier_done(v) == NULL);
	for (int i = 0; i < 30; i++)
		T_CHECK(submit(v, (uint64_t)i) == VERIFY_PENDING);
	T_CHECK(collect(v, seen, &wrong) == 30 && wrong == 0);
	T_CHECK(verifier_done(v) == NULL);
	verifier_free(v);
}

/* Nothing in flight, the first knock of a burst: done before it returns. */
static void
test_inline_when_idle(void)
{
	struct verifier *v = verifier_new(kc, 1);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0;

	T_CHECK(submit(v, 1) == VERIFY_PENDING);
	T_CHECK(collect(v, seen, &wrong) == 1 && wrong == 0 && seen[1] == 1);
	T_CHECK(!readable(verifier_fd(v), 0));	/* no eventfd for it */
	verifier_free(v);
}

/* The second knock of a burst goes to a worker: the eventfd says so, and is
 * reset once collected. */
static void
test_worker_wakes_loop(void)
{
	struct verifier *v = verifier_new(kc, 1);
	unsigned char seen[MANY] = { 0 };
	int wrong = 0, got = 0;

	T_CHECK(submit(v, 1) == VERIFY_PENDING);	/* on the loop */
	T_CHECK(submit(v, 2) == VERIFY_PENDING);	/* on the worker */
	T_CHECK(readable(verifier_fd(v), 5000));
	got = collect(v, seen, &wrong);
	T_CHECK(got == 2 && wrong == 0 && seen[1] == 1 && seen[2] == 1);
	T_CHECK(!readable(verifier_fd(v), 0));
	T_CHECK(verifier_done(v) == NULL);
	verifier_free(v);
}

/* Many knocks on the workers and the loop, collected as they come. */
static void
test_many(int threads)
{
	static unsigned char seen[MANY];
	struct verifier *v = verifier_new(kc, threads);
	int wrong = 0, got = 0, waits = 0, r;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < MANY; i++) {
		while ((r = submit(v, (uint64_t)i)) == REASON_RATE_LIMITED)
			got += collect(v, seen, &wrong);	/* all in flight */
		T_CHECK(r == VERIFY_PENDING);
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
	T_CHECK(submit(v, 5) == VERIFY_PENDING);
	T_CHECK(collect(v, seen, &wrong) == 1 && wrong == 0 && seen[5] == 1);
	verifier_free(v);
}

/* Every job in flight: refused as busy until one is given back. */
static void
test_exhaustion(void)
{
	struct verifier *v = verifier_new(kc, 0);
	struct verify_job *j;
	int n = 0, r;

	while ((r = submit(v, (uint64_t)n + 1)) == VERIFY_PENDING && n < 100000)
		n++;
	T_CHECK(r == REASON_RATE_LIMITED && n >= 512);
	j = verifier_done(v);
	T_CHECK(j != NULL);
	verifier_put(v, j);
	T_CHECK(submit(v, 1) == VERIFY_PENDING);
	verifier_free(v);
}

/* An agent's first knock: its knock key derived and the knock checked on a
 * worker, the key cached by the verdict (also when the body did not open);
 * without workers, on the loop at once. A forged seal is refused on the
 * loop once the key is cached. */
static void
test_first_knock(void)
{
	uint8_t ask[KEY_SK_LEN], apk[KEY_PK_LEN], aid[KEY_ID_LEN], akey[KEY_SESSION_LEN];
	uint8_t wrong_key[KEY_SESSION_LEN] = { 0 };
	struct keycache *c;
	struct verifier *v;
	struct verify_job *j = NULL;

	crypto_sign_keypair(apk, ask);
	keys_id(apk, aid);
	T_CHECK(keys_session(ask, gpk, apk, gpk, akey) == 0);
	c = keycache_new(gsk, gpk);
	v = verifier_new(c, 1);
	T_CHECK(submit_as(v, 1, ask, apk, akey) == VERIFY_PENDING);
	for (int waits = 0; j == NULL && waits < 500; waits++)
		if (readable(verifier_fd(v), 10))
			j = verifier_done(v);
	T_CHECK(j != NULL && j->kind == VERIFY_FIRST && j->keyed);
	T_CHECK(keycache_find(c, aid, apk) == NULL);	/* not before the verdict */
	T_CHECK(verifier_verdict(v, j, 2000) == REASON_OK);
	T_CHECK(keycache_find(c, aid, apk) != NULL);
	T_CHECK(memcmp(keycache_find(c, aid, apk)->key, akey, sizeof(akey)) == 0);
	verifier_put(v, j);
	T_CHECK(verifier_done(v) == NULL);
	/* Cached now: a knock sealed under another key fails on the loop. */
	T_CHECK(submit_as(v, 2, ask, apk, wrong_key) == REASON_BAD_AUTH);
	verifier_free(v);
	keycache_free(c);

	/* A first knock that does not open: bad_auth, its key cached anyway. */
	c = keycache_new(gsk, gpk);
	v = verifier_new(c, 1);
	T_CHECK(submit_as(v, 1, ask, apk, wrong_key) == VERIFY_PENDING);
	for (int waits = 0; (j = verifier_done(v)) == NULL && waits < 500; waits++)
		readable(verifier_fd(v), 10);
	T_CHECK(j != NULL && j->kind == VERIFY_FIRST);
	T_CHECK(verifier_verdict(v, j, 2000) == REASON_BAD_AUTH);
	T_CHECK(keycache_find(c, aid, apk) != NULL);
	verifier_put(v, j);
	verifier_free(v);
	keycache_free(c);

	/* No workers: derived on the loop, cached before the knock returns. */
	c = keycache_new(gsk, gpk);
	v = verifier_new(c, 0);
	T_CHECK(submit_as(v, 1, ask, apk, akey) == VERIFY_PENDING);
	T_CHECK(keycache_find(c, aid, apk) != NULL);
	j = verifier_done(v);
	T_CHECK(j != NULL && j->kind == VERIFY_KNOCK &&
	    verifier_verdict(v, j, 2000) == REASON_OK);
	verifier_put(v, j);
	verifier_free(v);
	keycache_free(c);
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

/* Warm up agent i's knock key (its public key in apk[i]). */
static uint8_t apk[64][KEY_PK_LEN];

static int
warm(struct verifier *v, int i)
{
	uint8_t wid[KEY_ID_LEN] = { (uint8_t)i };

	return verifier_warm(v, wid, apk[i]);
}

static void
test_warm(void)
{
	uint8_t ask[KEY_SK_LEN], want[KEY_SESSION_LEN];
	struct verifier *v;
	struct verify_job *j;
	int n, got, wrong, order, first_before_last = 0;

	for (int i = 0; i < 64; i++)
		crypto_sign_keypair(apk[i], ask);
	/* No worker: none taken. */
	v = verifier_new(kc, 0);
	T_CHECK(warm(v, 0) == -1);
	verifier_free(v);

	/* 32 in flight; they come back, each with the key of its agent; a
	 * knock submitted behind them on a worker (the burst's second: the
	 * first is checked on the loop) is checked before the last of them
	 * (the warm-up thread yields the CPU to anything else). A stall of
	 * the test between the submissions could let the warm-up thread
	 * finish them all first: tried five times. */
	for (int attempt = 0; attempt < 5 && !first_before_last; attempt++) {
		v = verifier_new(kc, 1);
		for (n = 0; n < 64 && warm(v, n) == 0; n++)
			;
		T_CHECK(n == 32);
		T_CHECK(submit(v, 1) == VERIFY_PENDING);	/* on the loop */
		T_CHECK(submit(v, 2) == VERIFY_PENDING);	/* on the worker */
		got = wrong = order = 0;
		for (int waits = 0; got < 34 && waits < 500; waits++) {
			readable(verifier_fd(v), 10);
			while ((j = verifier_done(v)) != NULL) {
				if (j->kind == VERIFY_KNOCK) {
					/* knocks 1 and 2: intact */
					wrong += verifier_verdict(v, j, 0) != REASON_OK;
					if (j->h.ts_ms == 2)
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
		T_CHECK(got == 34 && wrong == 0);
		T_CHECK(!readable(verifier_fd(v), 0) && verifier_done(v) == NULL);
		first_before_last = order < 33;
		verifier_free(v);
	}
	/* The warm-up thread runs on idle CPU time only: one SCHED_IDLE
	 * thread, and only while the verifier has workers. */
	T_CHECK(idle_threads() == 0);
	v = verifier_new(kc, 2);
	for (n = 0; n < 100 && idle_threads() == 0; n++)
		usleep(10000);
	T_CHECK(idle_threads() == 1);
	verifier_free(v);
	T_CHECK(idle_threads() == 0);

	/* Warm-up jobs alone wake the loop too, once few are left queued: a
	 * loop that waits for the eventfd collects them all. */
	v = verifier_new(kc, 1);
	for (n = 0; n < 32; n++)
		T_CHECK(warm(v, n) == 0);
	for (got = 0; got < 32 && readable(verifier_fd(v), 5000); )
		while ((j = verifier_done(v)) != NULL) {
			verifier_put(v, j);
			got++;
		}
	T_CHECK(got == 32);
	/* All collected: 32 may be in flight again. */
	T_CHECK(warm(v, 0) == 0);
	verifier_free(v);		/* one still in flight: freed, wiped */
	T_CHECK(first_before_last);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(gpk, gsk);
	crypto_sign_keypair(pk, sk);
	keys_id(pk, id);
	if (keys_session(sk, gpk, pk, gpk, key) != 0 ||
	    (kc = keycache_new(gsk, gpk)) == NULL || keycache_get(kc, id, pk) == NULL)
		return 1;
	test_inline_only();
	test_inline_when_idle();
	test_worker_wakes_loop();
	test_many(1);
	test_many(2);
	test_many(7);
	test_exhaustion();
	test_first_knock();
	test_warm();
	keycache_free(kc);
	return T_DONE();
}
