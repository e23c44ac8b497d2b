/* SPDX-License-Identifier: ISC */
/* Tests of the knock engine end to end, without a network. */
/*
 * The knock engine end to end without a network: real agent files, policy,
 * replay state and audit log in a temporary directory; knocks built as the
 * client builds them; every refusal reason and the restart floor.
 */
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "agentdb.h"
#include "engine.h"
#include "openings.h"
#include "knock.h"
#include "policy.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/spa-test-engine-XXXXXX";
static struct gw_config cfg;
static uint8_t gsk[64], gpk[32];

struct agentkey {
	uint8_t sk[64], pk[32], id[8], key[32];
};

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void
make_agent(const char *name, const char *enclave, int revoked, int64_t expires,
    struct agentkey *k)
{
	struct agent a;

	crypto_sign_keypair(k->pk, k->sk);
	keys_id(k->pk, k->id);
	keys_session(k->sk, gpk, k->pk, gpk, k->key);
	memset(&a, 0, sizeof(a));
	agent_set_name(&a, name);
	memcpy(a.pk, k->pk, 32);
	agent_add_enclave(&a, enclave);
	a.revoked = revoked ? 1700000000 : 0;
	a.expires = expires;
	agent_write(cfg.agents, &a, 0);
	agent_clear(&a);
}

static size_t
knock(const struct agentkey *k, const uint8_t *gw, uint64_t ts,
    const char *res, uint32_t duration, uint8_t *out)
{
	struct knock_hdr h;
	struct knock_body b;

	memcpy(h.key_id, k->id, 8);
	h.ts_ms = ts;
	randombytes_buf(h.nonce, sizeof(h.nonce));
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gw, 32);
	b.duration = duration;
	if (res != NULL) {
		b.nres = 1;
		snprintf(b.res[0], sizeof(b.res[0]), "%s", res);
	}
	return knock_build(out, &h, &b, k->key, k->sk);
}

/* A firewall that refuses everything, and one that counts what it got. */
static size_t fw_elems;

static int
fw_refuse(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx, (void)e, (void)n;
	return -1;
}

static int
fw_count(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx, (void)e;
	fw_elems += n;
	return 0;
}

static long
fw_nokill(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx, (void)e, (void)n;
	return 0;
}

static const struct fw_ops refuse_ops = { fw_refuse, fw_refuse, fw_nokill };
static const struct fw_ops count_ops = { fw_count, fw_count, fw_nokill };

/* The openings index out of memory on demand (the test is linked with
 * -Wl,--wrap=openings_add), and a firewall that counts adds and deletes
 * apart. */
static int index_full;
static size_t fw_added, fw_deleted;

int __real_openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms);
int __wrap_openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms);

int
__wrap_openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms)
{
	return index_full ? -1 : __real_openings_add(o, id, e, expires_ms);
}

static int
fw_add_count(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx, (void)e;
	fw_added += n;
	return 0;
}

static int
fw_del_count(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx, (void)e;
	fw_deleted += n;
	return 0;
}

static const struct fw_ops split_ops = { fw_add_count, fw_del_count, fw_nokill };

/* A knock naming the address to open for. */
static size_t
knock_for(const struct agentkey *k, const char *addr, uint8_t *out)
{
	struct knock_hdr h;
	struct knock_body b;

	memcpy(h.key_id, k->id, 8);
	h.ts_ms = util_now_ms();
	randombytes_buf(h.nonce, sizeof(h.nonce));
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gpk, 32);
	addr_parse(addr, &b.addr);
	return knock_build(out, &h, &b, k->key, k->sk);
}

/* A knock from src that the kernel took in at arrived_us (0: unknown). */
static enum reason
feed_at(struct engine *g, const uint8_t *p, size_t len, const char *src,
    uint64_t arrived_us)
{
	struct knock_pkt k = { .data = p, .len = len, .arrived_us = arrived_us };

	addr_parse(src, &k.src);
	return engine_handle(g, &k, util_now_ms());
}

static enum reason
feed(struct engine *g, const uint8_t *p, size_t len, const char *src)
{
	return feed_at(g, p, len, src, 0);
}

