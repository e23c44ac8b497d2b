/* SPDX-License-Identifier: ISC */
/* Tests for rules/decide.c: membership, isolation, durations, all or none. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "diag.h"
#include "t.h"
#include "tfile.h"

static char dir[] = "/tmp/spa-test-decide-XXXXXX";
static char ppath[PATH_MAX];

static const char policy_text[] =
	"[resource:ssh]\nproto = tcp\nport = 22\n"
	"[resource:web]\nproto = tcp\nport = 443\n"
	"[resource:db]\nproto = tcp\nport = 5432\naddress = 10.0.0.5\n"
	"[resource:dns]\nproto = udp\nport = 53\n"
	"[enclave:a]\nresources = ssh, web\nmax_duration = 600\n"
	"default_duration = 60\n"
	"[enclave:b]\nresources = web, db\nmax_duration = 3600\n"
	"default_duration = 300\nlabels = team=data\n"
	"[enclave:c]\nresources = dns\nmax_duration = 100\n"
	"labels = team=data, env=prod\n";

static const char *const all[] = { "ssh", "web", "db", "dns" };

static struct policy *
load(const char *text)
{
	FILE *f = fopen(ppath, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(ppath);
		exit(2);
	}
	return policy_load(ppath);
}

static void
agent(struct agent *a, const char *enclave, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	agent_clear(a);		/* callers keep a static: zeroed at first */
	agent_set_name(a, "t");
	if (enclave != NULL)
		agent_add_enclave(a, enclave);
	if (k1 != NULL)
		agent_add_label(a, k1, v1);
	if (k2 != NULL)
		agent_add_label(a, k2, v2);
}

/* Decide a request of up to 4 names given as a NULL-terminated list. */
static int
ask(const struct policy *p, const struct agent *a, uint32_t d, struct grant *g,
    const char *n0, const char *n1, const char *n2, const char *n3)
{
	char names[KNOCK_MAX_RES][KNOCK_NAME_MAX + 1];
	const char *in[] = { n0, n1, n2, n3 };
	const char *reason = NULL;
	size_t n = 0;
	int r;

	for (; n < 4 && in[n] != NULL; n++)
		strcpy(names[n], in[n]);
	r = decide(p, a, names, n, d, g, &reason);
	if (r != 0 && (reason == NULL || strcmp(reason, "not_entitled") != 0))
		return -2;
	return r;
}

static uint32_t
dur(const struct policy *p, const struct grant *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->res[i] == (uint32_t)policy_resource(p, name))
			return g->duration[i];
	return 0;
}

static void
test_member(const struct policy *p)
{
	const struct enclave *a = &p->enc[policy_enclave(p, "a")];
	const struct enclave *b = &p->enc[policy_enclave(p, "b")];
	const struct enclave *c = &p->enc[policy_enclave(p, "c")];
	static struct agent ag;

	agent(&ag, "a", NULL, NULL, NULL, NULL);
	T_CHECK(decide_member(&ag, a) && !decide_member(&ag, b) &&
	    !decide_member(&ag, c));
	agent(&ag, NULL, "team", "data", NULL, NULL);
	T_CHECK(!decide_member(&ag, a) && decide_member(&ag, b) &&
	    !decide_member(&ag, c));
	agent(&ag, NULL, "env", "prod", "team", "data");
	T_CHECK(!decide_member(&ag, a) && decide_member(&ag, b) &&
	    decide_member(&ag, c));
	agent(&ag, NULL, "team", "ops", "env", "prod");
	T_CHECK(!decide_member(&ag, b) && !decide_member(&ag, c));
	agent(&ag, "c", NULL, NULL, NULL, NULL);
	T_CHECK(decide_member(&ag, c) && !decide_member(&ag, b));
	agent(&ag, NULL, NULL, NULL, NULL, NULL);
	T_CHECK(!decide_member(&ag, a) && !decide_member(&ag, b));
}

