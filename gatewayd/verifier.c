/* SPDX-License-Identifier: ISC */
/* Steps 7 and 8: where each check runs, its threads and budgets. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sodium.h>

#include "bucket.h"
#include "verifier.h"

#define MAX_JOBS 1024
#define MAX_THREADS 8
/* Jobs waiting per worker before the loop verifies one itself: with a second
 * one queued, a worker that finishes goes on to the next without sleeping. */
#define DEPTH 2
/* First knocks waiting per worker (the loop derives keys only within a
 * budget): deeper, since the loop cannot take over; behind them, other
 * knocks are verified on the loop (they count against DEPTH too). */
#define FIRST_DEPTH 32
/* Warm-up jobs in flight; the loop is told to add more when WARM_LOW are
 * left queued: it is woken once for many keys, not for each, and the
 * warm-up thread does not run dry meanwhile. */
#define WARM_DEPTH 32
#define WARM_LOW 8
/* An agent's own budget, charged only once its knock passed the symmetric
 * check, so that forgers cannot spend it. */
#define AGENT_RATE 20
#define AGENT_BURST 50
/* Knock keys the loop derives itself when the workers' queue for first
 * knocks is full (an agent's threads all knocking at once; many agents'
 * first knocks after a start): a bounded share of the loop's time, so that
 * the rest of the loop still keeps up with a flood of forged knocks. */
#define DERIVE_RATE 4000
#define DERIVE_BURST 20

struct queue {
	struct verify_job *head, *tail;
};

struct verifier {
	struct keycache *kc;
	struct bucket derive;		/* knock keys derived on the loop */
	int fresh;			/* no knock submitted since the last collection */
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t warm_work;	/* the warm-up thread's */
	struct queue todo, done;
	struct queue later;		/* warm-up jobs */
	struct queue mine;		/* finished, loop only: verified inline, or collected */
	struct verify_job *free;	/* touched by the loop only */
	struct verify_job *jobs;
	size_t busy;			/* submitted, not yet collected (loop only) */
	size_t queued;			/* submitted, not yet taken by a worker */
	size_t queued_first;		/* of those, first knocks */
	size_t queued_warm;		/* in later */
	size_t warming;			/* warm-up jobs not yet collected (loop only) */
	int signalled;			/* the eventfd was written, not yet read */
	int stop;
	int efd;
	int nthreads;
	pthread_t tid[MAX_THREADS];
	pthread_t warm_tid;
	int warmer;			/* the warm-up thread runs */
};

static void
push(struct queue *q, struct verify_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct verify_job *
pop(struct queue *q)
{
	struct verify_job *j = q->head;

	if (j != NULL && (q->head = j->next) == NULL)
		q->tail = NULL;
	return j;
}

static void
wake(int efd)
{
	uint64_t one = 1;
	ssize_t r = efd >= 0 ? write(efd, &one, sizeof(one)) : 0;

	(void)r;		/* an eventfd counter does not overflow here */
}

/* With the lock held: the eventfd is written once until the loop collects,
 * not once per job; for a knock at once, for a warm-up job only when few are
 * left queued (until then it waits for the loop's next collection). */
static void
finished(struct verifier *v, struct verify_job *j)
{
	push(&v->done, j);
	if (!v->signalled && (j->kind != VERIFY_WARM || v->queued_warm <= WARM_LOW)) {
		v->signalled = 1;
		wake(v->efd);
	}
}

/* What a thread (or the loop) does for a job: FIRST and WARM derive the knock
 * key; FIRST then opens the body (7); knocks get the signature check (8)
 * only once the body opened. */
static void
verify(const struct keycache *kc, struct verify_job *j)
{
	if (j->kind != VERIFY_KNOCK) {
		j->keyed = keycache_derive(kc, j->pk, j->key) == 0;
		if (j->kind == VERIFY_WARM)
			return;
		if (!j->keyed ||
		    knock_open(j->pkt, j->len, &j->h, j->key, j->plain) != 0) {
			j->result = REASON_BAD_AUTH;
			return;
		}
	}
	j->result = knock_verify_sig(j->pkt, j->len, j->pk) == 0 ?
	    REASON_OK : REASON_BAD_SIGNATURE;
}

/* A thread's loop: knocks from todo (a worker), or warm-up jobs from later
 * (the warm-up thread). */
static void
serve(struct verifier *v, int warm)
{
	struct queue *q = warm ? &v->later : &v->todo;
	pthread_cond_t *more = warm ? &v->warm_work : &v->work;
	struct verify_job *j;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		while (!v->stop && q->head == NULL)
			pthread_cond_wait(more, &v->lock);
		if (v->stop)
			break;
		j = pop(q);
		if (warm) {
			v->queued_warm--;
		} else {
			v->queued--;
			v->queued_first -= j->kind == VERIFY_FIRST;
		}
		pthread_mutex_unlock(&v->lock);
		verify(v->kc, j);
		pthread_mutex_lock(&v->lock);
		finished(v, j);
	}
	pthread_mutex_unlock(&v->lock);
}

