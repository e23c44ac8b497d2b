/* SPDX-License-Identifier: ISC */
#ifndef SPA_REPLAY_H
#define SPA_REPLAY_H

/*
 * Replay protection. In one run, a knock's nonce is remembered until the
 * clock-skew window has passed it. Across restarts and crashes two floors
 * refuse every knock accepted before:
 *   - a global floor: the later of the start time and the horizon last
 *     written to the state file (kept about a second ahead of the clock, so
 *     a clock stepped back across a restart refuses old knocks too);
 *   - a per-agent floor, only for agents whose knocks were stamped ahead of
 *     our clock: such a knock is recorded (key id, time) when accepted.
 * So an agent with a fast clock never locks the others out after a restart.
 *
 * The nonces have a hash table of their own, not table.h's index: a slot
 * holds the nonce itself (16 bytes, four to a cache line), so the probe a
 * forged knock makes on every packet of a flood reads no second array, as
 * an index of entry numbers would once per candidate.
 */

#include <stdint.h>

struct replay;

/* Open the state in dir (created if missing); NULL on error. */
struct replay *replay_open(const char *dir, uint32_t window_ms);
void replay_close(struct replay *r);

/* 0 if the knock of agent id may be fresh, -1 if it is a replay. */
int replay_check(struct replay *r, uint64_t id, uint64_t ts_ms,
    const uint8_t nonce[24]);

/* Record an accepted knock; 0, or -1 if it is a replay after all or memory
 * runs out (refuse it either way). */
int replay_insert(struct replay *r, uint64_t id, uint64_t ts_ms,
    const uint8_t nonce[24], uint64_t now_ms);

/* Write the horizon (after each burst): only a clock stepped back across a
 * restart needs it, as the start time is a floor already. */
void replay_sync(struct replay *r);

/* Entries held (for tests and metrics). */
uint64_t replay_size(const struct replay *r);

#endif
