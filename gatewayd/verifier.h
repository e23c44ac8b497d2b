/* SPDX-License-Identifier: ISC */
/* Authentication, steps 7 and 8 of PROTOCOL.md, and their budgets. */
#ifndef SPA_VERIFIER_H
#define SPA_VERIFIER_H

/*
 * The engine hands over a knock that passed the cheap checks (steps 2-6);
 * the verifier checks that only the agent could have sealed it (7: the body
 * opens under the agent's knock key) and signed it (8: Ed25519), and charges
 * the agent's budget. It alone decides where each step runs:
 *
 * - a knock whose knock key is cached: 7 and the budget on the loop (a
 *   forger who knows a key id fails here, cheaply), 8 on the loop for the
 *   first knock of a burst when no worker is busy (no thread wake-up on a
 *   lone knock's path) or when every worker already has two jobs waiting (so
 *   the loop reads no faster than knocks are verified), else on a worker;
 * - an agent's first knock (no knock key yet): derive it (a scalar
 *   multiplication), 7 and 8 on a worker, so knocks under cold key ids
 *   cannot stall the loop; with the workers' first-knock queue full, on the
 *   loop within a budget; without workers (offline), on the loop;
 * - warm-up: the knock key of an agent that has not knocked yet, derived on
 *   a thread that runs only on idle CPU time.
 *
 * Jobs carry copies of everything they need, so the loop may reload agents
 * while jobs are in flight.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "audit.h"
#include "capture.h"
#include "keycache.h"
#include "keys.h"
#include "knock.h"

enum verify_kind {
	VERIFY_KNOCK,			/* knock key cached: 7 done on the loop */
	VERIFY_FIRST,			/* derive the knock key, then 7 and 8 */
	VERIFY_WARM			/* no knock: derive the knock key only */
};

struct verify_job {
	enum verify_kind kind;
	uint8_t pkt[KNOCK_MAX_LEN];
	size_t len;
	uint8_t pk[KEY_PK_LEN];
	struct knock_hdr h;
	uint8_t plain[KNOCK_BODY_MAX];	/* the opened body */
	struct spa_addr src;
	uint64_t arrived_us;		/* knock_pkt's; 0: unknown */
	uint8_t key[KEY_SESSION_LEN];	/* FIRST, WARM: derived; wiped on put */
	int keyed;			/* FIRST, WARM: key was derived */
	enum reason result;		/* knocks: the workers' verdict */
	struct verify_job *next;
};

#define VERIFY_PENDING (-1)

struct verifier;

/* Start nthreads workers and, with any, the warm-up thread (0: everything
 * on the loop, no warm-up); knock keys are cached in kc (borrowed). NULL on
 * error. */
struct verifier *verifier_new(struct keycache *kc, int nthreads);
/* Stop the threads and free every job (their keys wiped). */
void verifier_free(struct verifier *v);

/* Steps 7 and 8 of knock k (header h parsed, the agent's public key pk):
 * VERIFY_PENDING when the job is under way (it comes back from
 * verifier_done), or the refusal decided on the loop, an enum reason
 * (bad_auth; rate_limited: no job free, the agent's budget or the loop's
 * key-derivation budget spent). */
int verifier_knock(struct verifier *v, const struct knock_pkt *k,
    const struct knock_hdr *h, const uint8_t pk[KEY_PK_LEN], uint64_t now_ms);

/* Derive the knock key of agent (id, pk) ahead of its first knock, on the
 * warm-up thread: 0, or -1 (not now: no workers, or 32 in flight). */
int verifier_warm(struct verifier *v, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN]);

/* Readable when finished knocks wait, or when few warm-up jobs are left
 * to do (an eventfd); -1 without workers. */
int verifier_fd(const struct verifier *v);

/* Next finished job, or NULL; give it back with verifier_put. NULL also
 * marks the end of a burst: the next knock may be verified on the loop. */
struct verify_job *verifier_done(struct verifier *v);

/* The verdict of a finished knock, once the caller has checked that its
 * agent still holds the job's public key: REASON_OK, bad_auth,
 * bad_signature or rate_limited. A first knock's derived key is cached here
 * (even when the body did not open, so that the next knock under this key
 * id is checked on the loop) and its agent's budget charged. */
enum reason verifier_verdict(struct verifier *v, const struct verify_job *j,
    uint64_t now_ms);

void verifier_put(struct verifier *v, struct verify_job *j);

#endif
