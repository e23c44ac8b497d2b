/* SPDX-License-Identifier: ISC */
/* Cutting established connections of revoked openings through ctnetlink. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "conntrack.h"
#include "diag.h"

struct tuple {
	struct spa_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
};

struct dump {
	const struct fw_elem *e;
	size_t n;
	struct tuple *hit;
	size_t nhit, cap;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= CTA_MAX && type >= 0)	/* all nested types share this bound */
		tb[type] = a;
	return MNL_CB_OK;
}

static int
parse_tuple(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct nlattr *ip[CTA_MAX + 1] = { 0 };
	const struct nlattr *pr[CTA_MAX + 1] = { 0 };

	memset(t, 0, sizeof(*t));
	if (mnl_attr_parse_nested(nest, attr_cb, tb) < 0 || !tb[CTA_TUPLE_IP] ||
	    !tb[CTA_TUPLE_PROTO] ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_IP], attr_cb, ip) < 0 ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], attr_cb, pr) < 0)
		return -1;
	if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST] &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) == 4 &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) == 4) {
		t->src.family = t->dst.family = 4;
		memcpy(t->src.bytes, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
		memcpy(t->dst.bytes, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
	} else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST] &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) == 16 &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16) {
		t->src.family = t->dst.family = 6;
		memcpy(t->src.bytes, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
		memcpy(t->dst.bytes, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	} else {
		return -1;
	}
	if (!pr[CTA_PROTO_NUM] || !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT])
		return -1;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	t->sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
	t->dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
	return 0;
}

static int
matches(const struct tuple *t, const struct fw_elem *e)
{
	return addr_eq(&t->src, &e->src) && t->proto == e->proto &&
	    t->dport >= e->port_lo && t->dport <= e->port_hi &&
	    (e->dst.family == 0 || addr_eq(&t->dst, &e->dst));
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct dump *d = data;
	struct tuple t;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 ||
	    !tb[CTA_TUPLE_ORIG] || parse_tuple(tb[CTA_TUPLE_ORIG], &t) != 0)
		return MNL_CB_OK;
	for (size_t i = 0; i < d->n; i++) {
		if (!matches(&t, &d->e[i]))
			continue;
		if (d->nhit == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 16;
			struct tuple *v = realloc(d->hit, cap * sizeof(*v));
			if (v == NULL)
				return MNL_CB_ERROR;
			d->hit = v;
			d->cap = cap;
		}
		d->hit[d->nhit++] = t;
		break;
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *
start_msg(char *buf, int type, int flags, uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	/* Attribute padding is never written: send zeros, not stack garbage. */
	memset(buf, 0, 1024);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void
put_tuple(struct nlmsghdr *nlh, const struct tuple *t)
{
	struct nlattr *orig = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *pr;

	if (t->src.family == 4) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, t->src.bytes);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, t->dst.bytes);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src.bytes);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst.bytes);
	}
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, orig);
}

/* Run one request and read answers until done; 0 or -1 (errno set). */
static int
talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t r;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while ((r = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)r, nlh->nlmsg_seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret == MNL_CB_STOP ? 0 : -1;
	}
	return -1;
}

long
conntrack_kill(const struct fw_elem *e, size_t n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dump d = { .e = e, .n = n };
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	long killed = 0;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		diag(NULL, 0, "conntrack: netlink: %s", strerror(errno));
		killed = -1;
		goto out;
	}
	if (talk(nl, start_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, seq),
	    dump_cb, &d) != 0) {
		diag(NULL, 0, "conntrack: dump: %s", strerror(errno));
		killed = -1;
		goto out;
	}
	for (size_t i = 0; i < d.nhit; i++) {
		struct nlmsghdr *nlh = start_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
		    d.hit[i].src.family == 4 ? AF_INET : AF_INET6, ++seq);

		put_tuple(nlh, &d.hit[i]);
		/* Gone meanwhile (closed, or timed out) is fine. */
		if (talk(nl, nlh, NULL, NULL) == 0)
			killed++;
		else if (errno != ENOENT)
			diag(NULL, 0, "conntrack: delete: %s", strerror(errno));
	}
out:
	free(d.hit);
	if (nl != NULL)
		mnl_socket_close(nl);
	return killed;
}
