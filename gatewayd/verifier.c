#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sodium.h>

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
/* Warm-up jobs in flight (about 2 ms of work); the loop is told to add more
 * when WARM_LOW are left queued: it is woken once for many keys, not for
 * each, and the warm-up thread does not run dry meanwhile. */
#define WARM_DEPTH 32
#define WARM_LOW 8

struct queue {
	struct verify_job *head, *tail;
};

struct verifier {
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
	size_t queued_first;		/* of those, first knocks (kc set) */
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
	if (!v->signalled && (!j->warm || v->queued_warm <= WARM_LOW)) {
		v->signalled = 1;
		wake(v->efd);
	}
}

static void
verify(struct verify_job *j)
{
	j->ok = 0;
	if (j->kc != NULL) {
		j->keyed = keycache_derive(j->kc, j->pk, j->key) == 0;
		if (j->warm)
			return;
		j->opened = j->keyed &&
		    knock_open(j->pkt, j->len, &j->h, j->key, j->plain) == 0;
		if (!j->opened)
			return;		/* no signature check for what did not open */
	}
	j->ok = knock_verify_sig(j->pkt, j->len, j->pk) == 0;
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
			v->queued_first -= j->kc != NULL;
		}
		pthread_mutex_unlock(&v->lock);
		verify(j);
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
verifier_new(int nthreads)
{
	struct verifier *v = calloc(1, sizeof(*v));
	pthread_mutexattr_t ma;

	if (v == NULL)
		return NULL;
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

struct verify_job *
verifier_job(struct verifier *v)
{
	struct verify_job *j = v->free;

	if (j != NULL)
		v->free = j->next;
	return j;
}

int
verifier_submit(struct verifier *v, struct verify_job *j, int may_inline)
{
	int here, first = j->kc != NULL && v->nthreads > 0;

	if (v->nthreads == 0 || (may_inline && !first && v->busy == 0)) {
		here = 1;
	} else {
		pthread_mutex_lock(&v->lock);
		/* Saturated (every worker has DEPTH jobs waiting): verify here,
		 * so the loop reads no faster than knocks are verified and the
		 * surplus waits in, or is dropped by, the kernel's capture ring
		 * before any work is spent on it. Not a first knock: knocks
		 * under cold key ids, forged ones included, would then cost
		 * the loop a scalar multiplication each. First knocks have a
		 * queue to themselves, so that a stream of other knocks cannot
		 * keep a new agent out. */
		if (first)
			here = v->queued_first >= (size_t)v->nthreads * FIRST_DEPTH;
		else
			here = v->queued >= (size_t)v->nthreads * DEPTH;
		if (!here) {
			v->queued++;
			v->queued_first += first;
			push(&v->todo, j);
			pthread_cond_signal(&v->work);
		}
		pthread_mutex_unlock(&v->lock);
		if (here && first)
			return -1;
	}
	v->busy++;
	/* Idle: verify here too, no wake-up on the knock's path. Finished
	 * here, the job goes straight to the loop's own list: no lock, no
	 * eventfd. */
	if (here) {
		verify(j);
		push(&v->mine, j);
	}
	return 0;
}

int
verifier_warm(struct verifier *v, struct verify_job *j)
{
	if (!v->warmer || v->warming >= WARM_DEPTH)
		return -1;
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
	if ((j = pop(&v->mine)) != NULL) {
		if (j->warm)
			v->warming--;
		else
			v->busy--;
	}
	(void)r;
	return j;
}

void
verifier_put(struct verifier *v, struct verify_job *j)
{
	if (j->kc != NULL) {
		sodium_memzero(j->key, sizeof(j->key));
		j->kc = NULL;
		j->warm = 0;
	}
	j->next = v->free;
	v->free = j;
}
