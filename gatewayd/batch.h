/* SPDX-License-Identifier: ISC */
/* Steps 11 and 12: grants committed in one batch, indexed, audited. */
#ifndef SPA_BATCH_H
#define SPA_BATCH_H

/*
 * A burst of knocks is committed with one request to the privileged side and
 * one netlink batch, not one each; only then are the openings indexed and
 * the audit lines written ("ok", or "firewall_error" for every grant of a
 * batch the kernel refused). An opening the index cannot record (memory)
 * is taken out of the firewall again and its grant audited as
 * firewall_error: no live opening is ever unknown to the index, so a
 * revocation finds them all.
 */

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "fw.h"
#include "hist.h"
#include "keys.h"
#include "openings.h"

struct batch;

/* Commit to fw (NULL: decide only), index in o, audit to a (all borrowed). */
struct batch *batch_new(struct fw *fw, struct openings *o, struct audit *a);
void batch_free(struct batch *b);

/* Queue a grant of agent id: its n elements (at most DECIDE_MAX_GRANT) and
 * its audit record (copied; the resource names it points to must stay valid
 * until the commit); arrived_us: when its knock came in (0: unknown). A
 * batch that cannot take it is committed first. */
void batch_add(struct batch *b, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, size_t n, const struct audit_rec *rec,
    uint64_t arrived_us, uint64_t now_ms);

/* Commit what is queued and empty the batch; 0, or -1 if any grant was
 * refused (the firewall refused the batch, or the index had no room; each
 * such grant was audited as firewall_error). Each grant committed whose
 * arrival is known adds the time from its knock's arrival to the commit's
 * end to the histogram below. */
int batch_commit(struct batch *b, uint64_t now_ms);

/* That histogram (spa_knock_open_seconds). */
const struct hist *batch_hist(const struct batch *b);

#endif
