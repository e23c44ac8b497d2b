/* SPDX-License-Identifier: ISC */
/* Steps 9 and 10: the body read, the entitlement decided, the grant queued. */
#ifndef SPA_GRANT_H
#define SPA_GRANT_H

#include <stdint.h>

#include "agent.h"
#include "audit.h"
#include "batch.h"
#include "policy.h"
#include "verifier.h"

/* What a decision reads and where its outcome goes (all borrowed). */
struct grant_env {
	const struct policy *policy;	/* NULL: none loaded, nothing granted */
	const uint8_t *gw_pk;		/* this gateway's public key */
	int allow_other_address;	/* gateway.ini: a body may name another */
	struct batch *batch;		/* where grants wait for the firewall */
	struct audit *audit;		/* where refusals go */
};

/* Decide the authentic knock j of agent a (signature verified, nonce spent):
 * its body must parse and name this gateway, and the address it opens for
 * must be its source unless allowed otherwise; then the policy decides and
 * clamps the durations. REASON_OK with the grant queued in the batch (its
 * audit line comes with the commit), or the refusal, already audited. rec
 * carries what is known of the knock so far; afterwards it may point into
 * this call's own storage and is not to be read again. */
enum reason grant_knock(const struct grant_env *env, const struct agent *a,
    const struct verify_job *j, struct audit_rec *rec, uint64_t now_ms);

#endif
