/* SPDX-License-Identifier: ISC */
/* Rule expressions through libnftnl. */
/*
 * A failed allocation is sticky in struct rb, so a rule's expressions are
 * chained without a check after each.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft_rule.h"

struct rb {
	struct nftnl_rule *r;
	int oom;
};

/* Append expression name with n (attribute, u32 value) pairs. */
static struct nftnl_expr *
x_add(struct rb *b, const char *name, int n, ...)
{
	struct nftnl_expr *e;
	va_list ap;
	int attr;

	if (b->oom || (e = nftnl_expr_alloc(name)) == NULL) {
		b->oom = 1;
		return NULL;
	}
	nftnl_rule_add_expr(b->r, e);
	va_start(ap, n);
	while (n-- > 0) {
		attr = va_arg(ap, int);
		nftnl_expr_set_u32(e, (uint16_t)attr, va_arg(ap, uint32_t));
	}
	va_end(ap);
	return e;
}

/* Set a data attribute of e (NULL after an earlier failure). */
static void
x_data(struct rb *b, struct nftnl_expr *e, int attr, const void *p, uint32_t len)
{
	if (e != NULL && nftnl_expr_set(e, (uint16_t)attr, p, len) != 0)
		b->oom = 1;
}

static void
x_meta(struct rb *b, uint32_t key, uint32_t dreg)
{
	x_add(b, "meta", 2, NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_DREG, dreg);
}

