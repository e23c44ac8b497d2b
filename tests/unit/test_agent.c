/* SPDX-License-Identifier: ISC */
/* Tests for rules/agent.c and rules/agentdb.c (storage: test_agentdb.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agent.h"
#include "agentdb.h"
#include "diag.h"
#include "t.h"
#include "tagent.h"
#include "tfile.h"
#include "util.h"

static char dir[] = "/tmp/spa-test-agent-XXXXXX";

static const char *
at(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(2);
	}
}

/* A base64 public key line for pk filled with byte b. */
static const char *
pkline(uint8_t b)
{
	static char line[128];
	uint8_t pk[KEY_PK_LEN];
	char b64[64];

	memset(pk, b, sizeof(pk));
	util_b64_encode(pk, sizeof(pk), b64, sizeof(b64));
	snprintf(line, sizeof(line), "public_key = %s\n", b64);
	return line;
}

#define BAD(name, text, want) do {					\
	struct agent a_;						\
	put(name, text);						\
	T_CHECK(agent_load(at(name), &a_) == -1);			\
	T_CHECK(t_has(want));						\
	remove(at(name));						\
} while (0)

/* Drop a's enclaves and labels, keep the rest. */
static void
strip(struct agent *a)
{
	struct agent b;

	memset(&b, 0, sizeof(b));
	T_CHECK(agent_set_name(&b, a->name) == 0);
	memcpy(b.pk, a->pk, KEY_PK_LEN);
	memcpy(b.key_id, a->key_id, KEY_ID_LEN);
	b.expires = a->expires;
	b.revoked = a->revoked;
	agent_clear(a);
	*a = b;
}

static void
test_round_trip(void)
{
	struct agent a, b;
	struct stat st;
	uint8_t id[KEY_ID_LEN];

	memset(&a, 0, sizeof(a));
	T_CHECK(agent_set_name(&a, "ci-runner.7") == 0);
	randombytes_buf(a.pk, sizeof(a.pk));
	T_CHECK(agent_add_enclave(&a, "ops") == 0);
	T_CHECK(agent_add_enclave(&a, "data") == 0);
	T_CHECK(agent_add_label(&a, "team", "data") == 0);
	a.expires = 1800000000;
	T_CHECK(agent_write(dir, &a, 0) == 0);
	T_CHECK(stat(at("ci-runner.7.ini"), &st) == 0 &&
	    (st.st_mode & 07777) == 0640);
	T_CHECK(agent_load(at("ci-runner.7.ini"), &b) == 0);
	keys_id(a.pk, id);
	T_CHECK(memcmp(b.key_id, id, KEY_ID_LEN) == 0);
	memcpy(a.key_id, id, KEY_ID_LEN);
	T_CHECK(same_agent(&a, &b));
	agent_clear(&b);

	/* replace 0 refuses an existing file; replace 1 replaces it. */
	T_CHECK(agent_write(dir, &a, 0) == -1);
	a.revoked = 1700000000;
	strip(&a);
	T_CHECK(a.nenclaves == 0 && a.nlabels == 0 && a.enclaves == NULL &&
	    a.labels == NULL && strcmp(a.name, "ci-runner.7") == 0);
	T_CHECK(agent_write(dir, &a, 1) == 0);
	T_CHECK(agent_load(at("ci-runner.7.ini"), &b) == 0);
	T_CHECK(same_agent(&a, &b));
	T_CHECK(b.revoked == 1700000000 && b.nenclaves == 0);
	agent_clear(&b);
	remove(at("ci-runner.7.ini"));

	/* What would not load again is not written. */
	T_CHECK(agent_add_enclave(&a, "Bad") == 0);
	T_CHECK(agent_write(dir, &a, 0) == -1);
	strip(&a);
	T_CHECK(agent_add_enclave(&a, "x") == 0);
	T_CHECK(agent_add_enclave(&a, "x") == 0);
	T_CHECK(agent_write(dir, &a, 0) == -1);
	/* Full lists are refused by the adders themselves. */
	for (int i = 0; i < 20; i++)
		agent_add_enclave(&a, "y");
	T_CHECK(a.nenclaves == AGENT_MAX_ENCLAVES);
	for (int i = 0; i < 20; i++)
		agent_add_label(&a, "k", "v");
	T_CHECK(a.nlabels == POLICY_MAX_LABELS);
	agent_clear(&a);
	T_CHECK(a.nenclaves == 0 && a.enclaves == NULL && a.nlabels == 0 &&
	    a.labels == NULL && a.name == NULL);
	T_CHECK(agent_write(dir, &a, 0) == -1);		/* no name */
	T_CHECK(agent_set_name(&a, "../evil") == 0);
	T_CHECK(agent_write(dir, &a, 0) == -1);
	/* Names are copied, up to POLICY_NAME_MAX - 1 characters. */
	{
		char name[POLICY_NAME_MAX + 1];

		memset(name, 'n', sizeof(name) - 1);
		name[POLICY_NAME_MAX] = '\0';
		T_CHECK(agent_set_name(&a, name) == -1);
		T_CHECK(strcmp(a.name, "../evil") == 0);
		name[POLICY_NAME_MAX - 1] = '\0';
		T_CHECK(agent_set_name(&a, name) == 0);
		name[0] = 'm';
		T_CHECK(strlen(a.name) == POLICY_NAME_MAX - 1 && a.name[0] == 'n');
		T_CHECK(agent_add_enclave(&a, name) == 0);
		T_CHECK(agent_add_label(&a, name, "v") == -1);	/* key too long */
	}
	agent_clear(&a);
}

