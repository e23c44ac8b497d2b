/* SPDX-License-Identifier: ISC */
/* Netlink to nf_tables: a socket, a message buffer, batches and ACKs. */

#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "nl.h"

#define ACK_WAIT_MS	5000
#define ACK_TRUESIZE	2048		/* receive buffer per ACK, generously */
#define SOCKBUF_MIN	(256 * 1024)

struct nl {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	int sndbuf, rcvbuf;	/* socket buffer sizes set */
	char *buf;		/* the batch being built */
	size_t len, cap, open;	/* open: offset of the unfinished message */
	uint32_t first, last;	/* sequence numbers of BEGIN, last message */
	uint16_t errtype;	/* type of the message the kernel refused */
	uint8_t *gone;		/* GET answers: 1 for ENOENT */
	_Alignas(struct nlmsghdr) char rbuf[8192];
};

static int
reserve(struct nl *l)
{
	char *p;
	size_t cap;

	if (l->cap - l->len >= NL_MSG_ROOM)
		return 0;
	cap = l->cap ? l->cap * 2 : 4 * NL_MSG_ROOM;
	if (cap > INT_MAX || (p = realloc(l->buf, cap)) == NULL)
		return -1;
	/* Attribute padding is never written: send zeros, not heap garbage. */
	memset(p + l->cap, 0, cap - l->cap);
	l->buf = p;
	l->cap = cap;
	return 0;
}

static void
msg_close(struct nl *l)
{
	const struct nlmsghdr *nlh;

	if (l->open == SIZE_MAX)
		return;
	nlh = (const struct nlmsghdr *)(l->buf + l->open);
	l->len = l->open + NLMSG_ALIGN(nlh->nlmsg_len);
	l->open = SIZE_MAX;
}

struct nl *
nl_open(void)
{
	struct nl *l;
	int one = 1, err;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->open = SIZE_MAX;
	if ((l->sock = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(l->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		err = errno;
		nl_close(l);
		errno = err;
		return NULL;
	}
	l->portid = mnl_socket_get_portid(l->sock);
	l->seq = (uint32_t)time(NULL);
	/* error ACKs without a copy of the (maybe large) message */
	(void)mnl_socket_setsockopt(l->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return l;
}

void
nl_close(struct nl *l)
{
	if (l == NULL)
		return;
	if (l->sock != NULL)
		mnl_socket_close(l->sock);
	free(l->buf);
	free(l);
}

int
nl_batch_begin(struct nl *l)
{
	struct nlmsghdr *nlh;

	l->len = 0;
	l->open = SIZE_MAX;
	if (reserve(l) == -1)
		return -1;
	l->first = l->last = ++l->seq;
	nlh = nftnl_batch_begin(l->buf, l->seq);
	l->len = NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* first is taken as if for a BEGIN, so that message i has seq first + 1 + i. */
void
nl_query_begin(struct nl *l)
{
	l->len = 0;
	l->open = SIZE_MAX;
	l->first = l->last = ++l->seq;
	l->errtype = 0;
}

struct nlmsghdr *
nl_msg(struct nl *l, uint16_t type, uint16_t family, uint16_t flags)
{
	msg_close(l);
	if (reserve(l) == -1)
		return NULL;
	l->open = l->len;
	l->last = ++l->seq;
	return nftnl_nlmsg_build_hdr(l->buf + l->len, type, family,
	    flags | NLM_F_ACK, l->seq);
}

/* Best effort: if it fails, the send or the ACKs report why. */
static void
sockbuf(struct nl *l, int opt, int force, size_t want, int *cur)
{
	int fd = mnl_socket_get_fd(l->sock), v;

	want = want < SOCKBUF_MIN ? SOCKBUF_MIN : want;
	if (want <= (size_t)*cur)
		return;
	v = want > INT_MAX / 2 ? INT_MAX / 2 : (int)want;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) == 0 ||
	    setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) == 0)
		*cur = v;
}

/* Note the first error among the ACKs in rbuf; 1 once the last is in. */
static int
acks_parse(struct nl *l, int len, int *err)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)l->rbuf;
	const struct nlmsgerr *e;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_pid != l->portid || nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_seq - l->first > l->last - l->first)
			continue;
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
			*err = *err ? *err : EBADMSG;
			continue;
		}
		e = mnl_nlmsg_get_payload(nlh);
		if (l->gone != NULL && e->error == -ENOENT &&
		    nlh->nlmsg_seq != l->first)
			l->gone[nlh->nlmsg_seq - l->first - 1] = 1;
		else if (e->error != 0 && *err == 0) {
			*err = -e->error;
			l->errtype = e->msg.nlmsg_type;
		}
		if (nlh->nlmsg_seq == l->last)
			return 1;
	}
	return 0;
}

/*
 * The kernel runs a batch inside sendmsg, so its ACKs are queued by now.
 * After an error only drain what is there: an error on BEGIN (the commit
 * failed, or no memory) may come without the others.
 */
static int
acks_read(struct nl *l)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(l->sock), .events = POLLIN };
	uint32_t i, budget = 2 * (l->last - l->first) + 16;	/* GET: 2 each */
	ssize_t len;
	int err = 0, r;

	for (i = 0; i < budget; i++) {
		if ((r = poll(&p, 1, err ? 0 : ACK_WAIT_MS)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return err ? err : r == 0 ? ETIMEDOUT : errno;
		if ((len = recv(p.fd, l->rbuf, sizeof(l->rbuf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return err ? err : errno;
		}
		if (acks_parse(l, (int)len, &err))
			return err;
	}
	return err ? err : ETIMEDOUT;
}

/* Send what is built and read acks ACKs: 0, or the first error (an errno). */
static int
exchange(struct nl *l, size_t acks)
{
	sockbuf(l, SO_SNDBUF, SO_SNDBUFFORCE, l->len + 4096, &l->sndbuf);
	sockbuf(l, SO_RCVBUF, SO_RCVBUFFORCE, acks * ACK_TRUESIZE, &l->rcvbuf);
	if (mnl_socket_sendto(l->sock, l->buf, l->len) < 0)
		return errno;
	return acks_read(l);
}

int
nl_commit(struct nl *l)
{
	struct nlmsghdr *nlh;

	msg_close(l);
	l->errtype = 0;
	if (l->last == l->first)
		return 0;
	if (reserve(l) == -1)
		return ENOMEM;
	nlh = nftnl_batch_end(l->buf + l->len, ++l->seq);
	l->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return exchange(l, l->last - l->first + 1);
}

int
nl_query(struct nl *l, uint8_t *gone)
{
	size_t k = l->last - l->first;
	int err;

	msg_close(l);
	memset(gone, 0, k);
	l->gone = gone;
	err = exchange(l, 2 * k);	/* an answer and an ACK each */
	l->gone = NULL;
	return err;
}

uint16_t
nl_errtype(const struct nl *l)
{
	return l->errtype;
}
