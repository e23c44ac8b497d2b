#ifndef SPA_VERIFIER_H
#define SPA_VERIFIER_H

/*
 * Ed25519 verification on every core. The engine's loop does all the cheap
 * checks and all the bookkeeping; only the signature check (tens of
 * microseconds, the only public-key step) is handed to worker threads. Jobs
 * carry copies of everything they need, so the loop may reload agents while
 * jobs are in flight. The loop verifies inline instead when nothing is in
 * flight (at low load that saves a thread wake-up in the knock-to-open
 * latency) and when every worker already has two jobs waiting (so the loop
 * reads no faster than knocks are verified, and a worker that finishes one
 * finds the next without going to sleep). An agent's first knock also needs
 * its knock key derived (a scalar multiplication): that is a worker's job
 * too, so that knocks for cold keys cannot stall the loop. With workers, one
 * more thread derives the knock keys of agents that have not knocked yet
 * (warm-up jobs), on CPU time nothing else wants, so that most first knocks
 * find theirs.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "keycache.h"
#include "keys.h"
#include "knock.h"

struct verify_job {
	uint8_t pkt[KNOCK_MAX_LEN];
	size_t len;
	uint8_t pk[KEY_PK_LEN];
	struct knock_hdr h;
	uint8_t plain[KNOCK_BODY_MAX];
	struct spa_addr src;
	uint64_t arrived_us;		/* knock_pkt's; 0: unknown */
	/* Set: the agent's first knock (or, with warm, no knock at all). The
	 * worker derives its knock key into key, opens the body (the symmetric
	 * check) and checks the signature only if that passed. Wiped when the
	 * job is put back. */
	const struct keycache *kc;
	uint8_t key[KEY_SESSION_LEN];
	int warm;			/* no knock: derive the key only */
	int keyed;			/* result, first knock: key was derived */
	int opened;			/* result, first knock: the body opened */
	int ok;				/* result: 1 if the signature verified */
	struct verify_job *next;
};

struct verifier;

/* Start nthreads workers and, with any, the warm-up thread (0: verify
 * inline only, no warm-up); NULL on error. */
struct verifier *verifier_new(int nthreads);
/* Stop the workers and free every job. */
void verifier_free(struct verifier *v);

/* A free job, or NULL when all are in flight (the caller refuses: busy). */
struct verify_job *verifier_job(struct verifier *v);
/* Verify job: inline when may_inline and no knock is in flight, or when
 * every worker has two jobs waiting; else on a worker. A first knock's job
 * (kc set) is never done inline while there are workers: -1 when every
 * worker has 32 first knocks waiting (the job stays the caller's), else 0. */
int verifier_submit(struct verifier *v, struct verify_job *job, int may_inline);
/* Derive the knock key of a job that carries no knock (warm, kc, pk and
 * h.key_id set) on the warm-up thread. -1 (the job stays the caller's)
 * without workers or when 32 are in flight already. */
int verifier_warm(struct verifier *v, struct verify_job *job);
/* Readable when finished knocks wait, or when few warm-up jobs are left
 * to do (an eventfd); -1 without workers. */
int verifier_fd(const struct verifier *v);
/* Next finished job, or NULL; give it back with verifier_put. */
struct verify_job *verifier_done(struct verifier *v);
void verifier_put(struct verifier *v, struct verify_job *job);

#endif
