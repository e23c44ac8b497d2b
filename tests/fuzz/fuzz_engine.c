/* SPDX-License-Identifier: ISC */
/* Fuzz target: the whole check pipeline, offline. */
/*
 * The whole check pipeline (gatewayd/engine.c, engine_handle) offline, with
 * nft == NULL, a fixed policy and agent set (fuzz.h) in a temporary
 * directory, the audit log to /dev/null. Records of the input (format in
 * fuzz.h) are raw datagrams, or knocks the target seals and signs with an
 * agent's key from a fuzzed plaintext body, so that the body parser, the
 * decision and the audit record see hostile bytes behind a valid seal.
 *
 * Each input runs one simulated day after the previous one, so that rate
 * limits, openings and nonces of earlier inputs have expired; built knocks
 * get nonces unique to the input (the fuzzed nonce xor a counter) so that a
 * replay is only ever one of the same input. Oracle: a knock accepted once
 * is refused when replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agent.h"
#include "agentdb.h"
#include "engine.h"
#include "fuzz.h"
#include "knock.h"
#include "policy.h"
#include "util.h"

#define DAY_MS (86400ULL * 1000 + 1000)

struct keyset {
	uint8_t pk[32], sk[64], id[8], key[32], other_key[32];
};

static struct gw_config cfg;
static struct engine *eng;
static struct audit *audit;
static struct replay *replay;
static FILE *devnull;
static struct keyset ks[FUZZ_NAGENTS];
static uint8_t gw_pk[32], gw_sk[64];
static uint64_t clock_ms;
static uint64_t counter;
static int verbose;

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t
get8(struct reader *r)
{
	uint8_t v = 0;

	if (r->n > 0) {
		v = *r->p++;
		r->n--;
	}
	return v;
}

static uint16_t
get16(struct reader *r)
{
	uint16_t hi = get8(r);

	return (uint16_t)(hi << 8 | get8(r));
}

static void
getn(struct reader *r, uint8_t *out, size_t n)
{
	size_t k = n < r->n ? n : r->n;

	memcpy(out, r->p, k);
	memset(out + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

static void
write_text(const char *name, const char *text)
{
	fuzz_write(name, (const uint8_t *)text, strlen(text), 0644);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t other_pk[32], other_sk[64];
	const char *dir;

	(void)argc;
	(void)argv;
	fuzz_keypair(FUZZ_GW_SEED, gw_pk, gw_sk);
	fuzz_keypair(0x7e, other_pk, other_sk);
	dir = fuzz_tmpdir();
	cfg.clock_skew = 30;
	cfg.port = 62201;
	snprintf(cfg.dir, sizeof(cfg.dir), "%s", dir);
	snprintf(cfg.policy, sizeof(cfg.policy), "%s/policy.ini", dir);
	snprintf(cfg.agents, sizeof(cfg.agents), "%s/agents.d", dir);
	snprintf(cfg.state, sizeof(cfg.state), "%s/state", dir);
	snprintf(cfg.audit, sizeof(cfg.audit), "/dev/null");
	write_text("policy.ini", fuzz_policy);
	if (mkdir(cfg.agents, 0750) != 0)
		fuzz_fail("mkdir agents.d");
	for (int i = 0; i < FUZZ_NAGENTS; i++) {
		const struct fuzz_agent *f = &fuzz_agents[i];
		struct keyset *k = &ks[i];
		struct agent a;
		int n;

		fuzz_keypair(f->seed, k->pk, k->sk);
		keys_id(k->pk, k->id);
		if (keys_session(k->sk, gw_pk, k->pk, gw_pk, k->key) != 0 ||
		    keys_session(k->sk, other_pk, k->pk, other_pk, k->other_key) != 0)
			fuzz_fail("knock key");
		if (i == FUZZ_NAGENTS - 1)
			break;			/* the stranger is not registered */
		memset(&a, 0, sizeof(a));
		if (agent_set_name(&a, f->name) != 0)
			fuzz_fail("name");
		memcpy(a.pk, k->pk, 32);
		if (f->enclaves[0] != '\0') {
			char buf[256], *cur = buf, *item;
			snprintf(buf, sizeof(buf), "%s", f->enclaves);
			while ((item = strsep(&cur, ",")) != NULL)
				if (agent_add_enclave(&a, util_trim(item)) != 0)
					fuzz_fail("enclaves");
		}
		{
			struct label l[POLICY_MAX_LABELS];

			if ((n = policy_parse_labels(f->labels, l,
			    POLICY_MAX_LABELS)) < 0)
				fuzz_fail("labels");
			for (int j = 0; j < n; j++)
				agent_add_label(&a, l[j].key, l[j].value);
		}
		a.revoked = f->revoked ? 1700000000 : 0;
		a.expires = f->expired ? 1000000000 : 0;
		if (agent_write(cfg.agents, &a, 0) != 0)
			fuzz_fail("agent_write");
		agent_clear(&a);
	}
	audit = audit_open(cfg.audit);
	replay = replay_open(cfg.state, cfg.clock_skew * 2000);
	clock_ms = util_now_ms();
	eng = engine_new(&cfg, gw_sk, gw_pk, NULL, audit, replay);
	verbose = getenv("SPA_FUZZ_VERBOSE") != NULL;
	devnull = fopen("/dev/null", "w");
	if (audit == NULL || replay == NULL || eng == NULL || devnull == NULL)
		fuzz_fail("engine set-up");
	engine_set_policy(eng, policy_load(cfg.policy), clock_ms);
	engine_set_agents(eng, agentdb_load(cfg.agents), clock_ms);
	return 0;
}

