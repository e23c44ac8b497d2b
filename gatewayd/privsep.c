#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conntrack.h"
#include "diag.h"
#include "privsep.h"

#define HDR_LEN offsetof(struct priv_req, e)

static int
zero_after(const uint8_t *b, size_t from)
{
	for (size_t i = from; i < 16; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int
valid_elem(const struct fw_elem *e, uint32_t op)
{
	if ((e->src.family != 4 && e->src.family != 6) ||
	    !zero_after(e->src.bytes, e->src.family == 4 ? 4 : 16))
		return 0;
	if (e->dst.family != 0 && (e->dst.family != e->src.family ||
	    !zero_after(e->dst.bytes, e->dst.family == 4 ? 4 : 16)))
		return 0;
	if (e->dst.family == 0 && !zero_after(e->dst.bytes, 0))
		return 0;
	if (e->proto != 6 && e->proto != 17)
		return 0;
	if (e->port_lo == 0 || e->port_lo > e->port_hi ||
	    e->port_hi - e->port_lo >= 1024)
		return 0;
	if (op == PRIV_ADD && (e->timeout_ms == 0 || e->timeout_ms > 86400000u))
		return 0;
	return 1;
}

int
privsep_validate(const struct priv_req *r, size_t len)
{
	if (len < HDR_LEN || (r->op != PRIV_ADD && r->op != PRIV_DEL &&
	    r->op != PRIV_KILL) || r->n == 0 || r->n > PRIV_MAX_ELEMS ||
	    len != HDR_LEN + (size_t)r->n * sizeof(struct fw_elem))
		return -1;
	for (uint32_t i = 0; i < r->n; i++)
		if (!valid_elem(&r->e[i], r->op))
			return -1;
	return 0;
}

int
privsep_serve(int fd, struct nft *nft)
{
	static struct priv_req req;	/* large: not on the stack */
	struct priv_rep rep;
	ssize_t len;

	for (;;) {
		len = recv(fd, &req, sizeof(req), 0);
		if (len == 0)
			return 0;		/* the engine is gone */
		if (len < 0) {
			if (errno == EINTR)
				continue;
			diag(NULL, 0, "privsep: recv: %s", strerror(errno));
			return -1;
		}
		memset(&rep, 0, sizeof(rep));
		if (privsep_validate(&req, (size_t)len) != 0) {
			diag(NULL, 0, "privsep: refused a malformed request");
			rep.status = -1;
		} else if (req.op == PRIV_ADD) {
			rep.status = nft_add(nft, req.e, req.n);
		} else if (req.op == PRIV_DEL) {
			rep.status = nft_del(nft, req.e, req.n);
		} else {
			long k = conntrack_kill(req.e, req.n);
			rep.status = k < 0 ? -1 : 0;
			rep.count = k < 0 ? 0 : (int32_t)k;
		}
		if (send(fd, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			return -1;
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
