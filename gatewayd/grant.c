/* SPDX-License-Identifier: ISC */
/* Steps 9-10: body, gateway, address, decision, clamping, the batch. */
#include <string.h>

#include <sodium.h>

#include "decide.h"
#include "grant.h"

/* Step 10: decide, then the opening waits in the batch. */
static enum reason
decide_and_queue(const struct grant_env *env, const struct agent *a,
    const struct knock_body *b, const struct spa_addr *target,
    struct audit_rec *rec, uint64_t arrived_us, uint64_t now_ms)
{
	struct fw_elem e[DECIDE_MAX_GRANT];
	const char *names[DECIDE_MAX_GRANT];
	const char *why = NULL;
	struct grant gr;
	uint32_t longest = 0;
	size_t n = 0;

	if (env->policy == NULL ||
	    decide(env->policy, a, b->res, b->nres, b->duration, &gr, &why) != 0)
		return audit_refuse(env->audit, rec, REASON_NOT_ENTITLED, now_ms);
	for (size_t i = 0; i < gr.n; i++) {
		const struct resource *r = &env->policy->res[gr.res[i]];

		if (r->addr.family != 0 && r->addr.family != target->family)
			continue;	/* an IPv4 host cannot be opened for IPv6 */
		memset(&e[n], 0, sizeof(e[n]));
		e[n].src = *target;
		e[n].dst = r->addr;
		e[n].proto = r->proto;
		e[n].port_lo = r->port_lo;
		e[n].port_hi = r->port_hi;
		e[n].timeout_ms = gr.duration[i] * 1000;
		names[n++] = r->name;
		if (gr.duration[i] > longest)
			longest = gr.duration[i];
	}
	rec->res = names;
	rec->nres = n;
	if (n == 0)
		return audit_refuse(env->audit, rec, REASON_NOT_ENTITLED, now_ms);
	rec->duration = longest;
	rec->expires_ms = now_ms + (uint64_t)longest * 1000;
	rec->reason = REASON_OK;
	batch_add(env->batch, a->key_id, e, n, rec, arrived_us, now_ms);
	return REASON_OK;
}

enum reason
grant_knock(const struct grant_env *env, const struct agent *a,
    const struct verify_job *j, struct audit_rec *rec, uint64_t now_ms)
{
	const char *asked[KNOCK_MAX_RES];
	const struct spa_addr *target = &j->src;
	struct knock_body body;

	/* 9: the signed body. */
	if (knock_parse_body(j->plain, j->h.body_len, &body) != 0)
		return audit_refuse(env->audit, rec, REASON_MALFORMED, now_ms);
	for (unsigned i = 0; i < body.nres; i++)
		asked[i] = body.res[i];
	rec->res = asked;
	rec->nres = body.nres;
	if (sodium_memcmp(body.gw_pk, env->gw_pk, KEY_PK_LEN) != 0)
		return audit_refuse(env->audit, rec, REASON_WRONG_GATEWAY, now_ms);
	if (body.addr.family != 0) {
		rec->addr = &body.addr;
		if (!addr_eq(&body.addr, &j->src) && !env->allow_other_address)
			return audit_refuse(env->audit, rec,
			    REASON_ADDRESS_MISMATCH, now_ms);
		target = &body.addr;
	}
	rec->addr = target;
	return decide_and_queue(env, a, &body, target, rec, j->arrived_us, now_ms);
}