static void *
worker(void *arg)
{
	serve(arg, 0);
	return NULL;
}

/* Knock keys derived ahead, on a thread of its own that runs only on CPU
 * time nothing else wants (SCHED_IDLE; an unprivileged thread may lower its
 * own priority): never in the way of a knock, of the loop, or of anything
 * else on the machine. */
static void *
warmer(void *arg)
{
	struct sched_param sp = { 0 };

	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	serve(arg, 1);
	return NULL;
}

struct verifier *
verifier_new(struct keycache *kc, int nthreads)
{
	struct verifier *v = calloc(1, sizeof(*v));
	pthread_mutexattr_t ma;

	if (v == NULL)
		return NULL;
	v->kc = kc;
	v->fresh = 1;
	v->efd = -1;
	v->jobs = calloc(MAX_JOBS, sizeof(*v->jobs));
	if (v->jobs == NULL)
		goto fail;
	/* First knocks' keys pass through jobs: best effort, as the keys'. */
	(void)sodium_mlock(v->jobs, MAX_JOBS * sizeof(*v->jobs));
	for (size_t i = 0; i < MAX_JOBS; i++) {
		v->jobs[i].next = v->free;
		v->free = &v->jobs[i];
	}
	/* Held for a push or a pop only: a thread that finds it taken waits
	 * awake for a moment rather than going to sleep on it. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&v->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&v->work, NULL);
	pthread_cond_init(&v->warm_work, NULL);
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nthreads > 0 &&
	    (v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail;
	for (; v->nthreads < nthreads; v->nthreads++)
		if (pthread_create(&v->tid[v->nthreads], NULL, worker, v) != 0)
			goto fail;
	if (nthreads > 0) {
		if (pthread_create(&v->warm_tid, NULL, warmer, v) != 0)
			goto fail;
		v->warmer = 1;
	}
	return v;
fail:
	verifier_free(v);
	return NULL;
}

void
verifier_free(struct verifier *v)
{
	if (v == NULL)
		return;
	pthread_mutex_lock(&v->lock);
	v->stop = 1;
	pthread_cond_broadcast(&v->work);
	pthread_cond_signal(&v->warm_work);
	pthread_mutex_unlock(&v->lock);
	for (int i = 0; i < v->nthreads; i++)
		pthread_join(v->tid[i], NULL);
	if (v->warmer)
		pthread_join(v->warm_tid, NULL);
	if (v->efd >= 0)
		close(v->efd);
	if (v->jobs != NULL)	/* wiped: keys may wait uncollected */
		sodium_munlock(v->jobs, MAX_JOBS * sizeof(*v->jobs));
	free(v->jobs);
	free(v);
}

static struct verify_job *
job_get(struct verifier *v)
{
	struct verify_job *j = v->free;

	if (j != NULL)
		v->free = j->next;
	return j;
}

/* What a worker needs of a knock: copies, so agents may be reloaded meanwhile. */
static void
fill(struct verify_job *j, enum verify_kind kind, const struct knock_pkt *k,
    const struct knock_hdr *h, const uint8_t pk[KEY_PK_LEN])
{
	j->kind = kind;
	memcpy(j->pkt, k->data, k->len);
	j->len = k->len;
	memcpy(j->pk, pk, KEY_PK_LEN);
	j->h = *h;
	j->src = k->src;
	j->arrived_us = k->arrived_us;
}

/* Queue a knock for a worker unless its queue is full: 0, or -1. Full for
 * other knocks means saturated (every worker has DEPTH jobs waiting): the
 * caller verifies on the loop, so the loop reads no faster than knocks are
 * verified and the surplus waits in, or is dropped by, the kernel's capture
 * ring before any work is spent on it. First knocks have a queue of their
 * own, so that a stream of other knocks cannot keep a new agent out. */
static int
queue(struct verifier *v, struct verify_job *j)
{
	int first = j->kind == VERIFY_FIRST, full;

	pthread_mutex_lock(&v->lock);
	if (first)
		full = v->queued_first >= (size_t)v->nthreads * FIRST_DEPTH;
	else
		full = v->queued >= (size_t)v->nthreads * DEPTH;
	if (!full) {
		v->queued++;
		v->queued_first += first;
		push(&v->todo, j);
		pthread_cond_signal(&v->work);
	}
	pthread_mutex_unlock(&v->lock);
	return full ? -1 : 0;
}

/* Verify on the loop: the job goes straight to the loop's own list, with no
 * lock and no eventfd. */
