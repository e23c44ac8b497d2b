#ifndef SPA_PRIVSEP_H
#define SPA_PRIVSEP_H

/*
 * Privilege separation. After setup the daemon forks:
 *   - the privileged process keeps only CAP_NET_ADMIN and the netlink socket,
 *     and serves fixed-size requests (add, delete, cut openings) from
 *   - the engine, which handles every hostile byte (capture, parsing,
 *     verification, policy, control socket) as an unprivileged user with no
 *     capabilities at all.
 * A request is validated in full before anything reaches the kernel.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fw.h"

#define PRIV_MAX_ELEMS 1024

enum priv_op { PRIV_ADD = 1, PRIV_DEL = 2, PRIV_KILL = 3 };

struct priv_req {
	uint32_t op;
	uint32_t n;
	struct fw_elem e[PRIV_MAX_ELEMS];
};

struct priv_rep {
	int32_t status;			/* 0, or -1 */
	int32_t count;			/* PRIV_KILL: connections cut */
};

/* 0 if a request of len bytes is well-formed in every field, else -1. */
int privsep_validate(const struct priv_req *r, size_t len);

/* The privileged side: serve requests on fd until the engine goes away. */
int privsep_serve(int fd, struct nft *nft);

/* The engine side: fw backend sending requests on fd. */
void privsep_client(struct fw *fw, int *fd);

/* Engine: become user (if root) and drop every capability for good. */
int privsep_drop_engine(const char *user);

/* Privileged side: keep CAP_NET_ADMIN only. */
int privsep_drop_parent(void);

#endif
