/* SPDX-License-Identifier: ISC */
#ifndef SPA_NFT_RULE_H
#define SPA_NFT_RULE_H

/*
 * The expressions of the firewall's rules, private to the nftables backend
 * (nft.c, nft_set.c): each function appends one match and "accept" to a
 * libnftnl rule of the inet family, where every load from the network header
 * is guarded by meta nfproto first. Each returns 0, or -1 when out of memory.
 */

#include <stdint.h>

#include "fw.h"

struct nftnl_rule;

/* ct state established,related accept */
int nft_rule_established(struct nftnl_rule *r);

/* iifname "lo" accept */
int nft_rule_loopback(struct nftnl_rule *r);

/* icmpv6 type nd-neighbor-solicit - nd-neighbor-advert accept */
int nft_rule_nd(struct nftnl_rule *r);

/* ip saddr PREFIX meta l4proto PROTO th dport PORT accept (a validated) */
int nft_rule_allow(struct nftnl_rule *r, const struct fw_allow *a);
/* Drop outgoing TCP that is new but not a SYN. */
int nft_rule_new_not_syn(struct nftnl_rule *r);
/* Leave UDP to the knock port untracked. */
int nft_rule_knock(struct nftnl_rule *r, uint16_t port);

/*
 * ip saddr [. ip daddr] . meta l4proto . th dport @set accept, for family 4
 * or 6, with the destination if fwd. Each field starts at a 32-bit register,
 * so the set's key is the fields each padded to 4 bytes.
 */
int nft_rule_lookup(struct nftnl_rule *r, int family, int fwd,
    const char *set, uint32_t set_id);

#endif
