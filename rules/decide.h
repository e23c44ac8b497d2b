/* SPDX-License-Identifier: ISC */
#ifndef SPA_DECIDE_H
#define SPA_DECIDE_H

/*
 * The entitlement decision: which resources an agent may open, for how long.
 */

#include <stdint.h>

#include "agent.h"
#include "knock.h"
#include "policy.h"

#define DECIDE_MAX_GRANT 64

struct grant {
	uint32_t res[DECIDE_MAX_GRANT];		/* indexes into policy->res */
	uint32_t duration[DECIDE_MAX_GRANT];	/* seconds, per resource */
	size_t n;
};

/* 1 if a is a member of enclave e (named in its file, or carries its labels). */
int decide_member(const struct agent *a, const struct enclave *e);

/*
 * Decide a request for the named resources (n 0: every resource the agent is
 * entitled to) and a duration (0: each enclave's default). All or nothing: any
 * name the agent is not entitled to (or that does not exist) refuses the whole
 * request. The duration is clamped to the largest max_duration among the
 * agent's enclaves that hold the resource. Returns 0 and fills g, or -1 with
 * *reason set ("not_entitled").
 */
int decide(const struct policy *p, const struct agent *a,
    const char names[][KNOCK_NAME_MAX + 1], size_t n, uint32_t duration,
    struct grant *g, const char **reason);

#endif
