/* SPDX-License-Identifier: ISC */
/* bench_verify: what one core does per second of each step a knock costs. */
/*
 * bench_verify: what one core of this machine does per second, on the exact
 * operations a knock costs the daemon. The Ed25519 verification of a real
 * knock is the ceiling the valid-knock throughput is compared with.
 *
 *   bench_verify [--cpu N] [--ms 1000]
 *   bench_verify --all-cores [--ms 1000]
 *
 * Prints key=value: verify_per_s (Ed25519 over 184-byte knocks of 4,096
 * distinct agents, in turn, as the daemon sees them: the ceiling),
 * verify_same_per_s (one knock verified again and again: the branch
 * predictor then learns its exact path, so it reads higher), open_per_s
 * (XChaCha20-Poly1305 open of its body: the check a forged knock fails),
 * header_per_s (parse the header: where random bytes stop), session_per_s
 * (the one-time X25519 knock-key derivation per agent), sign_per_s.
 *
 * --all-cores: one thread pinned to each core, all verifying at once, as
 * the daemon's threads do; prints cores= and verify_all_per_s= (their sum:
 * the two-core ceiling at that moment, measured next to a throughput run).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "benchlib.h"
#include "knock.h"

static volatile int sink;

typedef int (*op_fn)(void *arg);

#define POOL 4096

struct ctx {
	uint8_t pkt[KNOCK_MAX_LEN];
	size_t len;
	struct bench_agent a;
	uint8_t gw_pk[KEY_PK_LEN], gw_sk[KEY_SK_LEN];
	struct knock_hdr h;
	/* POOL distinct agents' knocks (their public keys and signed knocks). */
	uint8_t (*pool_pk)[KEY_PK_LEN];
	uint8_t (*pool_pkt)[KNOCK_MAX_LEN];
	size_t *pool_len;
	size_t next;
};

static int
op_verify(void *arg)
{
	struct ctx *c = arg;
	size_t i = c->next++ & (POOL - 1);

	return knock_verify_sig(c->pool_pkt[i], c->pool_len[i], c->pool_pk[i]);
}

static int
op_verify_same(void *arg)
{
	struct ctx *c = arg;

	return knock_verify_sig(c->pkt, c->len, c->a.pk);
}

/* The pool: each agent's knock sealed under a random knock key (only the
 * signature is checked here). 0, or -1 on error. */
static int
make_pool(struct ctx *c)
{
	struct bench_agent a;

	c->pool_pk = malloc(POOL * sizeof(*c->pool_pk));
	c->pool_pkt = malloc(POOL * sizeof(*c->pool_pkt));
	c->pool_len = malloc(POOL * sizeof(*c->pool_len));
	if (c->pool_pk == NULL || c->pool_pkt == NULL || c->pool_len == NULL)
		return -1;
	for (size_t i = 0; i < POOL; i++) {
		crypto_sign_keypair(a.pk, a.sk);
		keys_id(a.pk, a.id);
		randombytes_buf(a.key, sizeof(a.key));
		memcpy(c->pool_pk[i], a.pk, KEY_PK_LEN);
		c->pool_len[i] = bench_knock(&a, c->gw_pk, bench_wall_ms(), "web", 30,
		    c->pool_pkt[i]);
		if (c->pool_len[i] == 0 ||
		    knock_verify_sig(c->pool_pkt[i], c->pool_len[i], a.pk) != 0)
			return -1;
	}
	sodium_memzero(&a, sizeof(a));
	return 0;
}

static int
op_open(void *arg)
{
	struct ctx *c = arg;
	uint8_t plain[KNOCK_BODY_MAX];

	return knock_open(c->pkt, c->len, &c->h, c->a.key, plain);
}

static int
op_header(void *arg)
{
	struct ctx *c = arg;
	struct knock_hdr h;

	return knock_parse_header(c->pkt, c->len, &h);
}

static int
op_session(void *arg)
{
	struct ctx *c = arg;
	uint8_t k[KEY_SESSION_LEN];

	return keys_session(c->gw_sk, c->a.pk, c->a.pk, c->gw_pk, k);
}

static int
op_sign(void *arg)
{
	struct ctx *c = arg;
	uint8_t sig[crypto_sign_BYTES];

	return crypto_sign_detached(sig, NULL, c->pkt, c->len - KNOCK_SIG_LEN, c->a.sk);
}