static struct engine *
start(struct audit **au, struct replay **rp)
{
	struct engine *g;

	*au = audit_open(cfg.audit);
	*rp = replay_open(cfg.state, cfg.clock_skew * 2000);
	g = engine_new(&cfg, gsk, gpk, NULL, *au, *rp);
	engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	return g;
}

/* Drain until the audit holds want decisions (or 2 s pass); how many. */
static int
drain_until(struct engine *g, struct audit *au, int want)
{
	static const enum reason r[] = { REASON_OK, REASON_REPLAY,
	    REASON_BAD_SIGNATURE, REASON_BAD_AUTH, REASON_RATE_LIMITED };
	int got = 0;

	for (int tries = 0; tries < 1000; tries++) {
		engine_drain(g, util_now_ms());
		got = 0;
		for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
			got += (int)audit_count(au, r[i]);
		if (got >= want)
			break;
		usleep(2000);
	}
	return got;
}

/* Every thread of this process on the first CPU it may use (one) or on all
 * of them again (0). */
static void
pin(int one)
{
	static cpu_set_t all;
	cpu_set_t set;
	DIR *d;
	struct dirent *e;

	if (one) {
		sched_getaffinity(0, sizeof(all), &all);
		CPU_ZERO(&set);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &all)) {
				CPU_SET(c, &set);
				break;
			}
	} else {
		set = all;
	}
	if ((d = opendir("/proc/self/task")) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			sched_setaffinity(atoi(e->d_name), sizeof(set), &set);
	closedir(d);
}

/* The calling thread runs ahead of every other thread of its CPU (1:
 * SCHED_FIFO, needs root) or as before (0); 0, or -1 if not permitted. */
static int
ahead(int on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	return sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp);
}

/* With workers, an agent's first knock (its knock key not yet derived) is
 * checked on a worker, forged or not: the loop answers at once only for
 * keys it has, and refuses first knocks it has no worker for. */
