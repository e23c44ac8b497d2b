/* SPDX-License-Identifier: ISC */
#ifndef SPA_AUDIT_H
#define SPA_AUDIT_H

/*
 * The audit log: one JSON object per decision, appended to a file. Accepted
 * knocks are always written; refusals pass a token bucket so a flood cannot
 * fill the disk, and what the bucket holds back is counted and written as one
 * summary line a second. Every decision is counted per reason.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum reason {
	REASON_OK,
	REASON_MALFORMED,
	REASON_UNKNOWN_KEY,
	REASON_STALE,
	REASON_REPLAY,
	REASON_RATE_LIMITED,
	REASON_BAD_AUTH,
	REASON_BAD_SIGNATURE,
	REASON_WRONG_GATEWAY,
	REASON_NOT_ENTITLED,
	REASON_REVOKED,
	REASON_EXPIRED,
	REASON_ADDRESS_MISMATCH,
	REASON_FIREWALL_ERROR,
	REASON_COUNT
};

struct audit_rec {
	enum reason reason;
	const char *agent;		/* NULL: unknown */
	const uint8_t *key_id;		/* NULL: none readable */
	const struct spa_addr *src;
	const struct spa_addr *addr;	/* address opened for; NULL: none */
	const char *const *res;		/* resource names */
	size_t nres;
	uint32_t duration;		/* seconds granted (largest) */
	uint64_t expires_ms;		/* 0: none */
};

struct audit;

/* Append to path (created 0640); NULL on error. */
struct audit *audit_open(const char *path);
void audit_close(struct audit *a);

/* Count and (subject to the refusal budget) write one decision. */
void audit_log(struct audit *a, const struct audit_rec *r, uint64_t now_ms);

/* audit_log of refusal r for rec (its reason set to r); returns r. */
enum reason audit_refuse(struct audit *a, struct audit_rec *rec, enum reason r,
    uint64_t now_ms);

/* Write out the buffered lines (after each burst of knocks). */
void audit_flush(struct audit *a);

/* Once a second: write the summary of lines held back, if any, and flush. */
void audit_tick(struct audit *a, uint64_t now_ms);

/* Decisions counted for a reason since start. */
uint64_t audit_count(const struct audit *a, enum reason r);

/* The reason's name as written in the log ("ok", "bad_auth", ...). */
const char *audit_reason_name(enum reason r);

#endif
