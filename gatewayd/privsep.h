/* SPDX-License-Identifier: ISC */
#ifndef SPA_PRIVSEP_H
#define SPA_PRIVSEP_H

/*
 * Privilege separation. After setup the daemon forks:
 *   - the privileged process keeps only CAP_NET_ADMIN and the netlink socket,
 *     and serves fixed-size requests (add, delete, cut openings) from
 *   - the engine, which handles every hostile byte (capture, parsing,
 *     verification, policy, control socket) as an unprivileged user with no
 *     capabilities at all.
 * A request is validated in full before anything reaches the kernel. The
 * engine sends only requests it built, so a malformed one means it is no
 * longer the engine we started: the privileged side stops serving (as
 * OpenBSD ntpd's parent does on a bad imsg), and the table stays, so the host
 * stays dark.
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

/*
 * The bounds a request must meet, all of them, or none of it is applied:
 *   length at least the 8-byte header and exactly header + n elements;
 *   op PRIV_ADD, PRIV_DEL or PRIV_KILL; n from 1 to PRIV_MAX_ELEMS;
 * and in each element:
 *   src family 4 or 6, with zero bytes after an IPv4 address;
 *   dst family 0 with all 16 bytes zero, or src's family (zero after IPv4);
 *   proto 6 or 17; 1 <= port_lo <= port_hi, at most 1024 ports in all;
 *   for PRIV_ADD, timeout_ms from 1 to 86400000 (DEL and KILL ignore it).
 */

/* 0 if a request of len bytes is well-formed in every field; else -1, with
 * the check that failed written to why (whylen bytes; why may be NULL). */
int privsep_validate(const struct priv_req *r, size_t len, char *why,
    size_t whylen);

struct nft;

/* The privileged side: serve requests on fd. 0 when the engine goes away;
 * -1, with no reply and after one diag(), on a malformed request (one longer
 * than struct priv_req too; a sane engine never sends one) or a socket
 * error. */
int privsep_serve(int fd, struct nft *nft);

/* The engine side: fw backend sending requests on fd. */
void privsep_client(struct fw *fw, int *fd);

/* Engine: become user (if root) and drop every capability for good. */
int privsep_drop_engine(const char *user);

/* Privileged side: keep CAP_NET_ADMIN only. */
int privsep_drop_parent(void);

#endif
