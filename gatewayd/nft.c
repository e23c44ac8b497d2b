/* SPDX-License-Identifier: ISC */
/* The firewall through libnftnl: the table, its rules, the openings. */
/*
 * The firewall through libnftnl: the table, its chains and rules, and the
 * openings' life (add, refresh, delete). Every change is one netlink batch
 * (nl.h), which the kernel applies all or nothing; every message in it asks
 * for an ACK, and the first error is reported. The sets and their elements
 * are nft_set.c's, the rules' expressions nft_rule.c's.
 */

#include <sys/utsname.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "diag.h"
#include "nft.h"
#include "nft_rule.h"
#include "nft_set.h"
#include "nl.h"

#define DEL_CHUNK	128		/* elements looked up at a time */
#define TABLE_MAX	64

enum { R_ESTABLISHED, R_LOOPBACK, R_ND, R_ALLOW, R_KNOCK, R_NEW_NOT_SYN,
    R_LOOKUP };

#define PRIO_RAW (-300)		/* NF_IP_PRI_RAW: before connection tracking */

struct nft {
	struct nl *nl;
	char table[TABLE_MAX];
	int refresh;		/* re-adding an element restarts its timer */
};

/* Start a message of the inet family in the batch or query being built. */
static struct nlmsghdr *
msg_begin(struct nft *n, uint16_t type, uint16_t flags)
{
	return nl_msg(n->nl, type, NFPROTO_INET, flags);
}

/* Queue the openings' elements as messages of type, set by set. */
static int
put_elems(struct nft *n, uint16_t type, const struct fw_elem *e, size_t count)
{
	return nft_set_elems(n->nl, n->table, type, e, count);
}

static int
fail(struct nft *n, const char *what, int err)
{
	static const char *const names[] = {
		[NFT_MSG_NEWTABLE] = "add table: ",
		[NFT_MSG_DELTABLE] = "delete table: ",
		[NFT_MSG_NEWCHAIN] = "add chain: ",
		[NFT_MSG_NEWRULE] = "add rule: ",
		[NFT_MSG_NEWSET] = "add set: ",
		[NFT_MSG_NEWSETELEM] = "add element: ",
		[NFT_MSG_DELSETELEM] = "delete element: ",
	};
	uint16_t type = nl_errtype(n->nl);
	unsigned int t = type & 0xff;

	diag(NULL, 0, "nft %s: %s: %s%s", n->table, what,
	    type != 0 && t <= NFT_MSG_DELSETELEM && names[t] != NULL ?
	    names[t] : "", strerror(err));
	return -1;
}

static int
oom(struct nft *n)
{
	diag(NULL, 0, "nft %s: out of memory", n->table);
	return -1;
}

static int
put_table(struct nft *n, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int rc = -1;

	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table) == 0 &&
	    (nlh = msg_begin(n, type, flags)) != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		rc = 0;
	}
	nftnl_table_free(t);
	return rc;
}

static int
put_chain(struct nft *n, const char *name, uint32_t hook, int32_t prio,
    uint32_t policy)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	int rc = -1;

	if ((c = nftnl_chain_alloc()) == NULL)
		return -1;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->table) == 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) == 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") == 0 &&
	    (nlh = msg_begin(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE)) != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		rc = 0;
	}
	nftnl_chain_free(c);
	return rc;
}

/* One rule: the match of the given kind, then accept. */
static int
put_rule(struct nft *n, const char *chain, int kind, const void *arg)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	int rc = -1;

	if ((r = nftnl_rule_alloc()) == NULL)
		return -1;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->table) != 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) != 0)
		goto out;
	switch (kind) {
	case R_ESTABLISHED:	rc = nft_rule_established(r); break;
	case R_LOOPBACK:	rc = nft_rule_loopback(r); break;
	case R_ND:		rc = nft_rule_nd(r); break;
	case R_ALLOW:		rc = nft_rule_allow(r, arg); break;
	case R_KNOCK:		rc = nft_rule_knock(r, *(const uint16_t *)arg); break;
	case R_NEW_NOT_SYN:	rc = nft_rule_new_not_syn(r); break;
	default:		rc = nft_set_lookup(r, *(const int *)arg);
	}
	if (rc == 0 && (nlh = msg_begin(n, NFT_MSG_NEWRULE,
	    NLM_F_CREATE | NLM_F_APPEND)) != NULL)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	else
		rc = -1;
