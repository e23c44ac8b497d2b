/*
 * gatewayd/verifier.c: every submitted job comes back exactly once, with
 * the signature's verdict, whether it was verified inline or on a worker;
 * the eventfd is readable exactly while workers' finished jobs wait.
 */
#include <poll.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

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
	return T_DONE();
}
