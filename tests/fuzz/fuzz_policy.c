/* SPDX-License-Identifier: ISC */
/* policy.ini (rules/policy.c): the input is written to a file and loaded. */
/*
 * Oracles on a loaded policy: every name finds its own index, enclaves point
 * at resources that exist, in ascending order, durations are in range; then
 * decide() runs for a few fixed agents, asking for everything and for each
 * resource by name.
 */
#include <string.h>

#include "agent.h"
#include "decide.h"
#include "fuzz.h"
#include "policy.h"

static void
check(const struct policy *p)
{
	for (size_t i = 0; i < p->nres; i++) {
		if (policy_resource(p, p->res[i].name) != (int)i)
			fuzz_fail("resource name lookup");
		if (p->res[i].port_lo == 0 || p->res[i].port_lo > p->res[i].port_hi)
			fuzz_fail("resource ports");
	}
	for (size_t i = 0; i < p->nenc; i++) {
		const struct enclave *e = &p->enc[i];

		if (policy_enclave(p, e->name) != (int)i)
			fuzz_fail("enclave name lookup");
		if (e->max_duration < 1 || e->max_duration > POLICY_MAX_DURATION ||
		    e->default_duration < 1 || e->default_duration > e->max_duration)
			fuzz_fail("enclave durations");
		for (size_t j = 0; j < e->nres; j++)
			if (e->res[j] >= p->nres || (j > 0 && e->res[j] <= e->res[j - 1]))
				fuzz_fail("enclave resources");
	}
}

static uintptr_t
decide_all(const struct policy *p, const struct agent *a)
{
	static char names[KNOCK_MAX_RES][KNOCK_NAME_MAX + 1];
	const char *why;
	struct grant g;
	uintptr_t acc = 0;
	size_t n = 0;

	if (decide(p, a, names, 0, 0, &g, &why) == 0) {
		for (size_t j = 0; j < g.n; j++) {
			if (g.res[j] >= p->nres || g.duration[j] == 0 ||
			    g.duration[j] > POLICY_MAX_DURATION)
				fuzz_fail("grant");
			acc += g.duration[j];
		}
	}
	memset(names, 0, sizeof(names));
	for (size_t i = 0; i < p->nres && n < KNOCK_MAX_RES; i++)
		memcpy(names[n++], p->res[i].name, strlen(p->res[i].name) + 1);
	for (size_t i = 1; i <= n; i++)
		acc += decide(p, a, names, i, 86400, &g, &why) == 0 ? g.n : 0;
	return acc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent a[3];
	struct policy *p;
	uintptr_t acc;

	p = policy_load(fuzz_write("policy.ini", data, size, 0644));
	if (p == NULL) {
		fuzz_sink = 0;
		return 0;
	}
	check(p);
	if (a[0].name == NULL) {
		agent_set_name(&a[0], "a");
		agent_add_enclave(&a[0], "dev");
		agent_set_name(&a[1], "b");
		agent_add_label(&a[1], "team", "ops");
	}
	/* Member of every enclave by name (first 16), and by labels. */
	agent_clear(&a[2]);
	agent_set_name(&a[2], "c");
	for (size_t i = 0; i < p->nenc && i < AGENT_MAX_ENCLAVES; i++)
		agent_add_enclave(&a[2], p->enc[i].name);
	acc = p->nres + p->nenc;
	for (int i = 0; i < 3; i++)
		acc += decide_all(p, &a[i]);
	fuzz_sink = acc;
	policy_free(p);
	return 0;
}
