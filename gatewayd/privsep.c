/* SPDX-License-Identifier: ISC */
/* Privilege separation: the privileged side, its requests, the drops. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conntrack.h"
#include "diag.h"
#include "nft.h"
#include "privsep.h"

#define HDR_LEN offsetof(struct priv_req, e)
#define MAX_PORTS 1024			/* in one element's range */
#define MAX_TIMEOUT_MS 86400000u

/* Write the failed check to why; always -1. */
static int __attribute__((format(printf, 3, 4)))
refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The first nonzero byte of an address at or after from, or 16 if none. */
static size_t
nonzero_from(const uint8_t *b, size_t from)
{
	while (from < 16 && b[from] == 0)
		from++;
	return from;
}

/* The bytes an address of family uses: the rest must be zero. */
static size_t
addr_len(unsigned family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static int
valid_elem(const struct fw_elem *e, uint32_t op, uint32_t i, char *why,
    size_t whylen)
{
	unsigned sf = e->src.family, df = e->dst.family;
	size_t z;

	if (sf != 4 && sf != 6)
		return refuse(why, whylen, "element %u: src family %u", i, sf);
	if ((z = nonzero_from(e->src.bytes, addr_len(sf))) < 16)
		return refuse(why, whylen, "element %u: src byte %zu not zero "
		    "after an IPv4 address", i, z);
	if (df != 0 && df != sf)
		return refuse(why, whylen, "element %u: dst family %u with src "
		    "family %u", i, df, sf);
	if ((z = nonzero_from(e->dst.bytes, addr_len(df))) < 16)
		return refuse(why, whylen, "element %u: dst byte %zu not zero "
		    "%s", i, z, df == 0 ? "with dst family 0" :
		    "after an IPv4 address");
	if (e->proto != 6 && e->proto != 17)
		return refuse(why, whylen, "element %u: proto %u", i, e->proto);
	if (e->port_lo == 0)
		return refuse(why, whylen, "element %u: port_lo 0", i);
	if (e->port_lo > e->port_hi)
		return refuse(why, whylen, "element %u: port_lo %u > "
		    "port_hi %u", i, e->port_lo, e->port_hi);
	if (e->port_hi - e->port_lo >= MAX_PORTS)
		return refuse(why, whylen, "element %u: ports %u-%u, more "
		    "than %d", i, e->port_lo, e->port_hi, MAX_PORTS);
	if (op == PRIV_ADD && (e->timeout_ms == 0 ||
	    e->timeout_ms > MAX_TIMEOUT_MS))
		return refuse(why, whylen, "element %u: timeout_ms %u not in "
		    "1..%u", i, e->timeout_ms, MAX_TIMEOUT_MS);
	return 0;
}

int
privsep_validate(const struct priv_req *r, size_t len, char *why, size_t whylen)
{
	size_t want;

	if (len < HDR_LEN)
		return refuse(why, whylen, "length %zu, shorter than the "
		    "%zu-byte header", len, HDR_LEN);
	if (r->op != PRIV_ADD && r->op != PRIV_DEL && r->op != PRIV_KILL)
		return refuse(why, whylen, "op %u", r->op);
	if (r->n == 0 || r->n > PRIV_MAX_ELEMS)
		return refuse(why, whylen, "count %u not in 1..%d", r->n,
		    PRIV_MAX_ELEMS);
	want = HDR_LEN + (size_t)r->n * sizeof(r->e[0]);
	if (len != want)
		return refuse(why, whylen, "length %zu, not %zu for %u "
		    "elements", len, want, r->n);
	for (uint32_t i = 0; i < r->n; i++)
		if (valid_elem(&r->e[i], r->op, i, why, whylen) != 0)
			return -1;
	return 0;
}

int
privsep_serve(int fd, struct nft *nft)
{
	static struct priv_req req;	/* large: not on the stack */
	struct priv_rep rep;
	char why[128];
	ssize_t len;

	for (;;) {
		/* MSG_TRUNC: the datagram's real length, so that one longer
		 * than req is refused, not read as its first sizeof(req)
		 * bytes. */
		len = recv(fd, &req, sizeof(req), MSG_TRUNC);
		if (len == 0)
			return 0;		/* the engine is gone */
		if (len < 0) {
			if (errno == EINTR)
				continue;
			diag(NULL, 0, "privsep: recv: %s", strerror(errno));
			return -1;
		}
		/* Stop without a reply: what the engine sent shows it is not
		 * the engine we started, and nothing more of it is trusted. */
		if (privsep_validate(&req, (size_t)len, why,
		    sizeof(why)) != 0) {
			diag(NULL, 0, "privsep: malformed request from the "
			    "engine (%zd bytes): %s; stopping", len, why);
			return -1;
		}
		memset(&rep, 0, sizeof(rep));
		if (req.op == PRIV_ADD) {
			rep.status = nft_add(nft, req.e, req.n);
		} else if (req.op == PRIV_DEL) {
			rep.status = nft_del(nft, req.e, req.n);
		} else {
			long k = conntrack_kill(req.e, req.n);
			rep.status = k < 0 ? -1 : 0;
			rep.count = k < 0 ? 0 : (int32_t)k;
		}
		if (send(fd, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep)) {
			diag(NULL, 0, "privsep: send: %s", strerror(errno));
			return -1;
		}
	}
}

/* One round trip per chunk of PRIV_MAX_ELEMS; -1 on any failure. */
static long
call(int fd, uint32_t op, const struct fw_elem *e, size_t n)
{
	static struct priv_req req;
	struct priv_rep rep;
	long total = 0;

	while (n > 0) {
		size_t k = n < PRIV_MAX_ELEMS ? n : PRIV_MAX_ELEMS;
		size_t len = HDR_LEN + k * sizeof(*e);

		req.op = op;
		req.n = (uint32_t)k;
		memcpy(req.e, e, k * sizeof(*e));
		if (send(fd, &req, len, MSG_NOSIGNAL) != (ssize_t)len ||
		    recv(fd, &rep, sizeof(rep), 0) != sizeof(rep)) {
			diag(NULL, 0, "privsep: the privileged process is gone");
			return -1;
		}
		if (rep.status != 0)
			return -1;
		total += rep.count;
		e += k;
		n -= k;
	}
	return total;
}

static int
client_add(void *ctx, const struct fw_elem *e, size_t n)
{
	return call(*(int *)ctx, PRIV_ADD, e, n) < 0 ? -1 : 0;
}

static int
client_del(void *ctx, const struct fw_elem *e, size_t n)
{
	return call(*(int *)ctx, PRIV_DEL, e, n) < 0 ? -1 : 0;
}

static long
client_kill(void *ctx, const struct fw_elem *e, size_t n)
{
	return call(*(int *)ctx, PRIV_KILL, e, n);
}

static const struct fw_ops client_ops = { client_add, client_del, client_kill };

void
privsep_client(struct fw *fw, int *fd)
{
	fw->ops = &client_ops;
	fw->ctx = fd;
}

/* Set effective and permitted capabilities to keep (a CAP_* bit mask). */
static int
caps_set(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

/* Drop from the bounding set every capability not in keep (needs
 * CAP_SETPCAP; without it the set is already what the manager gave). */
static void
bound(uint64_t keep)
{
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (!(keep & (1ULL << c)))
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
}

/* No core dumps or ptrace of the engine: it holds the gateway's key. (Not in
 * sanitizer builds: LeakSanitizer needs to trace its own threads.) */
static int
set_undumpable(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int
privsep_drop_engine(const char *user)
{
	struct passwd *pw;

	bound(0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (geteuid() == 0) {
		pw = getpwnam(user && *user ? user : "nobody");
		if (pw == NULL || pw->pw_uid == 0) {
			diag(NULL, 0, "privsep: no unprivileged user '%s'",
			    user && *user ? user : "nobody");
			return -1;
		}
		if (setgroups(1, &pw->pw_gid) != 0 || setresgid(pw->pw_gid,
		    pw->pw_gid, pw->pw_gid) != 0 || setresuid(pw->pw_uid,
		    pw->pw_uid, pw->pw_uid) != 0) {
			diag(NULL, 0, "privsep: cannot become %s: %s", pw->pw_name,
			    strerror(errno));
			return -1;
		}
	}
	if (caps_set(0) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    set_undumpable() != 0) {
		diag(NULL, 0, "privsep: cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
privsep_drop_parent(void)
{
	uint64_t keep = 1ULL << CAP_NET_ADMIN;

	bound(keep);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_set(keep) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		diag(NULL, 0, "privsep: cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}
