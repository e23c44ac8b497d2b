/* SPDX-License-Identifier: ISC */
/* The firewall's four sets: definitions, lookups, elements (for nft.c). */
#ifndef SPA_NFT_SET_H
#define SPA_NFT_SET_H

/*
 * Which set an opening belongs in, how each of its ports becomes a key, and
 * the messages that create a set, look it up from a rule and carry its
 * elements (see nft.h for the layout). Messages go into the batch or query
 * being built in l (nl.h).
 */

#include <stddef.h>
#include <stdint.h>

#include "fw.h"

enum { SET_IN4, SET_IN6, SET_FWD4, SET_FWD6, SET_COUNT };

struct nl;
struct nftnl_rule;

/* Add set i of table, with the timeout flag, to the batch; 0, or -1 when
 * out of memory. */
int nft_set_put(struct nl *l, const char *table, int i);

/* ip saddr [. ip daddr] . meta l4proto . th dport @set accept, for a rule
 * in the batch that adds set i; 0, or -1 when out of memory. */
int nft_set_lookup(struct nftnl_rule *r, int i);

/* 0 if every opening fits a set and, ports expanded, they are few enough
 * for one call (add: each with a timeout); else -1, reported. */
int nft_set_check(const struct fw_elem *e, size_t count, int add);

/* Queue the openings' elements, a port each, as messages of type
 * (NFT_MSG_NEWSETELEM, DELSETELEM or GETSETELEM), set by set: one message
 * per set used (more for many elements). 0, or -1 when out of memory. */
int nft_set_elems(struct nl *l, const char *table, uint16_t type,
    const struct fw_elem *e, size_t count);

#endif
