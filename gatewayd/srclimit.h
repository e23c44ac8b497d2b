/* SPDX-License-Identifier: ISC */
/* The per-source rate limit: a fixed table of token buckets by address. */
#ifndef SPA_SRCLIMIT_H
#define SPA_SRCLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct srclimit;

/* A table of slots buckets keyed by source address; NULL on error. */
struct srclimit *srclimit_new(size_t slots, uint32_t rate, uint32_t burst);
void srclimit_free(struct srclimit *s);

/* Take a token from the bucket of address a; 0, or -1 when it is empty. */
int srclimit_take(struct srclimit *s, const struct spa_addr *a, uint64_t now_ms);

#endif