/* An agent of enclave a never gets db or dns, whatever it asks. */
static void
test_isolation(const struct policy *p)
{
	static struct agent ag;
	struct grant g;

	agent(&ag, "a", "team", "ops", NULL, NULL);
	for (unsigned set = 1; set < 16; set++) {
		const char *n[4] = { NULL, NULL, NULL, NULL };
		int k = 0, foreign = 0;

		for (int i = 0; i < 4; i++)
			if (set & (1u << i)) {
				n[k++] = all[i];
				foreign |= i >= 2;
			}
		T_CHECK(ask(p, &ag, 0, &g, n[0], n[1], n[2], n[3]) ==
		    (foreign ? -1 : 0));
		T_CHECK(foreign ? g.n == 0 : g.n == (size_t)k);
		for (size_t i = 0; i < g.n; i++)
			T_CHECK(g.res[i] == (uint32_t)policy_resource(p, "ssh") ||
			    g.res[i] == (uint32_t)policy_resource(p, "web"));
	}
	/* n 0: everything the agent holds, and nothing more. */
	T_CHECK(ask(p, &ag, 0, &g, NULL, NULL, NULL, NULL) == 0);
	T_CHECK(g.n == 2 && dur(p, &g, "ssh") == 60 && dur(p, &g, "web") == 60);
	T_CHECK(ask(p, &ag, 0, &g, "nope", NULL, NULL, NULL) == -1);
	T_CHECK(ask(p, &ag, 0, &g, "ssh", "nope", NULL, NULL) == -1 && g.n == 0);
	T_CHECK(ask(p, &ag, 0, &g, "a", NULL, NULL, NULL) == -1);

	/* Labels: b but not c; then both. */
	agent(&ag, NULL, "team", "data", NULL, NULL);
	T_CHECK(ask(p, &ag, 0, &g, NULL, NULL, NULL, NULL) == 0);
	T_CHECK(g.n == 2 && dur(p, &g, "web") == 300 && dur(p, &g, "db") == 300);
	T_CHECK(ask(p, &ag, 0, &g, "dns", NULL, NULL, NULL) == -1);
	agent(&ag, NULL, "team", "data", "env", "prod");
	T_CHECK(ask(p, &ag, 0, &g, "dns", "db", NULL, NULL) == 0 && g.n == 2);
	T_CHECK(dur(p, &g, "dns") == 100 && dur(p, &g, "db") == 300);

	/* No enclave at all: nothing, not even with n 0. */
	agent(&ag, "zzz", NULL, NULL, NULL, NULL);
	T_CHECK(ask(p, &ag, 0, &g, NULL, NULL, NULL, NULL) == -1 && g.n == 0);
	T_CHECK(ask(p, &ag, 0, &g, "ssh", NULL, NULL, NULL) == -1);
}

static void
test_durations(const struct policy *p)
{
	static struct agent ag;
	struct grant g;

	/* Member of a (by name) and b (by label): web is in both. */
	agent(&ag, "a", "team", "data", NULL, NULL);
	T_CHECK(ask(p, &ag, 0, &g, "ssh", "web", NULL, NULL) == 0 && g.n == 2);
	T_CHECK(dur(p, &g, "ssh") == 60 && dur(p, &g, "web") == 300);
	T_CHECK(ask(p, &ag, 120, &g, "ssh", "web", NULL, NULL) == 0);
	T_CHECK(dur(p, &g, "ssh") == 120 && dur(p, &g, "web") == 120);
	T_CHECK(ask(p, &ag, 1000, &g, "ssh", "web", NULL, NULL) == 0);
	T_CHECK(dur(p, &g, "ssh") == 600 && dur(p, &g, "web") == 1000);
	T_CHECK(ask(p, &ag, 100000, &g, "ssh", "web", NULL, NULL) == 0);
	T_CHECK(dur(p, &g, "ssh") == 600 && dur(p, &g, "web") == 3600);
	T_CHECK(ask(p, &ag, 1, &g, NULL, NULL, NULL, NULL) == 0 && g.n == 3);
	T_CHECK(dur(p, &g, "ssh") == 1 && dur(p, &g, "db") == 1);
	/* Duplicates are granted once. */
	T_CHECK(ask(p, &ag, 0, &g, "web", "web", "ssh", "web") == 0 && g.n == 2);
}

static void
test_edges(void)
{
	char text[8192] = "[enclave:big]\nmax_duration = 10\nresources = r0";
	char names[2][KNOCK_NAME_MAX + 1];
	const char *reason = NULL;
	struct policy *p;
	static struct agent ag;
	struct grant g;

	for (int i = 1; i < 100; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    ",\\\n r%d", i);
	strcat(text, "\n");
	for (int i = 0; i < 100; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "[resource:r%d]\nproto = tcp\nport = %d\n", i, 1000 + i);
	p = load(text);
	T_CHECK(p != NULL);
	if (p == NULL) {
		fprintf(stderr, "  %s\n", diag_last());
		return;
	}
	agent(&ag, "big", NULL, NULL, NULL, NULL);
	T_CHECK(ask(p, &ag, 0, &g, NULL, NULL, NULL, NULL) == 0);
	T_CHECK(g.n == DECIDE_MAX_GRANT && g.duration[63] == 10);
	for (size_t i = 1; i < g.n; i++)
		T_CHECK(g.res[i] != g.res[0]);
	/* A name without its NUL is refused, not read past. */
	memset(names[0], 'r', sizeof(names[0]));
	T_CHECK(decide(p, &ag, names, 1, 0, &g, &reason) == -1);
	T_CHECK(reason != NULL && strcmp(reason, "not_entitled") == 0);
	policy_free(p);
}

int
main(void)
{
	struct policy *p;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(ppath, sizeof(ppath), "%s/policy.ini", dir);
	p = load(policy_text);
	T_CHECK(p != NULL);
	if (p != NULL) {
		test_member(p);
		test_isolation(p);
		test_durations(p);
	}
	policy_free(p);
	test_edges();
	t_rm_tree(dir);
	return T_DONE();
}