static void
test_first_knocks(void)
{
	enum { COLD = 200 };
	static uint8_t q[COLD][KNOCK_MAX_LEN];
	static size_t qn[COLD];
	static struct agentkey cold[COLD];
	static char in[COLD];		/* its first knock was taken */
	struct agentkey forger;
	struct audit *au;
	struct replay *rp;
	struct engine *g;
	char name[16], src[32];
	int pending = 0, busy = 0, want, r, held;

	for (int i = 0; i < COLD; i++) {
		snprintf(name, sizeof(name), "cold%d", i);
		make_agent(name, "dev", 0, 0, &cold[i]);
	}
	g = start(&au, &rp);
	pin(1);			/* the worker shares the loop's CPU (see below) */
	T_CHECK(engine_set_threads(g, 1) == 0);
	engine_set_warm(g, 0);		/* cold they stay: test_warm_up's */
	usleep(2000);

	/* A forger knows cold0's key id, not its knock key: not decided on
	 * the loop; refused on the worker before any signature check. */
	forger = cold[0];
	randombytes_buf(forger.key, sizeof(forger.key));
	qn[0] = knock(&forger, gpk, util_now_ms(), "web", 10, q[0]);
	T_CHECK((int)feed(g, q[0], qn[0], "10.6.0.1") == ENGINE_PENDING);
	T_CHECK(drain_until(g, au, 1) == 1 && audit_count(au, REASON_BAD_AUTH) == 1);
	/* Its knock key is now cached: the next forgery is refused at once. */
	qn[0] = knock(&forger, gpk, util_now_ms(), "web", 10, q[0]);
	T_CHECK(feed(g, q[0], qn[0], "10.6.0.1") == REASON_BAD_AUTH);
	qn[0] = knock(&cold[0], gpk, util_now_ms(), "web", 10, q[0]);
	T_CHECK((int)feed(g, q[0], qn[0], "10.6.0.1") == ENGINE_PENDING);
	T_CHECK(drain_until(g, au, 3) == 3 && audit_count(au, REASON_OK) == 1);

	/* One agent's threads all knock at once, its key not derived yet:
	 * none is refused (the loop derives it when the queue is full, and
	 * the knocks after that find it). */
	for (int i = 0; i < 12; i++) {
		qn[i] = knock(&cold[COLD - 1], gpk, util_now_ms(), "web", 10, q[i]);
		snprintf(src, sizeof(src), "10.8.0.%d", i + 1);
		pending += (int)feed(g, q[i], qn[i], src) == ENGINE_PENDING;
	}
	T_CHECK(pending == 12);
	T_CHECK(drain_until(g, au, 15) == 15 && audit_count(au, REASON_OK) == 13);
	pending = 0;

	/* A first knock that opens but whose signature is wrong. */
	qn[1] = knock(&cold[1], gpk, util_now_ms(), "web", 10, q[1]);
	q[1][qn[1] - 1] ^= 0x80;
	T_CHECK((int)feed(g, q[1], qn[1], "10.6.0.2") == ENGINE_PENDING);
	T_CHECK(drain_until(g, au, 16) == 16 && audit_count(au, REASON_BAD_SIGNATURE) == 1);

	/* 198 first knocks back to back, for one worker that takes tens of
	 * microseconds each: those beyond its queue are refused at once, the
	 * others are decided later; each exactly once. In the first round the
	 * loop runs ahead of the worker on their one CPU, so the worker takes
	 * none of them meanwhile whatever else the machine does: its queue
	 * fills, the loop's key budget is spent, the rest are refused. Those
	 * refused knock again, a round at a time, until all are in: rounds
	 * that refuse many must not lose a job each (the verifier has 1,024). */
	want = 16;
	for (int round = 0; round < 100 && pending < COLD - 2; round++) {
		for (int i = 2; i < COLD; i++)
			if (!in[i])
				qn[i] = knock(&cold[i], gpk, util_now_ms(), "web", 10, q[i]);
		held = round == 0 && ahead(1) == 0;
		for (int i = 2; i < COLD; i++) {
			if (in[i])
				continue;
			snprintf(src, sizeof(src), "10.6.%d.%d", round + 1, i % 200 + 1);
			r = (int)feed(g, q[i], qn[i], src);
			in[i] = r == ENGINE_PENDING;
			pending += in[i];
			busy += r == REASON_RATE_LIMITED;
			want++;
		}
		if (held)
			ahead(0);
		if (round == 0)
			pin(0);
		T_CHECK(drain_until(g, au, want) == want);
		if (held)
			T_CHECK(busy > 0 && pending + busy == COLD - 2);
		else if (round == 0)
			fprintf(stderr, "test_engine: not root, the refusals of a "
			    "full first-knock queue were not forced\n");
	}
	T_CHECK(pending == COLD - 2);
	T_CHECK((int)audit_count(au, REASON_OK) == 13 + pending);
	T_CHECK((int)audit_count(au, REASON_RATE_LIMITED) == busy);

	/* No job was lost to the thousands refused: 150 knocks of agents now
	 * cached, back to back, each holding a job until drained, all taken. */
	pending = 0;
	for (int i = 2; i < 152; i++) {
		qn[i] = knock(&cold[i], gpk, util_now_ms(), "web", 10, q[i]);
		snprintf(src, sizeof(src), "10.7.0.%d", i);
		pending += (int)feed(g, q[i], qn[i], src) == ENGINE_PENDING;
	}
	T_CHECK(pending == 150);
	T_CHECK(drain_until(g, au, want + 150) == want + 150);
	T_CHECK(audit_count(au, REASON_OK) == COLD + 11 + 150);
	engine_free(g);
	replay_close(rp);
	audit_close(au);

	/* Without workers (offline: a capture file) the loop derives every
	 * key itself, however fast first knocks come: 40 at one instant (a
	 * frozen clock), none refused. */
	g = start(&au, &rp);
	usleep(2000);
	for (int i = 0; i < 40; i++)
		qn[i] = knock(&cold[i + 2], gpk, util_now_ms(), "web", 10, q[i]);
	{
		uint64_t now = util_now_ms();

		pending = busy = 0;
		for (int i = 0; i < 40; i++) {
			struct knock_pkt k = { .data = q[i], .len = qn[i] };

			snprintf(src, sizeof(src), "10.9.0.%d", i + 1);
			addr_parse(src, &k.src);
			r = (int)engine_handle(g, &k, now);
			pending += r == REASON_OK;
			busy += r == REASON_RATE_LIMITED;
		}
		T_CHECK(pending == 40 && busy == 0);
	}
	engine_free(g);
	replay_close(rp);
	audit_close(au);
}

