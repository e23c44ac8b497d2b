#ifndef SPA_FW_H
#define SPA_FW_H

/*
 * The firewall as the engine sees it: add, delete and cut openings. The
 * backend is the privilege-separated one (privsep.c: fixed-size requests to
 * the privileged process, which holds the netlink socket); tests plug in
 * their own.
 */

#include <stddef.h>

#include "nft.h"

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
