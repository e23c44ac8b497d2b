/* SPDX-License-Identifier: ISC */
/* Tests for rules/agentdb.c's compact storage. */
/*
 * Tests for rules/agentdb.c's compact storage: every agent reads back
 * exactly as agent_load reads its file, equal lists are shared, a bad file
 * fails the whole load and leaves nothing behind, and 5,000 agents stay
 * small.
 */
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agent.h"
#include "agentdb.h"
#include "t.h"
#include "tagent.h"
#include "tfile.h"
#include "util.h"

/* Heap bytes per agent of 5,000 agents with one enclave and short names:
 * measured 114.2 (88 the struct, 13 the key id index, 13 the name arena's
 * chunks for names of 10 bytes); one malloc per agent more would exceed it. */
#define BYTES_PER_AGENT_MAX 120

/* What malloc may still count as used after everything is freed (chunks in
 * its per-thread cache); a table left behind is far more. */
#define LEFT_MAX 4096

/* ASan's heap is not malloc's, so mallinfo2 does not see it (ASan finds
 * leaks itself). */
#ifdef __SANITIZE_ADDRESS__
#define HEAP_MEASURED 0
#else
#define HEAP_MEASURED 1
#endif

#define SCALE_AGENTS 5000

static char dir[] = "/tmp/spa-test-agentdb-XXXXXX";