/* The value of the line that starts with name and a space in the engine's
 * metrics; -1 if there is none. */
static double
metric(struct engine *g, const char *name)
{
	char *buf = NULL, key[128];
	size_t len = 0;
	double v = -1;
	FILE *f = open_memstream(&buf, &len);
	struct listing_view view;
	const char *p;

	engine_view(g, &view);
	listing_metrics(&view, f);
	fclose(f);
	snprintf(key, sizeof(key), "\n%s ", name);
	if ((p = strstr(buf, key)) != NULL)
		v = atof(p + strlen(key));
	free(buf);
	return v;
}

static long
knock_keys(struct engine *g)
{
	return (long)metric(g, "spa_knock_keys");
}

#define OPEN_BUCKET(le) "spa_knock_open_seconds_bucket{le=\"" le "\"}"

/* spa_knock_open_seconds: a granted knock whose arrival is known counts, by
 * the time from its arrival to the commit's end; one of unknown arrival, a
 * refused one and one the firewall refused do not. */
static void
test_open_histogram(const struct agentkey *k)
{
	struct fw bad = { &refuse_ops, NULL }, good = { &count_ops, NULL };
	struct audit *au = audit_open(cfg.audit);
	struct replay *rp = replay_open(cfg.state, cfg.clock_skew * 2000);
	struct engine *g = engine_new(&cfg, gsk, gpk, &good, au, rp);
	uint8_t p[KNOCK_MAX_LEN];
	size_t n;

	engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	T_CHECK(metric(g, "spa_knock_open_seconds_count") == 0);
	usleep(2000);		/* past the replay floor of the start */
	/* Taken in 3 ms ago: above the 2 ms bucket, whatever the machine. */
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed_at(g, p, n, "10.4.0.1", util_now_us() - 3000) == REASON_OK);
	engine_drain(g, util_now_ms());
	T_CHECK(metric(g, "spa_knock_open_seconds_count") == 1);
	T_CHECK(metric(g, OPEN_BUCKET("0.002")) == 0);
	T_CHECK(metric(g, OPEN_BUCKET("+Inf")) == 1);
	T_CHECK(metric(g, "spa_knock_open_seconds_sum") >= 0.003);
	/* The same knock again: refused (replay), not counted. */
	T_CHECK(feed_at(g, p, n, "10.4.0.1", util_now_us()) == REASON_REPLAY);
	/* Arrived "later" than now (the clock stepped back): no time at all. */
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed_at(g, p, n, "10.4.0.2", util_now_us() + 10000000) == REASON_OK);
	/* Unknown arrival (a capture file): not counted. */
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed_at(g, p, n, "10.4.0.3", 0) == REASON_OK);
	engine_drain(g, util_now_ms());
	T_CHECK(metric(g, "spa_knock_open_seconds_count") == 2);
	T_CHECK(metric(g, OPEN_BUCKET("0.0001")) == 1);
	T_CHECK(metric(g, OPEN_BUCKET("0.002")) == 1);
	T_CHECK(metric(g, OPEN_BUCKET("+Inf")) == 2);
	engine_free(g);
	/* The firewall refused it: no opening, nothing counted. */
	g = engine_new(&cfg, gsk, gpk, &bad, au, rp);
	engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	usleep(2000);
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed_at(g, p, n, "10.4.0.4", util_now_us()) == REASON_FIREWALL_ERROR);
	T_CHECK(metric(g, "spa_knock_open_seconds_count") == 0);
	engine_free(g);
	replay_close(rp);
	audit_close(au);
}

/* An opening the index cannot record is withdrawn from the firewall at
 * once and its grant audited as firewall_error: no live opening is ever
 * unknown to the index (a revocation would miss it). */
