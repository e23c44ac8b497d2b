/* SPDX-License-Identifier: ISC */
/* Step 10: the entitlement decision, all or nothing, durations clamped. */
#include <string.h>

#include "decide.h"

int
decide_member(const struct agent *a, const struct enclave *e)
{
	size_t i, j;

	for (i = 0; i < a->nenclaves; i++)
		if (strcmp(a->enclaves[i], e->name) == 0)
			return 1;
	if (e->nlabels == 0)
		return 0;
	for (i = 0; i < e->nlabels; i++) {
		for (j = 0; j < a->nlabels; j++)
			if (strcmp(a->labels[j].key, e->labels[i].key) == 0 &&
			    strcmp(a->labels[j].value, e->labels[i].value) == 0)
				break;
		if (j == a->nlabels)
			return 0;
	}
	return 1;
}

/* 1 if enclave e holds resource r (e->res is sorted). */
static int
holds(const struct enclave *e, uint32_t r)
{
	size_t lo = 0, hi = e->nres;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->res[mid] == r)
			return 1;
		if (e->res[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
granted(const struct grant *g, uint32_t r)
{
	for (size_t j = 0; j < g->n; j++)
		if (g->res[j] == r)
			return 1;
	return 0;
}

/* The named resources into g->res, each once; -1 if one does not exist. */
static int
resolve(const struct policy *p, const char names[][KNOCK_NAME_MAX + 1],
    size_t n, struct grant *g)
{
	int r;

	if (n > DECIDE_MAX_GRANT)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (memchr(names[i], '\0', KNOCK_NAME_MAX + 1) == NULL ||
		    (r = policy_resource(p, names[i])) < 0)
			return -1;
		if (!granted(g, (uint32_t)r))
			g->res[g->n++] = (uint32_t)r;
	}
	return 0;
}

/*
 * The durations follow the most generous enclave holding each resource:
 * membership of one more enclave never shortens an opening.
 */
int
decide(const struct policy *p, const struct agent *a,
    const char names[][KNOCK_NAME_MAX + 1], size_t n, uint32_t duration,
    struct grant *g, const char **reason)
{
	uint32_t max[DECIDE_MAX_GRANT] = { 0 }, def[DECIDE_MAX_GRANT] = { 0 };
	const struct enclave *e;
	size_t i, j;

	memset(g, 0, sizeof(*g));
	if (n > 0 && resolve(p, names, n, g) != 0)
		goto refuse;
	for (i = 0; i < p->nenc; i++) {
		e = &p->enc[i];
		if (!decide_member(a, e))
			continue;
		for (j = 0; n == 0 && j < e->nres && g->n < DECIDE_MAX_GRANT; j++)
			if (!granted(g, e->res[j]))
				g->res[g->n++] = e->res[j];
		for (j = 0; j < g->n; j++) {
			if (!holds(e, g->res[j]))
				continue;
			if (e->max_duration > max[j])
				max[j] = e->max_duration;
			if (e->default_duration > def[j])
				def[j] = e->default_duration;
		}
	}
	if (g->n == 0)
		goto refuse;
	for (j = 0; j < g->n; j++) {
		if (max[j] == 0)
			goto refuse;	/* all or nothing */
		g->duration[j] = duration == 0 ? def[j] : duration;
		if (g->duration[j] > max[j])
			g->duration[j] = max[j];
	}
	return 0;
refuse:
	memset(g, 0, sizeof(*g));
	if (reason != NULL)
		*reason = "not_entitled";
	return -1;
}
