#ifndef SPA_REPLAY_H
#define SPA_REPLAY_H

/*
 * Replay protection. A knock is fresh if its time is not below the floor and
 * its nonce was not accepted before. The floor is the later of the daemon's
 * start time and the newest knock time ever accepted (kept in the state
 * directory), so no knock accepted before a restart or crash is accepted
 * again; nonces are remembered until the clock-skew window has passed them.
 */

#include <stdint.h>

struct replay;

/* Open the state in dir (created if missing); NULL on error. */
struct replay *replay_open(const char *dir, uint32_t window_ms);
void replay_close(struct replay *r);

/* 0 if the knock may be fresh, -1 if it is a replay. */
int replay_check(struct replay *r, uint64_t ts_ms, const uint8_t nonce[24]);

/* Record an accepted knock; 0, or -1 if it is a replay after all or memory
 * runs out (refuse it either way). */
int replay_insert(struct replay *r, uint64_t ts_ms, const uint8_t nonce[24],
    uint64_t now_ms);

/* Entries held (for tests and metrics). */
uint64_t replay_size(const struct replay *r);

#endif