static void
test_bad(void)
{
	char buf[512];

	/* Lines: 1 [agent], 2 public_key, 3... */
#define AG(rest) (snprintf(buf, sizeof(buf), "[agent]\n%s%s", pkline(1), rest), buf)
	BAD("Upper.ini", AG(""), "Upper.ini:");
	BAD("x.ini", "", "x.ini: missing [agent]");
	BAD("x.ini", "[agent]\nenclaves = a\n", "x.ini:1:");
	BAD("x.ini", "[agent]\npublic_key = AAAA\n", "x.ini:2:");
	BAD("x.ini", AG("[other]\n"), "x.ini:3:");
	BAD("x.ini", AG("colour = red\n"), "x.ini:3:");
	BAD("x.ini", AG("enclaves = a, a\n"), "x.ini:3:");
	BAD("x.ini", AG("enclaves = a,\n"), "x.ini:3:");
	BAD("x.ini", AG("labels = team\n"), "x.ini:3:");
	BAD("x.ini", AG("\nexpires = tomorrow\n"), "x.ini:4:");
	BAD("x.ini", AG("revoked = 2026-13-01T00:00:00Z\n"), "x.ini:3:");
	BAD("x.ini", AG("public_key = x\n"), "x.ini:3:");
#undef AG
}

static void
test_db(void)
{
	struct agentdb *db;
	const struct agent *a;
	uint8_t pk[KEY_PK_LEN], id[KEY_ID_LEN];
	char text[256];

	mkdir(at("db"), 0700);
	for (int i = 0; i < 3; i++) {
		char name[32];

		snprintf(text, sizeof(text), "[agent]\n%senclaves = e%d\n",
		    pkline((uint8_t)(10 + i)), i);
		snprintf(name, sizeof(name), "db/a%d.ini", i);
		put(name, text);
	}
	put("db/.hidden.ini", "garbage");
	put("db/notes.txt", "garbage");
	put("db/a0.ini.tmp.1234", "garbage");
	put("db/a1.ini~", "garbage");
	mkdir(at("db/sub.d"), 0700);
	db = agentdb_load(at("db"));
	T_CHECK(db != NULL);
	if (db == NULL)
		return;
	T_CHECK(agentdb_count(db) == 3);
	T_CHECK(agentdb_at(db, 3) == NULL);
	memset(pk, 11, sizeof(pk));
	keys_id(pk, id);
	a = agentdb_find(db, id);
	T_CHECK(a != NULL && strcmp(a->name, "a1") == 0 &&
	    strcmp(a->enclaves[0], "e1") == 0);
	T_CHECK(agentdb_by_name(db, "a2") != NULL &&
	    agentdb_by_name(db, "a2")->pk[0] == 12);
	T_CHECK(agentdb_by_name(db, "a3") == NULL);
	memset(pk, 99, sizeof(pk));
	keys_id(pk, id);
	T_CHECK(agentdb_find(db, id) == NULL);
	for (size_t i = 0; i < agentdb_count(db); i++)
		T_CHECK(agentdb_find(db, agentdb_at(db, i)->key_id) ==
		    agentdb_at(db, i));
	agentdb_free(db);
	agentdb_free(NULL);

	/* One bad file fails the whole load, naming file and line. */
	put("db/bad.ini", "[agent]\nnope = 1\n");
	T_CHECK(agentdb_load(at("db")) == NULL);
	T_CHECK(t_has("bad.ini:2:"));
	remove(at("db/bad.ini"));

	/* Two agents with the same key: both files named. */
	snprintf(text, sizeof(text), "[agent]\n%s", pkline(10));
	put("db/twin.ini", text);
	T_CHECK(agentdb_load(at("db")) == NULL);
	T_CHECK(t_has("twin.ini") && t_has("a0.ini"));
	remove(at("db/twin.ini"));

	T_CHECK(agentdb_load(at("nonexistent")) == NULL);
	T_CHECK(t_has("nonexistent"));
	db = agentdb_load(at("db/sub.d"));
	T_CHECK(db != NULL && agentdb_count(db) == 0);
	if (db != NULL) {
		T_CHECK(agentdb_find(db, id) == NULL);
		T_CHECK(agentdb_by_name(db, "a0") == NULL);
	}
	agentdb_free(db);
}

static void
test_check_enclaves(void)
{
	struct policy *p;
	struct agent a;
	char text[256];

	put("policy.ini", "[resource:ssh]\nproto = tcp\nport = 22\n"
	    "[enclave:ops]\nresources = ssh\nmax_duration = 60\n");
	p = policy_load(at("policy.ini"));
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	snprintf(text, sizeof(text), "[agent]\n; comment\n%senclaves = ops, gone,"
	    " lost\n", pkline(5));
	put("m.ini", text);
	T_CHECK(agent_load(at("m.ini"), &a) == 0);
	T_CHECK(agent_check_enclaves(&a, at("m.ini"), p) == 2);
	T_CHECK(t_has("m.ini:4:") && t_has("lost"));
	a.nenclaves = 1;
	T_CHECK(agent_check_enclaves(&a, at("m.ini"), p) == 0);
	a.nenclaves = 3;		/* agent_clear frees what a holds */
	agent_clear(&a);
	policy_free(p);
}

int
main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
		perror("init");
		return 2;
	}
	test_round_trip();
	test_bad();
	test_db();
	test_check_enclaves();
	t_rm_tree(dir);
	return T_DONE();
}
