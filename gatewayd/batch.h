#ifndef SPA_BATCH_H
#define SPA_BATCH_H

/*
 * Grants waiting for the firewall. A burst of knocks is committed with one
 * request to the privileged side and one netlink batch, not one each; only
 * then are the openings indexed and the audit lines written ("ok", or
 * "firewall_error" for every grant of a batch the kernel refused).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "fw.h"
#include "keys.h"
#include "openings.h"

struct batch;

struct batch *batch_new(void);
void batch_free(struct batch *b);

/* 1 if a grant of n elements does not fit any more: commit first. */
int batch_full(const struct batch *b, size_t n);

/* Queue a grant of agent id: its n elements and its audit record (copied;
 * the resource names it points to must stay valid until batch_commit);
 * arrived_us: when its knock came in (0: unknown). */
void batch_add(struct batch *b, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, size_t n, const struct audit_rec *rec,
    uint64_t arrived_us);

/* Commit what is queued (fw NULL: decide only) and empty the batch; 0, or
 * -1 if the firewall refused it (every grant was audited as such). Each
 * grant committed whose arrival is known adds the time from its knock's
 * arrival to the commit's end to the histogram below. */
int batch_commit(struct batch *b, struct fw *fw, struct openings *o,
    struct audit *a, uint64_t now_ms);

/* That histogram, in the metrics' text format (spa_knock_open_seconds). */
void batch_write_metrics(const struct batch *b, FILE *f);

#endif