static void
test_index_full(const struct agentkey *k)
{
	struct fw split = { &split_ops, NULL };
	struct audit *au = audit_open(cfg.audit);
	struct replay *rp = replay_open(cfg.state, cfg.clock_skew * 2000);
	struct engine *g = engine_new(&cfg, gsk, gpk, &split, au, rp);
	uint64_t refused = audit_count(au, REASON_FIREWALL_ERROR);
	uint8_t p[KNOCK_MAX_LEN];
	size_t n;

	engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	usleep(2000);
	fw_added = fw_deleted = 0;
	index_full = 1;
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed(g, p, n, "10.4.1.1") == REASON_FIREWALL_ERROR);
	index_full = 0;
	T_CHECK(fw_added == 1 && fw_deleted == 1);
	T_CHECK(metric(g, "spa_openings") == 0);
	T_CHECK(audit_count(au, REASON_FIREWALL_ERROR) == refused + 1);
	/* With room again, the next knock opens and stays open. */
	n = knock(k, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed(g, p, n, "10.4.1.1") == REASON_OK);
	T_CHECK(fw_added == 2 && fw_deleted == 1);
	T_CHECK(metric(g, "spa_openings") == 1);
	engine_free(g);
	replay_close(rp);
	audit_close(au);
}

/* Drain as the daemon's loop does (woken by the engine's fd, or every
 * 10 ms) until want knock keys are cached or more, or 5 s pass. */
static long
warm_until(struct engine *g, long want)
{
	struct pollfd p = { .fd = engine_fd(g), .events = POLLIN };
	long n = 0;

	for (int tries = 0; tries < 500 && (n = knock_keys(g)) < want; tries++) {
		engine_drain(g, util_now_ms());
		(void)poll(&p, 1, 10);
	}
	return n;
}

/* Agents the engine may open for: neither revoked nor expired. */
static long
usable_agents(void)
{
	struct agentdb *db = agentdb_load(cfg.agents);
	long n = 0;

	for (size_t i = 0; i < agentdb_count(db); i++) {
		const struct agent *a = agentdb_at(db, i);

		n += a->revoked == 0 && (a->expires == 0 || a->expires > time(NULL));
	}
	agentdb_free(db);
	return n;
}

/* With workers, knock keys are derived ahead of first knocks: every usable
 * agent's after the load, a new agent's after a reload; a removed agent's is
 * dropped by the reload. Then a forgery
 * under the key id of an agent that never knocked is refused on the loop,
 * at once. Switched off, or during a flood, none is derived ahead. */
static void
test_warm_up(void)
{
	struct agentkey quiet, late, forger;
	uint8_t q[KNOCK_MAX_LEN];
	struct audit *au;
	struct replay *rp;
	struct engine *g;
	long usable;
	size_t n;
	char path[PATH_MAX + 16];

	make_agent("quiet", "dev", 0, 0, &quiet);
	usable = usable_agents();
	g = start(&au, &rp);
	T_CHECK(engine_set_threads(g, 1) == 0);
	engine_set_warm(g, 0);
	for (int i = 0; i < 20; i++) {
		engine_tick(g, util_now_ms());
		engine_drain(g, util_now_ms());
		usleep(1000);
	}
	T_CHECK(knock_keys(g) == 0);
	/* On: but a flood (over 1,000 packets in a tick) pauses it until a
	 * quieter tick. */
	for (int i = 0; i < 1001; i++)
		(void)feed(g, (const uint8_t *)"x", 1, "10.11.0.1");
	engine_tick(g, util_now_ms());
	engine_set_warm(g, 1);
	for (int i = 0; i < 20; i++) {
		engine_drain(g, util_now_ms());
		usleep(1000);
	}
	T_CHECK(knock_keys(g) == 0);
	engine_tick(g, util_now_ms());
	T_CHECK(usable > 200 && warm_until(g, usable) == usable);
	forger = quiet;
	randombytes_buf(forger.key, sizeof(forger.key));
	usleep(2000);
	n = knock(&forger, gpk, util_now_ms(), "web", 10, q);
	T_CHECK(feed(g, q, n, "10.10.0.1") == REASON_BAD_AUTH);

	/* A reload adds an agent: its key too, before it knocks. */
	make_agent("late", "dev", 0, 0, &late);
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	T_CHECK(warm_until(g, usable + 1) == usable + 1);
	forger = late;
	randombytes_buf(forger.key, sizeof(forger.key));
	n = knock(&forger, gpk, util_now_ms(), "web", 10, q);
	T_CHECK(feed(g, q, n, "10.10.0.2") == REASON_BAD_AUTH);
	n = knock(&late, gpk, util_now_ms(), "web", 10, q);
	T_CHECK((int)feed(g, q, n, "10.10.0.3") == ENGINE_PENDING);
	T_CHECK(drain_until(g, au, 3) == 3 && audit_count(au, REASON_OK) == 1);

	/* A reload after its agent file is removed: its key is wiped at
	 * once, and not derived again. */
	snprintf(path, sizeof(path), "%s/late.ini", cfg.agents);
	T_CHECK(unlink(path) == 0);
	engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
	T_CHECK(knock_keys(g) == usable);
	T_CHECK(warm_until(g, usable + 1) == usable);
	engine_free(g);
	replay_close(rp);
	audit_close(au);
}

