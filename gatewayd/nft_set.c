/* SPDX-License-Identifier: ISC */
/* The firewall's four sets: definitions, lookups, elements (for nft.c). */

#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/set.h>

#include "diag.h"
#include "nft_rule.h"
#include "nft_set.h"
#include "nl.h"

#define ELEMS_PER_MSG	128		/* < 100 bytes each: fits NL_MSG_ROOM */
#define MAX_ELEMS	(1u << 20)	/* per call, port ranges expanded */
#define KEY_MAX		40		/* fwd6: 16 + 16 + 4 + 4 */

/* nftables datatype ids; a concatenation packs them 6 bits each */
#define T_IPV4		7
#define T_IPV6		8
#define T_PROTO		12
#define T_SERVICE	13
#define CAT(a, b)	(((a) << 6) | (b))

/* Key lengths count each field padded to a 4-byte register. */
static const struct {
	const char *name;
	uint32_t type, len;
} sets[SET_COUNT] = {
	{ "in4", CAT(CAT(T_IPV4, T_PROTO), T_SERVICE), 12 },
	{ "in6", CAT(CAT(T_IPV6, T_PROTO), T_SERVICE), 24 },
	{ "fwd4", CAT(CAT(CAT(T_IPV4, T_IPV4), T_PROTO), T_SERVICE), 16 },
	{ "fwd6", CAT(CAT(CAT(T_IPV6, T_IPV6), T_PROTO), T_SERVICE), 40 },
};

/* Elements being queued into NEWSETELEM or DELSETELEM messages. */
struct elq {
	struct nl *l;
	const char *table;
	uint16_t type;
	struct nftnl_set *s;
	unsigned int count;
};

int
nft_set_put(struct nl *l, const char *table, int i)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	int rc = -1;

	if ((s = nftnl_set_alloc()) == NULL)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sets[i].type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sets[i].len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)i + 1);
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, table) == 0 &&
	    nftnl_set_set_str(s, NFTNL_SET_NAME, sets[i].name) == 0 &&
	    (nlh = nl_msg(l, NFT_MSG_NEWSET, NFPROTO_INET,
	    NLM_F_CREATE)) != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		rc = 0;
	}
	nftnl_set_free(s);
	return rc;
}

int
nft_set_lookup(struct nftnl_rule *r, int i)
{
	return nft_rule_lookup(r, i == SET_IN6 || i == SET_FWD6 ? 6 : 4,
	    i == SET_FWD4 || i == SET_FWD6, sets[i].name, (uint32_t)i + 1);
}

/* Put the queued elements into a message (if send), then empty the queue. */
static int
elq_flush(struct elq *q, int send)
{
	struct nlmsghdr *nlh = NULL;
	int rc = 0;

	if (send && q->count > 0) {
		nlh = nl_msg(q->l, q->type, NFPROTO_INET,
		    q->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
		if (nlh != NULL)
			nftnl_set_elems_nlmsg_build_payload(nlh, q->s);
		else
			rc = -1;
	}
	if (q->s != NULL)
		nftnl_set_free(q->s);
	q->s = NULL;
	q->count = 0;
	return rc;
}

/* Queue one element for set; timeout_ms 0: none (deletion). */
static int
elq_add(struct elq *q, int set, const void *key, uint32_t klen,
    uint32_t timeout_ms)
{
	struct nftnl_set_elem *e;

	if (q->count == ELEMS_PER_MSG && elq_flush(q, 1) == -1)
		return -1;
	if (q->s == NULL && ((q->s = nftnl_set_alloc()) == NULL ||
	    nftnl_set_set_str(q->s, NFTNL_SET_TABLE, q->table) != 0 ||
	    nftnl_set_set_str(q->s, NFTNL_SET_NAME, sets[set].name) != 0))
		return -1;
	if ((e = nftnl_set_elem_alloc()) == NULL)
		return -1;
	nftnl_set_elem_add(q->s, e);
	q->count++;
	if (timeout_ms != 0) {
		/* the expiration is what restarts an existing element's timer */
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_EXPIRATION, timeout_ms);
	}
	return nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen) < 0 ? -1 : 0;
}

/* The set an opening belongs in, or -1. */
static int
elem_set(const struct fw_elem *e)
{
	if (e->src.family != 4 && e->src.family != 6)
		return -1;
	if (e->dst.family == 0)
		return e->src.family == 4 ? SET_IN4 : SET_IN6;
	if (e->dst.family != e->src.family)
		return -1;
	return e->src.family == 4 ? SET_FWD4 : SET_FWD6;
}

/* The key for one port, laid out as the lookup's registers; its length. */
static uint32_t
elem_key(const struct fw_elem *e, uint16_t port, uint8_t key[KEY_MAX])
{
	uint32_t alen = e->src.family == 4 ? 4 : 16, off = alen;
	uint16_t be = htons(port);

	memset(key, 0, KEY_MAX);
	memcpy(key, e->src.bytes, alen);
	if (e->dst.family != 0) {
		memcpy(key + off, e->dst.bytes, alen);
		off += alen;
	}
	key[off] = e->proto;
	memcpy(key + off + 4, &be, sizeof(be));
	return off + 8;
}

int
nft_set_elems(struct nl *l, const char *table, uint16_t type,
    const struct fw_elem *e, size_t count)
{
	struct elq q = { l, table, type, NULL, 0 };
	uint8_t key[KEY_MAX];
	uint32_t port, klen;
	size_t i;
	int s;

	for (s = 0; s < SET_COUNT; s++) {
		for (i = 0; i < count; i++) {
			if (elem_set(&e[i]) != s)
				continue;
			for (port = e[i].port_lo; port <= e[i].port_hi; port++) {
				klen = elem_key(&e[i], (uint16_t)port, key);
				if (elq_add(&q, s, key, klen, type == NFT_MSG_NEWSETELEM ?
				    e[i].timeout_ms : 0) == -1) {
					elq_flush(&q, 0);
					return -1;
				}
			}
		}
		if (elq_flush(&q, 1) == -1)
			return -1;
	}
	return 0;
}

int
nft_set_check(const struct fw_elem *e, size_t count, int add)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < count; i++) {
		if (elem_set(&e[i]) == -1 || (e[i].proto != IPPROTO_TCP &&
		    e[i].proto != IPPROTO_UDP) || e[i].port_lo == 0 ||
		    e[i].port_lo > e[i].port_hi || (add && e[i].timeout_ms == 0)) {
			diag(NULL, 0, "nft: opening %zu is invalid", i);
			return -1;
		}
		total += (uint64_t)e[i].port_hi - e[i].port_lo + 1;
	}
	if (total > MAX_ELEMS) {
		diag(NULL, 0, "nft: %llu elements in one call, more than %u",
		    (unsigned long long)total, MAX_ELEMS);
		return -1;
	}
	return 0;
}