/* Operations per second over about ms milliseconds. */
static double
rate(op_fn fn, void *arg, uint64_t ms)
{
	uint64_t t0 = bench_ns(), end = t0 + ms * 1000000ull, n = 0, now;
	int acc = 0;

	do {
		for (int i = 0; i < 64; i++)
			acc += fn(arg);
		n += 64;
	} while ((now = bench_ns()) < end);
	sink = acc;
	return (double)n * 1e9 / (double)(now - t0);
}

struct core {
	pthread_t tid;
	struct ctx c;		/* shares the pool; its own position in it */
	int cpu;
	uint64_t ms;
	double rate;
	pthread_barrier_t *start;
};

static void *
core_main(void *arg)
{
	struct core *k = arg;

	if (bench_pin(k->cpu) != 0)
		k->rate = -1;
	pthread_barrier_wait(k->start);
	if (k->rate == 0)
		k->rate = rate(op_verify, &k->c, k->ms);
	return NULL;
}

/* Every core verifying at once; the sum of their rates, or -1. */
static double
all_cores(const struct ctx *c, uint64_t ms, int *ncores)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct core *k;
	pthread_barrier_t start;
	double sum = 0;
	int i, made = 0;

	if (n < 1 || n > 1024 || (k = calloc((size_t)n, sizeof(*k))) == NULL)
		return -1;
	if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0) {
		free(k);
		return -1;
	}
	for (i = 0; i < n; i++) {
		k[i].c = *c;
		k[i].c.next = (size_t)i * (POOL / (size_t)n);
		k[i].cpu = i;
		k[i].ms = ms;
		k[i].start = &start;
		if (pthread_create(&k[i].tid, NULL, core_main, &k[i]) != 0)
			break;
		made++;
	}
	if (made < n) {
		/* The barrier never opens for fewer: nothing to measure. */
		fprintf(stderr, "bench_verify: cannot start %ld threads\n", n);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		pthread_join(k[i].tid, NULL);
		sum = k[i].rate < 0 || sum < 0 ? -1 : sum + k[i].rate;
	}
	pthread_barrier_destroy(&start);
	free(k);
	*ncores = (int)n;
	return sum;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "ms", required_argument, NULL, 'm' },
		{ "all-cores", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctx c;
	uint64_t ms = 1000;
	int ch, cpu = -1, all = 0, ncores = 0;
	double sum;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cpu = (int)bench_num(optarg, "cpu"); break;
		case 'm': ms = bench_num(optarg, "ms"); break;
		case 'a': all = 1; break;
		default: return 2;
		}
	}
	if (sodium_init() < 0 || ms == 0 || ms > 60000)
		return 2;
	if (cpu >= 0 && bench_pin(cpu) != 0) {
		perror("sched_setaffinity");
		return 1;
	}
	memset(&c, 0, sizeof(c));
	crypto_sign_keypair(c.gw_pk, c.gw_sk);
	crypto_sign_keypair(c.a.pk, c.a.sk);
	keys_id(c.a.pk, c.a.id);
	keys_session(c.a.sk, c.gw_pk, c.a.pk, c.gw_pk, c.a.key);
	c.len = bench_knock(&c.a, c.gw_pk, bench_wall_ms(), "web", 30, c.pkt);
	if (c.len == 0 || knock_parse_header(c.pkt, c.len, &c.h) != 0 ||
	    op_verify_same(&c) != 0 || op_open(&c) != 0 || make_pool(&c) != 0) {
		fprintf(stderr, "bench_verify: self-check failed\n");
		return 1;
	}
	if (all) {
		if ((sum = all_cores(&c, ms, &ncores)) < 0) {
			fprintf(stderr, "bench_verify: cannot pin a thread to each core\n");
			return 1;
		}
		printf("cores=%d verify_all_per_s=%.0f\n", ncores, sum);
	} else {
		printf("cpu=%d verify_per_s=%.0f", cpu, rate(op_verify, &c, ms));
		printf(" verify_same_per_s=%.0f", rate(op_verify_same, &c, ms / 2 + 1));
		printf(" open_per_s=%.0f", rate(op_open, &c, ms / 4 + 1));
		printf(" header_per_s=%.0f", rate(op_header, &c, ms / 4 + 1));
		printf(" session_per_s=%.0f", rate(op_session, &c, ms / 4 + 1));
		printf(" sign_per_s=%.0f\n", rate(op_sign, &c, ms / 4 + 1));
	}
	free(c.pool_pk);
	free(c.pool_pkt);
	free(c.pool_len);
	return 0;
}