out:
	nftnl_rule_free(r);
	return rc;
}

/* The rules of a chain in order; its policy drops what none accepts. */
static int
put_rules(struct nft *n, const char *chain, int input,
    const struct fw_allow *allow, size_t nallow)
{
	size_t i;
	int s;

	if (put_rule(n, chain, R_ESTABLISHED, NULL) == -1 || (input &&
	    (put_rule(n, chain, R_LOOPBACK, NULL) == -1 ||
	    put_rule(n, chain, R_ND, NULL) == -1)))
		return -1;
	for (i = 0; i < nallow; i++)
		if (put_rule(n, chain, R_ALLOW, &allow[i]) == -1)
			return -1;
	for (s = input ? SET_IN4 : SET_FWD4; s <= (input ? SET_IN6 : SET_FWD6);
	    s++)
		if (put_rule(n, chain, R_LOOKUP, &s) == -1)
			return -1;
	return 0;
}

static int
allow_check(const struct fw_allow *a, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (((a[i].addr.family != 4 || a[i].plen > 32) &&
		    (a[i].addr.family != 6 || a[i].plen > 128)) ||
		    (a[i].proto != IPPROTO_TCP && a[i].proto != IPPROTO_UDP) ||
		    a[i].port == 0) {
			diag(NULL, 0, "nft: allow rule %zu is invalid", i);
			return -1;
		}
	}
	return 0;
}

/*
 * Kernels before 6.12 (4201f3938914, "set element timeout update support")
 * keep an existing element's timer when it is added again; those, and any
 * kernel we cannot tell, take the slower path that works everywhere.
 * SPA_NFT_NO_TIMER_UPDATE forces that path (for tests).
 */
static int
timer_update(void)
{
	struct utsname u;
	unsigned int major, minor;

	if (getenv("SPA_NFT_NO_TIMER_UPDATE") != NULL || uname(&u) == -1 ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 12);
}

struct nft *
nft_open(const char *table)
{
	struct nft *n;

	if (table == NULL || *table == '\0' || strlen(table) >= TABLE_MAX) {
		diag(NULL, 0, "nft: bad table name");
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		diag(NULL, 0, "nft: out of memory");
		return NULL;
	}
	memcpy(n->table, table, strlen(table) + 1);
	n->refresh = timer_update();
	if ((n->nl = nl_open()) == NULL) {
		diag(NULL, 0, "nft: netlink socket: %s", strerror(errno));
		nft_close(n);
		return NULL;
	}
	return n;
}

void
nft_close(struct nft *n)
{
	if (n == NULL)
		return;
	nl_close(n->nl);
	free(n);
}

int
nft_install(struct nft *n, uint16_t knock_port, const struct fw_allow *allow,
    size_t nallow)
{
	int err, s;

	if (allow_check(allow, nallow) == -1)
		return -1;
	/* add (so that delete cannot fail), delete, add: an atomic replace */
	if (nl_batch_begin(n->nl) == -1 ||
	    put_table(n, NFT_MSG_NEWTABLE, NLM_F_CREATE) == -1 ||
	    put_table(n, NFT_MSG_DELTABLE, 0) == -1 ||
	    put_table(n, NFT_MSG_NEWTABLE, NLM_F_CREATE) == -1)
		return oom(n);
	for (s = 0; s < SET_COUNT; s++)
		if (nft_set_put(n->nl, n->table, s) == -1)
			return oom(n);
	/* Knocks are read from the capture; the stack leaves them untracked
	 * (no connection tracking entry made and freed per packet) and the
	 * input chain drops them. Not dropped here: with bridge netfilter this
	 * hook runs before a capture on the bridge sees the packet. */
	if (put_chain(n, "knock", NF_INET_PRE_ROUTING, PRIO_RAW,
	    NF_ACCEPT) == -1 ||
	    put_rule(n, "knock", R_KNOCK, &knock_port) == -1 ||
	    put_chain(n, "output", NF_INET_LOCAL_OUT, 0, NF_ACCEPT) == -1 ||
	    put_rule(n, "output", R_NEW_NOT_SYN, NULL) == -1 ||
	    put_chain(n, "input", NF_INET_LOCAL_IN, 0, NF_DROP) == -1 ||
	    put_chain(n, "forward", NF_INET_FORWARD, 0, NF_DROP) == -1 ||
	    put_rules(n, "input", 1, allow, nallow) == -1 ||
	    put_rules(n, "forward", 0, allow, nallow) == -1)
		return oom(n);
	if ((err = nl_commit(n->nl)) != 0)
		return fail(n, "install", err);
	return 0;
}

