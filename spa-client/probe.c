/* SPDX-License-Identifier: ISC */
/* Fast connect retries after a knock (see probe.h). */
/*
 * Never prints; reports through diag() into the per-thread error detail.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client_int.h"
#include "diag.h"
#include "probe.h"
#include "spa.h"
#include "util.h"

#define PROBE_FAST_TRIES 16		/* one SYN per ms for the first 16 ms */
#define PROBE_MAX_INTERVAL_MS 100
#define PROBE_MAX_INFLIGHT 32		/* the oldest attempt is dropped past this */

int
probe_resolve(const struct spa_client *c, const char *host, uint16_t port,
    struct probe_target *t)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char portstr[8];
	int err, family = AF_UNSPEC;

	memset(t, 0, sizeof(*t));
	if (host == NULL || *host == '\0' || port == 0) {
		diag(NULL, 0, "resource: a host and a port from 1 to 65535 are needed");
		return SPA_ERR_ARG;
	}
	snprintf(t->text, sizeof(t->text), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
	    host, (unsigned)port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	err = getaddrinfo(host, portstr, &hints, &res);
	if (err != 0 || res == NULL) {
		diag(NULL, 0, "cannot resolve resource host '%s': %s", host,
		    err ? gai_strerror(err) : "no address");
		if (res)
			freeaddrinfo(res);
		return SPA_ERR_HOST;
	}
	for (ai = res; ai != NULL && family == AF_UNSPEC; ai = ai->ai_next)
		if (c != NULL && client_has_family(c, ai->ai_family))
			family = ai->ai_family;
	for (ai = res; ai != NULL && family == AF_UNSPEC; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			family = ai->ai_family;
	for (ai = res; ai != NULL && t->n < PROBE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != family || ai->ai_addrlen > sizeof(t->sa[0]))
			continue;
		memcpy(&t->sa[t->n], ai->ai_addr, ai->ai_addrlen);
		t->salen[t->n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (t->n == 0) {
		diag(NULL, 0, "resource host '%s' has no IPv4 or IPv6 address", host);
		return SPA_ERR_HOST;
	}
	return SPA_OK;
}

int
probe_parse(const struct spa_client *c, const char *hostport,
    struct probe_target *t)
{
	char host[256];
	const char *colon, *start = hostport;
	uint64_t port;
	size_t hlen;

	if (hostport == NULL)
		return SPA_ERR_ARG;
	colon = strrchr(hostport, ':');
	if (hostport[0] == '[') {
		start++;
		if (colon == NULL || colon == start || colon[-1] != ']')
			goto bad;
		hlen = (size_t)(colon - 1 - start);
	} else {
		if (colon == NULL || strchr(hostport, ':') != colon)
			goto bad;	/* none, or a bare IPv6 address */
		hlen = (size_t)(colon - start);
	}
	if (hlen == 0 || hlen >= sizeof(host) ||
	    util_parse_u64(colon + 1, 1, 65535, &port) != 0)
		goto bad;
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	return probe_resolve(c, host, (uint16_t)port, t);
bad:
	diag(NULL, 0, "bad resource address '%s' (HOST:PORT or [V6]:PORT)",
	    hostport);
	return SPA_ERR_ARG;
}

/* An errno from connect: which spa_err ends attempts at this address
 * (SPA_OK: keep trying). */
static int
classify(int e)
{
	switch (e) {
	case EINPROGRESS: case EINTR: case EAGAIN: case ETIMEDOUT:
		return SPA_OK;
	case ECONNREFUSED: case ECONNRESET:
		return SPA_ERR_REFUSED;
	case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case EHOSTDOWN:
	case EADDRNOTAVAIL: case EAFNOSUPPORT:
		return SPA_ERR_NOROUTE;
	default:
		return SPA_ERR_CONNECT;
	}
}

struct attempt {
	int fd;
	int addr;
};

struct probe {
	const struct probe_target *t;
	struct attempt fl[PROBE_MAX_INFLIGHT];
	int nfl;
	int dead[PROBE_MAX_ADDRS];	/* the spa_err that ended an address */
	int ndead;
	int last_errno;
};

static void
drop(struct probe *p, int i)
{
	close(p->fl[i].fd);
	memmove(&p->fl[i], &p->fl[i + 1], (size_t)(p->nfl - i - 1) * sizeof(p->fl[0]));
	p->nfl--;
}

static void
mark_dead(struct probe *p, int addr, int e)
{
	int kind = classify(e);

	if (kind == SPA_OK || p->dead[addr] != SPA_OK)
		return;
	p->dead[addr] = kind;
	p->ndead++;
	p->last_errno = e;
}

/* One new attempt at each live address; 1 and *fd when one connected at once. */
static int
launch(struct probe *p, int *fd)
{
	for (int a = 0; a < p->t->n; a++) {
		int s;

		if (p->dead[a] != SPA_OK)
			continue;
		s = socket(p->t->sa[a].ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s < 0) {
			p->last_errno = errno;
			continue;
		}
		if (connect(s, (const struct sockaddr *)&p->t->sa[a],
		    p->t->salen[a]) == 0) {
			*fd = s;
			return 1;
		}
		if (classify(errno) != SPA_OK) {
			mark_dead(p, a, errno);
			close(s);
			continue;
		}
		if (p->nfl == PROBE_MAX_INFLIGHT)
			drop(p, 0);
		p->fl[p->nfl].fd = s;
		p->fl[p->nfl++].addr = a;
	}
	return 0;
}

/* Poll the attempts in flight; 1 and *fd when one connected. */
static int
reap(struct probe *p, int wait_ms, int *fd)
{
	struct pollfd pfd[PROBE_MAX_INFLIGHT];
	int n, e;
	socklen_t elen;

	for (int i = 0; i < p->nfl; i++) {
		pfd[i].fd = p->fl[i].fd;
		pfd[i].events = POLLOUT;
		pfd[i].revents = 0;
	}
	n = poll(pfd, (nfds_t)p->nfl, wait_ms);
	if (n <= 0)
		return 0;
	for (int i = p->nfl - 1; i >= 0; i--) {
		if (pfd[i].revents == 0)
			continue;
		e = 0;
		elen = sizeof(e);
		if (getsockopt(p->fl[i].fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
			e = errno;
		if (e == 0 && !(pfd[i].revents & (POLLERR | POLLHUP))) {
			*fd = p->fl[i].fd;
			p->fl[i].fd = -1;
			memmove(&p->fl[i], &p->fl[i + 1],
			    (size_t)(p->nfl - i - 1) * sizeof(p->fl[0]));
			p->nfl--;
			return 1;
		}
		mark_dead(p, p->fl[i].addr, e);
		drop(p, i);
	}
	return 0;
}

static int
finish(struct probe *p, int fd, int *out)
{
	int err = SPA_ERR_TIMEOUT, flags;

	while (p->nfl > 0)
		drop(p, p->nfl - 1);
	if (fd >= 0) {
		flags = fcntl(fd, F_GETFL);
		if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) {
			*out = fd;
			return SPA_OK;
		}
		p->last_errno = errno;
		close(fd);
		diag(NULL, 0, "%s: fcntl: %s", p->t->text, strerror(p->last_errno));
		return SPA_ERR_CONNECT;
	}
	if (p->ndead == p->t->n) {
		err = SPA_ERR_CONNECT;
		for (int a = 0; a < p->t->n; a++)
			if (p->dead[a] == SPA_ERR_NOROUTE && err == SPA_ERR_CONNECT)
				err = SPA_ERR_NOROUTE;
		for (int a = 0; a < p->t->n; a++)
			if (p->dead[a] == SPA_ERR_REFUSED)
				err = SPA_ERR_REFUSED;
		diag(NULL, 0, "%s: %s", p->t->text, strerror(p->last_errno));
	}
	return err;
}

int
probe_connect(const struct probe_target *t, uint64_t deadline_ms,
    unsigned timeout_ms, int *out)
{
	struct probe p;
	uint64_t now, next = 0, interval = 1, until;
	int tries = 0, fd = -1;

	memset(&p, 0, sizeof(p));
	p.t = t;
	*out = -1;
	for (;;) {
		now = util_mono_ms();
		if (now >= next && p.ndead < t->n) {
			if (launch(&p, &fd))
				return finish(&p, fd, out);
			if (++tries >= PROBE_FAST_TRIES)
				interval = interval * 2 > PROBE_MAX_INTERVAL_MS ?
				    PROBE_MAX_INTERVAL_MS : interval * 2;
			next = now + interval;
		}
		if (p.ndead == t->n && p.nfl == 0)
			return finish(&p, -1, out);
		if (now >= deadline_ms)
			break;
		until = p.ndead < t->n && next < deadline_ms ? next : deadline_ms;
		if (reap(&p, (int)(until > now ? until - now : 0), &fd))
			return finish(&p, fd, out);
	}
	finish(&p, -1, out);
	diag(NULL, 0, "%s did not answer within %llu ms of the knock (knock "
	    "refused or lost, agent not entitled, or the resource is down)",
	    t->text, (unsigned long long)timeout_ms);
	return SPA_ERR_TIMEOUT;
}
