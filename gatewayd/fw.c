#include "conntrack.h"
#include "fw.h"

static int
direct_add(void *ctx, const struct fw_elem *e, size_t n)
{
	return nft_add(ctx, e, n);
}

static int
direct_del(void *ctx, const struct fw_elem *e, size_t n)
{
	return nft_del(ctx, e, n);
}

static long
direct_kill(void *ctx, const struct fw_elem *e, size_t n)
{
	(void)ctx;
	return conntrack_kill(e, n);
}

static const struct fw_ops direct_ops = { direct_add, direct_del, direct_kill };

void
fw_direct(struct fw *fw, struct nft *nft)
{
	fw->ops = &direct_ops;
	fw->ctx = nft;
}