static void
x_payload(struct rb *b, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	x_add(b, "payload", 4, NFTNL_EXPR_PAYLOAD_BASE, base,
	    NFTNL_EXPR_PAYLOAD_OFFSET, off, NFTNL_EXPR_PAYLOAD_LEN, len,
	    NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

/* Compare register 1 with data. */
static void
x_cmp(struct rb *b, uint32_t op, const void *data, uint32_t len)
{
	x_data(b, x_add(b, "cmp", 2, NFTNL_EXPR_CMP_SREG, NFT_REG_1,
	    NFTNL_EXPR_CMP_OP, op), NFTNL_EXPR_CMP_DATA, data, len);
}

/* Register 1 &= mask. */
static void
x_mask(struct rb *b, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e;

	e = x_add(b, "bitwise", 3, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1,
	    NFTNL_EXPR_BITWISE_DREG, NFT_REG_1, NFTNL_EXPR_BITWISE_LEN, len);
	x_data(b, e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	x_data(b, e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

/* meta nfproto ipv4|ipv6: guards every network header load in inet */
static void
x_nfproto(struct rb *b, uint8_t proto)
{
	x_meta(b, NFT_META_NFPROTO, NFT_REG_1);
	x_cmp(b, NFT_CMP_EQ, &proto, 1);
}

/* The verdict that ends every rule; the rule's status. */
static int
x_accept(struct rb *b)
{
	x_add(b, "immediate", 2, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT,
	    NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	return b->oom ? -1 : 0;
}

int
nft_rule_established(struct nftnl_rule *r)
{
	struct rb b = { r, 0 };
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;

	x_add(&b, "ct", 2, NFTNL_EXPR_CT_KEY, NFT_CT_STATE, NFTNL_EXPR_CT_DREG,
	    NFT_REG_1);
	x_mask(&b, &mask, sizeof(mask));
	x_cmp(&b, NFT_CMP_NEQ, &zero, sizeof(zero));
	return x_accept(&b);
}

int
nft_rule_loopback(struct nftnl_rule *r)
{
	struct rb b = { r, 0 };
	char name[IFNAMSIZ] = "lo";

	x_meta(&b, NFT_META_IIFNAME, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, name, sizeof(name));
	return x_accept(&b);
}

/* Without neighbour discovery IPv6 does not work at all. */
int
nft_rule_nd(struct nftnl_rule *r)
{
	struct rb b = { r, 0 };
	uint8_t icmp6 = IPPROTO_ICMPV6, lo = ND_NEIGHBOR_SOLICIT,
	    hi = ND_NEIGHBOR_ADVERT;
	struct nftnl_expr *e;

	x_nfproto(&b, NFPROTO_IPV6);
	x_meta(&b, NFT_META_L4PROTO, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &icmp6, 1);
	x_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
	e = x_add(&b, "range", 2, NFTNL_EXPR_RANGE_SREG, NFT_REG_1,
	    NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	x_data(&b, e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 1);
	x_data(&b, e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 1);
	return x_accept(&b);
}

int
nft_rule_allow(struct nftnl_rule *r, const struct fw_allow *a)
{
	struct rb b = { r, 0 };
	uint32_t alen = a->addr.family == 6 ? 16 : 4, i, bits;
	uint8_t mask[16], addr[16];
	uint16_t port = htons(a->port);

	x_nfproto(&b, a->addr.family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (a->plen > 0) {
		for (i = 0; i < alen; i++) {
			bits = a->plen > 8 * i ? a->plen - 8 * i : 0;
			mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
			addr[i] = a->addr.bytes[i] & mask[i];
		}
		x_payload(&b, NFT_PAYLOAD_NETWORK_HEADER, alen == 16 ? 8 : 12,
		    alen, NFT_REG_1);
		if (a->plen < 8 * alen)
			x_mask(&b, mask, alen);
		x_cmp(&b, NFT_CMP_EQ, addr, alen);
	}
	x_meta(&b, NFT_META_L4PROTO, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &a->proto, 1);
	x_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &port, sizeof(port));
	return x_accept(&b);
}

/*
 * TCP leaving the host that would start tracking mid-stream (new, no SYN):
 * dropped. Otherwise, once a revocation has cut a connection's tracking
 * entry, the service's next segment would make a new one, and the agent's
 * answer to it would pass the input chain as established.
 */
int
nft_rule_new_not_syn(struct nftnl_rule *r)
{
	struct rb b = { r, 0 };
	uint8_t tcp = IPPROTO_TCP, syn = 0x02, zero8 = 0;
	uint32_t isnew = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;

	x_meta(&b, NFT_META_L4PROTO, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &tcp, 1);
	x_add(&b, "ct", 2, NFTNL_EXPR_CT_KEY, NFT_CT_STATE, NFTNL_EXPR_CT_DREG,
	    NFT_REG_1);
	x_mask(&b, &isnew, sizeof(isnew));
	x_cmp(&b, NFT_CMP_NEQ, &zero, sizeof(zero));
	x_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	x_mask(&b, &syn, 1);
	x_cmp(&b, NFT_CMP_EQ, &zero8, 1);
	x_add(&b, "immediate", 2, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT,
	    NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	return b.oom ? -1 : 0;
}

/* UDP to the knock port: not tracked (no verdict; the input chain drops it). */
int
nft_rule_knock(struct nftnl_rule *r, uint16_t port)
{
	struct rb b = { r, 0 };
	uint8_t udp = IPPROTO_UDP;
	uint16_t p = htons(port);

	x_meta(&b, NFT_META_L4PROTO, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &udp, 1);
	x_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	x_cmp(&b, NFT_CMP_EQ, &p, sizeof(p));
	x_add(&b, "notrack", 0);
	return b.oom ? -1 : 0;
}

int
nft_rule_lookup(struct nftnl_rule *r, int family, int fwd, const char *set,
    uint32_t set_id)
{
	struct rb b = { r, 0 };
	uint32_t alen = family == 6 ? 16 : 4, reg = NFT_REG32_00;
	struct nftnl_expr *e;

	x_nfproto(&b, family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	x_payload(&b, NFT_PAYLOAD_NETWORK_HEADER, alen == 16 ? 8 : 12, alen, reg);
	reg += alen / 4;
	if (fwd) {
		x_payload(&b, NFT_PAYLOAD_NETWORK_HEADER, alen == 16 ? 24 : 16,
		    alen, reg);
		reg += alen / 4;
	}
	x_meta(&b, NFT_META_L4PROTO, reg++);
	x_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg);
	e = x_add(&b, "lookup", 2, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00,
	    NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	x_data(&b, e, NFTNL_EXPR_LOOKUP_SET, set, (uint32_t)strlen(set) + 1);
	return x_accept(&b);
}