/* Seal and sign a plaintext body as agent k would; returns the length. */
static size_t
build(uint8_t *out, const struct keyset *k, const uint8_t *key, uint64_t ts,
    const uint8_t nonce[24], const uint8_t *body, size_t blen)
{
	unsigned long long clen = 0;
	size_t len;

	memcpy(out, "SK\x01\x00", 4);
	memcpy(out + 4, k->id, 8);
	for (int i = 0; i < 8; i++)
		out[12 + i] = (uint8_t)(ts >> (56 - 8 * i));
	memcpy(out + 20, nonce, 24);
	out[44] = (uint8_t)(blen >> 8);
	out[45] = (uint8_t)blen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KNOCK_HDR_LEN, &clen,
	    body, blen, out, KNOCK_HDR_LEN, NULL, nonce, key);
	len = KNOCK_HDR_LEN + (size_t)clen;
	crypto_sign_detached(out + len, NULL, out, len, k->sk);
	return len + KNOCK_SIG_LEN;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[KNOCK_HDR_LEN + FUZZ_BODY_MAX + KNOCK_TAG_LEN +
	    KNOCK_SIG_LEN], body[FUZZ_BODY_MAX];
	struct reader r = { data, size };
	struct listing_view view;
	uintptr_t acc = 0;

	clock_ms += DAY_MS;
	counter++;
	engine_tick(eng, clock_ms);
	cfg.allow_other_address = get8(&r) & 1;
	while (r.n > 0) {
		uint8_t kind = get8(&r), nonce[24];
		struct knock_pkt k;
		size_t len, blen;
		enum reason why;
		int16_t off;

		clock_ms += get8(&r);
		memset(&k, 0, sizeof(k));
		k.src.family = kind & 8 ? 6 : 4;
		getn(&r, k.src.bytes, k.src.family == 4 ? 4 : 16);
		k.sport = 40000;
		switch (kind & 3) {
		case 2:
			/* Housekeeping and the control-socket listings. */
			engine_tick(eng, clock_ms);
			engine_view(eng, &view);
			listing_openings(&view, devnull, clock_ms);
			listing_agents(&view, devnull, clock_ms);
			listing_metrics(&view, devnull);
			continue;
		case 0:
			len = get16(&r);
			if (len > r.n)
				len = r.n;
			/* Exactly sized, so that ASan sees any read past it. */
			k.data = r.p;
			k.len = len;
			r.p += len;
			r.n -= len;
			why = engine_handle(eng, &k, clock_ms);
			if (verbose)
				fprintf(stderr, "raw %zu bytes: %s\n", len,
				    audit_reason_name(why));
			acc += why;
			continue;
		}
		/* 1, 3: a knock built for us, or for another gateway. */
		{
			const struct keyset *a = &ks[get8(&r) % FUZZ_NAGENTS];
			uint64_t ts;
			uint8_t *copy;

			off = (int16_t)get16(&r);
			ts = clock_ms + (uint64_t)((int64_t)off * 10);
			getn(&r, nonce, sizeof(nonce));
			for (int i = 0; i < 8; i++)
				nonce[i] ^= (uint8_t)(counter >> (8 * i));
			blen = get16(&r);
			if (blen > FUZZ_BODY_MAX)
				blen = FUZZ_BODY_MAX;
			getn(&r, body, blen);
			len = build(pkt, a, (kind & 3) == 3 ? a->other_key : a->key,
			    ts, nonce, body, blen);
			if (kind & 4)
				pkt[get16(&r) % len] ^= 0x01;
			if ((copy = malloc(len)) == NULL)
				fuzz_fail("malloc");
			memcpy(copy, pkt, len);
			k.data = copy;
			k.len = len;
			why = engine_handle(eng, &k, clock_ms);
			if (verbose)
				fprintf(stderr, "%s knock, body %zu bytes: %s\n",
				    fuzz_agents[a - ks].name, blen, audit_reason_name(why));
			acc += why;
			if (why == REASON_OK &&
			    engine_handle(eng, &k, clock_ms) != REASON_REPLAY)
				fuzz_fail("an accepted knock was accepted again");
			free(copy);
		}
	}
	fuzz_sink = acc;
	return 0;
}
