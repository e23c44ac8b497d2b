/* SPDX-License-Identifier: ISC */
#ifndef SPA_FW_H
#define SPA_FW_H

/*
 * The firewall as the engine sees it: add, delete and cut openings. The
 * backend is the privilege-separated one (privsep.c: fixed-size requests to
 * the privileged process, which holds the netlink socket); tests plug in
 * their own. The types here are the whole vocabulary between the engine, the
 * configuration and the nftables backend (nft.h), so none of them needs
 * another's header for it.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* One opening: src may reach (dst, or the gateway itself when dst.family is
 * 0) on proto and every port in [port_lo, port_hi]. */
struct fw_elem {
	struct spa_addr src;
	struct spa_addr dst;
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint32_t timeout_ms;		/* for nft_add */
};

/* One entry of the operator's allow-list ([firewall] allow in gateway.ini),
 * accepted before any opening is looked up. */
struct fw_allow {
	struct spa_addr addr;
	uint8_t plen;			/* prefix length */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
};

/* A backend: add and del return 0 or -1; kill returns the number of
 * connections cut, or -1. */
struct fw_ops {
	int (*add)(void *ctx, const struct fw_elem *e, size_t n);
	int (*del)(void *ctx, const struct fw_elem *e, size_t n);
	long (*kill)(void *ctx, const struct fw_elem *e, size_t n);
};

struct fw {
	const struct fw_ops *ops;
	void *ctx;
};

#endif
