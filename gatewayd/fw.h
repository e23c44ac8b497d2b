#ifndef SPA_FW_H
#define SPA_FW_H

/*
 * The firewall as the engine sees it: add, delete and cut openings. Two
 * backends: direct (netlink from this process: nft + conntrack) and the
 * privilege-separated one (fixed-size requests to the privileged process).
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

/* The direct backend over an open nft handle. */
void fw_direct(struct fw *fw, struct nft *nft);

#endif