int
main(void)
{
	struct agentkey alice, bob, rev, old, stranger;
	uint8_t p[KNOCK_MAX_LEN], p2[KNOCK_MAX_LEN], other_gw[32], other_sk[64];
	struct audit *au;
	struct replay *rp;
	struct engine *g;
	uint64_t now = util_now_ms();
	size_t n;
	char cmd[PATH_MAX + 128], buf[256];
	FILE *f;

	T_CHECK(sodium_init() >= 0 && mkdtemp(dir) != NULL);
	crypto_sign_keypair(gpk, gsk);
	crypto_sign_keypair(other_gw, other_sk);
	cfg.clock_skew = 30;
	snprintf(cfg.policy, sizeof(cfg.policy), "%s/policy.ini", dir);
	snprintf(cfg.agents, sizeof(cfg.agents), "%s/agents.d", dir);
	snprintf(cfg.state, sizeof(cfg.state), "%s/state", dir);
	snprintf(cfg.audit, sizeof(cfg.audit), "%s/audit.log", dir);
	write_file("policy.ini",
	    "[resource:web]\nproto = tcp\nport = 8080\n"
	    "[resource:db]\nproto = tcp\nport = 5432\n"
	    "[enclave:dev]\nresources = web\nmax_duration = 60\n"
	    "[enclave:ops]\nresources = db\nmax_duration = 60\n");
	mkdir(cfg.agents, 0750);
	make_agent("alice", "dev", 0, 0, &alice);
	make_agent("bob", "ops", 0, 0, &bob);
	make_agent("rev", "dev", 1, 0, &rev);
	make_agent("old", "dev", 0, 1000000000, &old);
	crypto_sign_keypair(stranger.pk, stranger.sk);	/* not registered */
	keys_id(stranger.pk, stranger.id);
	keys_session(stranger.sk, gpk, stranger.pk, gpk, stranger.key);

	g = start(&au, &rp);
	T_CHECK(g != NULL);
	/* Knocks older than the daemon's start are below its replay floor. */
	usleep(2000);
	now = util_now_ms();
	n = knock(&alice, gpk, now, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_OK);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_REPLAY);
	T_CHECK(feed(g, p, n, "10.0.0.3") == REASON_REPLAY);
	T_CHECK(feed(g, p, n - 1, "10.0.0.2") == REASON_MALFORMED);
	memcpy(p2, p, n);
	p2[100] ^= 1;				/* sealed body */
	T_CHECK(feed(g, p2, n, "10.0.0.2") != REASON_OK);
	n = knock(&alice, gpk, now, "web", 10, p);
	memcpy(p2, p, n);
	p2[n - 1] ^= 0x80;			/* signature */
	T_CHECK(feed(g, p2, n, "10.0.0.2") == REASON_BAD_SIGNATURE);
	p2[n - 1] ^= 0x80;			/* the intact knock still works */
	T_CHECK(feed(g, p2, n, "10.0.0.2") == REASON_OK);
	n = knock(&alice, gpk, now, "db", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_NOT_ENTITLED);
	n = knock(&alice, gpk, now, "nosuch", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_NOT_ENTITLED);
	n = knock(&bob, gpk, now, NULL, 0, p);
	T_CHECK(feed(g, p, n, "10.0.0.4") == REASON_OK);
	n = knock(&stranger, gpk, now, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_UNKNOWN_KEY);
	n = knock(&rev, gpk, now, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_REVOKED);
	n = knock(&old, gpk, now, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_EXPIRED);
	n = knock(&alice, gpk, now - 120000, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_STALE);
	n = knock(&alice, gpk, now + 120000, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_STALE);
	/* Sealed under a knock key for another gateway: cannot be opened. */
	{
		struct agentkey x = alice;
		keys_session(alice.sk, other_gw, alice.pk, other_gw, x.key);
		n = knock(&x, other_gw, now, "web", 10, p);
		T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_BAD_AUTH);
		/* Right key, body naming another gateway. */
		n = knock(&alice, other_gw, now, "web", 10, p);
		T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_WRONG_GATEWAY);
	}
	/* An explicit address: refused unless it is the source, or allowed. */
	n = knock_for(&alice, "10.9.9.9", p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_ADDRESS_MISMATCH);
	n = knock_for(&alice, "10.0.0.2", p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_OK);
	cfg.allow_other_address = 1;
	n = knock_for(&alice, "10.9.9.9", p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_OK);
	cfg.allow_other_address = 0;

	/* A forger flooding with alice's key id cannot spend her budget. */
	for (int i = 0; i < 500; i++) {
		n = knock(&alice, gpk, now, "web", 10, p);
		p[60] ^= 0xff;
		feed(g, p, n, i % 2 ? "10.1.0.1" : "10.1.0.2");
	}
	n = knock(&alice, gpk, now, "web", 10, p);
	T_CHECK(feed(g, p, n, "10.0.0.2") == REASON_OK);
	/* One source over its budget is limited before any crypto. */
	{
		int limited = 0;
		for (int i = 0; i < 400; i++) {
			n = knock(&stranger, gpk, now, "web", 10, p);
			memcpy(p + 4, alice.id, 8);
			limited += feed(g, p, n, "10.2.0.1") == REASON_RATE_LIMITED;
		}
		T_CHECK(limited >= 150);
	}
	/* Restart with an agent whose clock runs 10 s ahead: its knock stays
	 * refused after the restart, while bob (a right clock) is not locked out
	 * until that time. */
	{
		uint8_t fast[KNOCK_MAX_LEN];
		size_t nf = knock(&alice, gpk, util_now_ms() + 10000, "web", 10, fast);

		T_CHECK(feed(g, fast, nf, "10.0.0.6") == REASON_OK);
		engine_free(g);
		replay_close(rp);
		audit_close(au);
		g = start(&au, &rp);
		T_CHECK(feed(g, fast, nf, "10.0.0.6") == REASON_REPLAY);
		usleep(2000);
		n = knock(&bob, gpk, util_now_ms(), NULL, 0, p);
		T_CHECK(feed(g, p, n, "10.0.0.7") == REASON_OK);
		n = knock(&alice, gpk, util_now_ms() + 11000, "web", 10, p);
		T_CHECK(feed(g, p, n, "10.0.0.6") == REASON_OK);
	}

	/* Restart: a knock accepted before is refused after. (Not alice: her
	 * floor from the fast knock above holds back her right-clock knocks
	 * until that time.) */
	n = knock(&bob, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed(g, p, n, "10.0.0.5") == REASON_OK);
	engine_free(g);
	replay_close(rp);
	audit_close(au);
	g = start(&au, &rp);
	T_CHECK(feed(g, p, n, "10.0.0.5") == REASON_REPLAY);
	usleep(2000);
	n = knock(&bob, gpk, util_now_ms(), NULL, 0, p);
	T_CHECK(feed(g, p, n, "10.0.0.5") == REASON_OK);
	engine_free(g);
	replay_close(rp);
	audit_close(au);

	/* Worker threads: every knock is decided once; two copies of one knock
	 * in flight at the same time give exactly one accept. */
	{
		struct agentkey th[4];
		uint8_t q[KNOCK_MAX_LEN];
		int ok = 0, replay = 0, decided = 0, sent = 0;
		char name[16], src[32];

		for (int i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "th%d", i);
			make_agent(name, "dev", 0, 0, &th[i]);
		}
		g = start(&au, &rp);
		T_CHECK(engine_set_threads(g, 2) == 0 && engine_fd(g) >= 0);
		usleep(2000);
		/* Their knock keys first: first knocks are test_first_knocks'. */
		for (int i = 0; i < 4; i++) {
			snprintf(src, sizeof(src), "10.5.0.%d", i + 1);
			n = knock(&th[i], gpk, util_now_ms(), "web", 10, q);
			(void)feed(g, q, n, src);
			sent++;
			decided = drain_until(g, au, sent);
		}
		T_CHECK(decided == 4 && audit_count(au, REASON_OK) == 4);
		for (int i = 0; i < 160; i++) {
			int r;

			snprintf(src, sizeof(src), "10.3.%d.%d", i / 200, i % 200 + 1);
			n = knock(&th[i % 4], gpk, util_now_ms(), "web", 10, q);
			r = feed(g, q, n, src);
			sent++;
			if (i % 40 == 0) {	/* a second copy right behind */
				r = feed(g, q, n, src);
				sent++;
			}
			(void)r;
		}
		decided = drain_until(g, au, sent);
		ok = (int)audit_count(au, REASON_OK);
		replay = (int)audit_count(au, REASON_REPLAY);
		T_CHECK(decided == sent && ok == 164);
		T_CHECK(replay == 4);
		engine_free(g);
		replay_close(rp);
		audit_close(au);
	}

	/* The firewall refusing a batch turns its grants into firewall_error;
	 * one that accepts gets every element of a knock. */
	{
		struct fw bad = { &refuse_ops, NULL }, good = { &count_ops, NULL };

		au = audit_open(cfg.audit);
		rp = replay_open(cfg.state, cfg.clock_skew * 2000);
		g = engine_new(&cfg, gsk, gpk, &bad, au, rp);
		engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
		engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
		usleep(2000);
		n = knock(&bob, gpk, util_now_ms(), NULL, 0, p);
		T_CHECK(feed(g, p, n, "10.4.0.1") == REASON_FIREWALL_ERROR);
		T_CHECK(audit_count(au, REASON_FIREWALL_ERROR) == 1);
		engine_free(g);
		g = engine_new(&cfg, gsk, gpk, &good, au, rp);
		engine_set_policy(g, policy_load(cfg.policy), util_now_ms());
		engine_set_agents(g, agentdb_load(cfg.agents), util_now_ms());
		n = knock(&bob, gpk, util_now_ms(), NULL, 0, p);
		T_CHECK(feed(g, p, n, "10.4.0.1") == REASON_OK && fw_elems == 1);
		engine_free(g);
		replay_close(rp);
		audit_close(au);
	}

	test_first_knocks();
	test_warm_up();
	test_open_histogram(&bob);
	test_index_full(&bob);

	/* The audit log holds JSON lines with the reasons, and no secret. */
	snprintf(cmd, sizeof(cmd), "grep -c '\"reason\":\"ok\"' %s", cfg.audit);
	f = popen(cmd, "r");
	T_CHECK(f && fgets(buf, sizeof(buf), f) && atoi(buf) >= 4);
	pclose(f);
	snprintf(cmd, sizeof(cmd), "grep -c '\"decision\":\"refuse\",\"reason\":\"replay\"' %s",
	    cfg.audit);
	f = popen(cmd, "r");
	T_CHECK(f && fgets(buf, sizeof(buf), f) && atoi(buf) >= 3);
	pclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_CHECK(system(cmd) == 0);
	return T_DONE();
}
