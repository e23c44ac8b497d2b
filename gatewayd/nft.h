/* SPDX-License-Identifier: ISC */
#ifndef SPA_NFT_H
#define SPA_NFT_H

/*
 * The firewall, through libnftnl/libmnl netlink batches only (no nft, no shell).
 *
 * The daemon owns one inet table (name from gateway.ini), installed atomically:
 *   chain input   hook input   priority 0, policy drop
 *   chain forward hook forward priority 0, policy drop
 * each accepting ct established,related, (input) iifname lo, (input) IPv6
 * neighbour discovery, the operator allow-list, and lookups in four sets
 * with the timeout flag:
 *   in4  ipv4_addr . inet_proto . inet_service               (src . proto . dport)
 *   in6  ipv6_addr . inet_proto . inet_service
 *   fwd4 ipv4_addr . ipv4_addr . inet_proto . inet_service   (src . dst . proto . dport)
 *   fwd6 ipv6_addr . ipv6_addr . inet_proto . inet_service
 */

#include <stddef.h>
#include <stdint.h>

#include "fw.h"

struct nft;

/* Open a netlink socket for table; NULL on error. */
struct nft *nft_open(const char *table);

/* Close the socket and free n; NULL is a no-op. */
void nft_close(struct nft *n);

/* Replace the table, chains, sets and rules in one batch (live openings are
 * dropped); UDP to knock_port is left untracked (the input chain drops
 * it). 0 or -1. */
int nft_install(struct nft *n, uint16_t knock_port,
    const struct fw_allow *allow, size_t nallow);

/* Add (or refresh: the timer restarts) openings in one batch; 0 or -1. */
int nft_add(struct nft *n, const struct fw_elem *e, size_t count);

/* Delete openings in one batch; elements already expired are not an error. */
int nft_del(struct nft *n, const struct fw_elem *e, size_t count);

/* Delete the whole table; a missing table is not an error. */
int nft_uninstall(struct nft *n);

#endif