/* DIR/sub, or DIR/sub/NAME.ini. */
static const char *
at(const char *sub, const char *name)
{
	static char path[PATH_MAX];

	if (name == NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
	else
		snprintf(path, sizeof(path), "%s/%s/%.*s.ini", dir, sub,
		    POLICY_NAME_MAX, name);
	return path;
}

/* sub/NAME.ini: an agent whose key is made from seed, then the rest. */
static void
put_agent(const char *sub, const char *name, uint32_t seed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
put_agent(const char *sub, const char *name, uint32_t seed, const char *fmt, ...)
{
	uint8_t pk[KEY_PK_LEN];
	char b64[64];
	va_list ap;
	FILE *f;

	memset(pk, 0x5a, sizeof(pk));
	memcpy(pk, &seed, sizeof(seed));
	util_b64_encode(pk, sizeof(pk), b64, sizeof(b64));
	if ((f = fopen(at(sub, name), "w")) == NULL) {
		perror(name);
		exit(2);
	}
	fprintf(f, "[agent]\npublic_key = %s\n", b64);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0) {
		perror(name);
		exit(2);
	}
}

static size_t
heap_used(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* A name of len characters: prefix, then c. */
static const char *
long_name(const char *prefix, char c, size_t len)
{
	static char buf[4][POLICY_NAME_MAX + 1];
	static int next;
	char *s = buf[next++ % 4];

	memset(s, c, len);
	s[len] = '\0';
	memcpy(s, prefix, strlen(prefix));
	return s;
}

/* The agents of test_readback; returns how many (their names in names). */
static size_t
write_mixed(char names[][POLICY_NAME_MAX])
{
	char enc[1024] = "", lab[1024] = "";
	size_t n = 0;

	mkdir(at("rb", NULL), 0700);
	for (int i = 0; i < 200; i++, n++) {
		snprintf(names[n], POLICY_NAME_MAX, "agent%03d", i);
		switch (i % 4) {
		case 0:		/* one list shared by many, labels too */
			put_agent("rb", names[n], (uint32_t)i,
			    "enclaves = dev, ops\nlabels = team=infra\n");
			break;
		case 1:		/* another shared list, sharing "dev" */
			put_agent("rb", names[n], (uint32_t)i, "enclaves = dev\n");
			break;
		case 2:		/* lists of its own */
			put_agent("rb", names[n], (uint32_t)i,
			    "enclaves = e%d, dev\nlabels = host=h%d, team=infra\n",
			    i, i);
			break;
		default:	/* nothing but times */
			put_agent("rb", names[n], (uint32_t)i,
			    "expires = 2031-02-03T04:05:%02dZ\n%s", i % 60,
			    i % 8 == 3 ? "revoked = 2025-01-01T00:00:00Z\n" : "");
			break;
		}
	}
	/* The same enclaves in another order: another list. */
	snprintf(names[n], POLICY_NAME_MAX, "perm");
	put_agent("rb", names[n++], 1000, "enclaves = ops, dev\n");
	/* The longest name, 16 enclaves and 16 labels, each line under 1000
	 * characters (what agent_write can write back). */
	for (int i = 0; i < AGENT_MAX_ENCLAVES; i++) {
		char e[8];

		snprintf(e, sizeof(e), "%02d", i);
		snprintf(enc + strlen(enc), sizeof(enc) - strlen(enc), "%s%s",
		    i ? ", " : "", long_name(e, 'x', 55));
	}
	for (int i = 0; i < POLICY_MAX_LABELS; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%02d", i);
		snprintf(lab + strlen(lab), sizeof(lab) - strlen(lab), "%s%s=%s",
		    i ? ", " : "", long_name(k, 'q', 12), long_name(k, 'v', 40));
	}
	snprintf(names[n], POLICY_NAME_MAX, "%s",
	    long_name("z", 'm', POLICY_NAME_MAX - 1));
	put_agent("rb", names[n++], 1001, "enclaves = %s\nlabels = %s\n", enc, lab);
	snprintf(names[n], POLICY_NAME_MAX, "%s",
	    long_name("0", 'm', POLICY_NAME_MAX - 1));
	put_agent("rb", names[n++], 1002, "enclaves = %s\n", enc);
	/* The longest enclave name, label key and label value. */
	snprintf(names[n], POLICY_NAME_MAX, "maxlen");
	put_agent("rb", names[n++], 1003, "enclaves = %s\nlabels = %s=%s\n",
	    long_name("e", 'x', POLICY_NAME_MAX - 1),
	    long_name("k", 'x', POLICY_LABEL_KEY_MAX - 1),
	    long_name("v", 'x', POLICY_LABEL_VALUE_MAX - 1));
	return n;
}

/* Spot checks of what write_mixed wrote, then of what is shared. */
static void
check_mixed(const struct agentdb *db)
{
	const struct agent *a0 = agentdb_by_name(db, "agent000"),
	    *a1 = agentdb_by_name(db, "agent001"),
	    *a2 = agentdb_by_name(db, "agent002"),
	    *a3 = agentdb_by_name(db, "agent003"),
	    *a4 = agentdb_by_name(db, "agent004"),
	    *a5 = agentdb_by_name(db, "agent005"),
	    *a6 = agentdb_by_name(db, "agent006"),
	    *a7 = agentdb_by_name(db, "agent007"),
	    *p = agentdb_by_name(db, "perm"),
	    *m = agentdb_by_name(db, "maxlen"),
	    *big = agentdb_by_name(db, long_name("z", 'm', POLICY_NAME_MAX - 1)),
	    *big2 = agentdb_by_name(db, long_name("0", 'm', POLICY_NAME_MAX - 1));

	T_CHECK(a0 && a1 && a2 && a3 && a4 && a5 && a6 && a7 && p && m && big &&
	    big2);
	if (!(a0 && a1 && a2 && a3 && a4 && a5 && a6 && a7 && p && m && big &&
	    big2))
		return;
	T_CHECK(a0->nenclaves == 2 && !strcmp(a0->enclaves[0], "dev") &&
	    !strcmp(a0->enclaves[1], "ops") && a0->nlabels == 1 &&
	    !strcmp(a0->labels[0].key, "team") &&
	    !strcmp(a0->labels[0].value, "infra"));
	T_CHECK(a6->nenclaves == 2 && !strcmp(a6->enclaves[0], "e6") &&
	    a6->nlabels == 2 && !strcmp(a6->labels[0].value, "h6"));
	T_CHECK(a3->expires == 1927857903 && a3->revoked == 1735689600 &&
	    a3->enclaves == NULL && a3->labels == NULL && a7->revoked == 0);
	T_CHECK(strlen(big->name) == POLICY_NAME_MAX - 1 &&
	    big->nenclaves == AGENT_MAX_ENCLAVES &&
	    big->nlabels == POLICY_MAX_LABELS &&
	    !strcmp(big->enclaves[15], long_name("15", 'x', 55)) &&
	    !strcmp(big->labels[15].key, long_name("k15", 'q', 12)) &&
	    !strcmp(big->labels[15].value, long_name("k15", 'v', 40)));
	T_CHECK(strlen(m->enclaves[0]) == POLICY_NAME_MAX - 1 &&
	    strlen(m->labels[0].key) == POLICY_LABEL_KEY_MAX - 1 &&
	    strlen(m->labels[0].value) == POLICY_LABEL_VALUE_MAX - 1);

	/* Equal lists are one copy; so are equal enclave names. */
	T_CHECK(a0->enclaves == a4->enclaves && a0->labels == a4->labels);
	T_CHECK(a1->enclaves == a5->enclaves && big->enclaves == big2->enclaves);
	T_CHECK(a1->enclaves[0] == a0->enclaves[0] &&
	    a2->enclaves[1] == a0->enclaves[0]);
	/* Lists that differ, if only in order, are not. */
	T_CHECK(a2->enclaves != a6->enclaves && a2->labels != a6->labels);
	T_CHECK(p->enclaves != a0->enclaves && p->enclaves[0] == a0->enclaves[1]);
	T_CHECK(big2->labels == NULL);
}

static void
test_readback(void)
{
	static char names[256][POLICY_NAME_MAX];
	size_t n = write_mixed(names), bad = 0;
	struct agentdb *db = agentdb_load(at("rb", NULL));

	T_CHECK(db != NULL);
	if (db == NULL)
		return;
	T_CHECK(agentdb_count(db) == n);
	/* Each agent as agent_load reads its file, found by name and key id. */
	for (size_t i = 0; i < n; i++) {
		struct agent want;
		const struct agent *got = agentdb_by_name(db, names[i]);

		if (agent_load(at("rb", names[i]), &want) != 0 || got == NULL ||
		    !same_agent(got, &want) || agentdb_find(db, want.key_id) != got) {
			fprintf(stderr, "  agent %s differs\n", names[i]);
			bad++;
		}
		agent_clear(&want);
	}
	T_CHECK(bad == 0);
	/* In name order; names that are not there are not found. */
	for (size_t i = 1; i < agentdb_count(db); i++)
		T_CHECK(strcmp(agentdb_at(db, i - 1)->name,
		    agentdb_at(db, i)->name) < 0);
	T_CHECK(agentdb_at(db, n) == NULL);
	T_CHECK(agentdb_by_name(db, "") == NULL &&
	    agentdb_by_name(db, "agent") == NULL &&
	    agentdb_by_name(db, "agent0000") == NULL &&
	    agentdb_by_name(db, "00") == NULL &&
	    agentdb_by_name(db, "zzz") == NULL &&
	    agentdb_by_name(db, "agent200") == NULL);
	check_mixed(db);
	agentdb_free(db);
}

/* A directory of good agents plus one bad file fails as a whole, with the
 * bad file's error, and leaves no memory behind. */
static void
test_bad(void)
{
	static const struct {
		const char *name;
		uint32_t seed;		/* 7: the key of g007 */
		const char *rest;	/* after public_key, line 2 */
		const char *want;
	} cases[] = {
		{ "aaa", 9000, "nope = 1\n", "aaa.ini:3:" },
		{ "zzz", 9001, "nope = 1\n", "zzz.ini:3:" },
		{ "Upper", 9002, "", "Upper.ini: bad agent name" },
		{ "m17", 9003, "enclaves = a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n",
		    "m17.ini:3: bad enclaves" },
		{ "lab", 9004, "labels = team\n", "lab.ini:3: bad labels" },
		{ "twin", 7, "", "is also the key id of" },
	};
	char name[16];
	size_t before;
	struct agentdb *db;

	mkdir(at("bad", NULL), 0700);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "g%03d", i);
		put_agent("bad", name, (uint32_t)i, "enclaves = dev, e%d\n", i % 7);
	}
	agentdb_free(agentdb_load(at("bad", NULL)));	/* warm up stdio, ini */
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		put_agent("bad", cases[i].name, cases[i].seed, "%s", cases[i].rest);
		before = heap_used();
		db = agentdb_load(at("bad", NULL));
		T_CHECK(db == NULL);
		T_CHECK(t_has(cases[i].want));
		if (HEAP_MEASURED)
			T_CHECK(heap_used() < before + LEFT_MAX);
		agentdb_free(db);
		remove(at("bad", cases[i].name));
	}
	T_CHECK(t_has("twin.ini") && t_has("g007.ini"));
	db = agentdb_load(at("bad", NULL));
	T_CHECK(db != NULL && agentdb_count(db) == 300);
	agentdb_free(db);
}