int
nft_add(struct nft *n, const struct fw_elem *e, size_t count)
{
	int err, try;

	if (nft_set_check(e, count, 1) == -1)
		return -1;
	if (count == 0)
		return 0;
	for (try = 0; try < 3; try++) {
		if (nl_batch_begin(n->nl) == -1 ||
		    put_elems(n, NFT_MSG_NEWSETELEM, e, count) == -1)
			return oom(n);
		if ((err = nl_commit(n->nl)) != 0)
			return fail(n, "add", err);
		if (n->refresh)
			return 0;
		/* The kernel kept the old timers: now that all exist, delete
		 * and add them again in one batch. ENOENT: one expired in
		 * between; start over. */
		if (nl_batch_begin(n->nl) == -1 ||
		    put_elems(n, NFT_MSG_DELSETELEM, e, count) == -1 ||
		    put_elems(n, NFT_MSG_NEWSETELEM, e, count) == -1)
			return oom(n);
		if ((err = nl_commit(n->nl)) != ENOENT)
			return err != 0 ? fail(n, "refresh", err) : 0;
	}
	return fail(n, "refresh", ENOENT);
}

/* Mark in gone[] which of c[0..k) no longer exist: one GET each. */
static int
elems_gone(struct nft *n, const struct fw_elem *c, size_t k, uint8_t *gone)
{
	size_t i;

	nl_query_begin(n->nl);
	for (i = 0; i < k; i++)
		if (put_elems(n, NFT_MSG_GETSETELEM, &c[i], 1) == -1)
			return ENOMEM;
	return nl_query(n->nl, gone);	/* a single port each: one message */
}

/* Delete those of c[0..k) (single ports) that still exist. */
static int
del_present(struct nft *n, struct fw_elem *c, size_t k)
{
	uint8_t gone[DEL_CHUNK];
	size_t i, j;
	int err, try;

	for (try = 0; try < 3; try++) {
		if ((err = elems_gone(n, c, k, gone)) != 0)
			return fail(n, "delete", err);
		for (i = j = 0; i < k; i++)
			if (!gone[i])
				c[j++] = c[i];
		if ((k = j) == 0)
			return 0;
		if (nl_batch_begin(n->nl) == -1 ||
		    put_elems(n, NFT_MSG_DELSETELEM, c, k) == -1)
			return oom(n);
		/* ENOENT: one expired since we asked */
		if ((err = nl_commit(n->nl)) != ENOENT)
			return err != 0 ? fail(n, "delete", err) : 0;
	}
	return fail(n, "delete", ENOENT);
}

int
nft_del(struct nft *n, const struct fw_elem *e, size_t count)
{
	struct fw_elem c[DEL_CHUNK];
	uint32_t port;
	size_t i, k;
	int err;

	if (nft_set_check(e, count, 0) == -1)
		return -1;
	if (count == 0)
		return 0;
	if (nl_batch_begin(n->nl) == -1 ||
	    put_elems(n, NFT_MSG_DELSETELEM, e, count) == -1)
		return oom(n);
	if ((err = nl_commit(n->nl)) != ENOENT)
		return err != 0 ? fail(n, "delete", err) : 0;
	/*
	 * Some are gone (expired), and kernels before 6.3 have no
	 * DESTROYSETELEM. Deleting one per batch would cost an aborted
	 * transaction per missing element, far slower than a lookup: ask
	 * which remain, a chunk of single ports at a time, and delete those.
	 */
	for (i = 0, port = e[0].port_lo; i < count; ) {
		for (k = 0; k < DEL_CHUNK && i < count; k++) {
			c[k] = e[i];
			c[k].port_lo = c[k].port_hi = (uint16_t)port;
			if (++port > e[i].port_hi && ++i < count)
				port = e[i].port_lo;
		}
		if (del_present(n, c, k) == -1)
			return -1;
	}
	return 0;
}

int
nft_uninstall(struct nft *n)
{
	int err;

	if (nl_batch_begin(n->nl) == -1 ||
	    put_table(n, NFT_MSG_DELTABLE, 0) == -1)
		return oom(n);
	if ((err = nl_commit(n->nl)) != 0 && err != ENOENT)
		return fail(n, "uninstall", err);
	return 0;
}