static void
here(struct verifier *v, struct verify_job *j)
{
	verify(v->kc, j);
	push(&v->mine, j);
}

int
verifier_knock(struct verifier *v, const struct knock_pkt *k,
    const struct knock_hdr *h, const uint8_t pk[KEY_PK_LEN], uint64_t now_ms)
{
	struct verify_job *j = job_get(v);
	struct agent_state *st;
	int lone = v->fresh && v->busy == 0;

	if (j == NULL)
		return REASON_RATE_LIMITED;	/* every job in flight */
	st = keycache_find(v->kc, h->key_id, pk);
	if (st == NULL && v->nthreads > 0) {
		fill(j, VERIFY_FIRST, k, h, pk);
		if (queue(v, j) == 0) {
			v->busy++;
			v->fresh = 0;
			return VERIFY_PENDING;
		}
		/* Their queue is full: derived here within a budget (a burst
		 * of one agent's first knocks costs one derivation, the others
		 * find the key); beyond it, refused, so that a flood of forged
		 * knocks under cold key ids cannot stall the loop. */
		if (bucket_take(&v->derive, now_ms, DERIVE_RATE, DERIVE_BURST) != 0)
			goto refuse_rate;
	}
	/* Without workers (offline, a capture file: no live traffic to keep
	 * up with) every key is derived here. */
	if (st == NULL)
		st = keycache_get(v->kc, h->key_id, pk);
	if (st == NULL || knock_open(k->data, k->len, h, st->key, j->plain) != 0) {
		verifier_put(v, j);
		return REASON_BAD_AUTH;
	}
	if (bucket_take(&st->bucket, now_ms, AGENT_RATE, AGENT_BURST) != 0)
		goto refuse_rate;
	fill(j, VERIFY_KNOCK, k, h, pk);
	v->busy++;
	v->fresh = 0;
	if (v->nthreads == 0 || lone || queue(v, j) != 0)
		here(v, j);
	return VERIFY_PENDING;
refuse_rate:
	verifier_put(v, j);
	return REASON_RATE_LIMITED;
}

int
verifier_warm(struct verifier *v, const uint8_t id[KEY_ID_LEN],
    const uint8_t pk[KEY_PK_LEN])
{
	struct verify_job *j;

	if (!v->warmer || v->warming >= WARM_DEPTH || (j = job_get(v)) == NULL)
		return -1;
	j->kind = VERIFY_WARM;
	memcpy(j->pk, pk, KEY_PK_LEN);
	memcpy(j->h.key_id, id, KEY_ID_LEN);
	pthread_mutex_lock(&v->lock);
	v->queued_warm++;
	push(&v->later, j);
	pthread_cond_signal(&v->warm_work);
	pthread_mutex_unlock(&v->lock);
	v->warming++;
	return 0;
}

int
verifier_fd(const struct verifier *v)
{
	return v->efd;
}

struct verify_job *
verifier_done(struct verifier *v)
{
	struct verify_job *j;
	uint64_t n;
	ssize_t r = 0;

	/* The workers' finished jobs, all at once, only when the loop's own
	 * are used up; nothing in flight: no lock, no system call (busy and
	 * warming change only on the loop). */
	if (v->mine.head == NULL && (v->busy > 0 || v->warming > 0)) {
		pthread_mutex_lock(&v->lock);
		v->mine = v->done;
		v->done.head = v->done.tail = NULL;
		if (v->signalled) {
			v->signalled = 0;
			r = read(v->efd, &n, sizeof(n));	/* collected: reset */
		}
		pthread_mutex_unlock(&v->lock);
	}
	if ((j = pop(&v->mine)) == NULL) {
		v->fresh = 1;		/* the burst is over */
	} else if (j->kind == VERIFY_WARM) {
		v->warming--;
	} else {
		v->busy--;
	}
	(void)r;
	return j;
}

enum reason
verifier_verdict(struct verifier *v, const struct verify_job *j, uint64_t now_ms)
{
	struct agent_state *st = NULL;

	if (j->kind != VERIFY_FIRST)
		return j->result;
	if (j->keyed)
		st = keycache_put(v->kc, j->h.key_id, j->pk, j->key);
	if (j->result == REASON_BAD_AUTH || st == NULL)	/* no memory: as bad_auth */
		return REASON_BAD_AUTH;
	if (bucket_take(&st->bucket, now_ms, AGENT_RATE, AGENT_BURST) != 0)
		return REASON_RATE_LIMITED;
	return j->result;
}

void
verifier_put(struct verifier *v, struct verify_job *j)
{
	if (j->kind != VERIFY_KNOCK) {
		sodium_memzero(j->key, sizeof(j->key));
		j->kind = VERIFY_KNOCK;
	}
	j->keyed = 0;
	j->next = v->free;
	v->free = j;
}