/* 5,000 agents of one enclave: all found, and the heap they take. */
static void
test_scale(void)
{
	size_t before, used, bytes, bad = 0;
	struct agentdb *db;

	mkdir(at("big", NULL), 0700);
	for (int i = 0; i < SCALE_AGENTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bench%04d", i);
		put_agent("big", name, (uint32_t)i, "enclaves = dev\n");
	}
	agentdb_free(agentdb_load(at("rb", NULL)));	/* warm up stdio, ini */
	before = heap_used();
	db = agentdb_load(at("big", NULL));
	used = heap_used() - before;
	T_CHECK(db != NULL);
	if (db == NULL)
		return;
	T_CHECK(agentdb_count(db) == SCALE_AGENTS);
	for (int i = 0; i < SCALE_AGENTS; i++) {
		char name[32];
		const struct agent *a;

		snprintf(name, sizeof(name), "bench%04d", i);
		a = agentdb_by_name(db, name);
		if (a == NULL || agentdb_find(db, a->key_id) != a ||
		    a->pk[0] != (uint8_t)i || a->nenclaves != 1 ||
		    strcmp(a->enclaves[0], "dev") != 0)
			bad++;
	}
	T_CHECK(bad == 0);
	bytes = agentdb_bytes(db);
	printf("agentdb: %d agents: %zu bytes (heap %zu), %.1f bytes per agent\n",
	    SCALE_AGENTS, bytes, used, (double)bytes / SCALE_AGENTS);
	T_CHECK(bytes < (size_t)BYTES_PER_AGENT_MAX * SCALE_AGENTS);
	/* What agentdb_bytes counts is what the heap holds, headers aside. */
	if (HEAP_MEASURED) {
		T_CHECK(used < (size_t)BYTES_PER_AGENT_MAX * SCALE_AGENTS);
		T_CHECK(used >= bytes && used - bytes < 8192);	/* a page, headers */
	}
	agentdb_free(db);
}

int
main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
		perror("init");
		return 2;
	}
	test_readback();
	test_bad();
	test_scale();
	t_rm_tree(dir);
	return T_DONE();
}
