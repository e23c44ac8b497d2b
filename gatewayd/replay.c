#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "diag.h"
#include "replay.h"
#include "util.h"

struct slot {
	uint64_t a, b;			/* first 16 bytes of the nonce */
	uint64_t expire_ms;		/* 0: empty */
};

struct replay {
	int fd;				/* state file: newest accepted time */
	uint64_t floor_ms;
	uint64_t newest_ms;
	uint32_t window_ms;
	struct slot *slot;
	uint64_t cap, count;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static uint64_t
hash(const struct replay *r, const uint8_t *nonce)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, nonce, 16, r->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void
put(struct slot *tab, uint64_t cap, uint64_t h, const struct slot *s)
{
	uint64_t i = h & (cap - 1);

	while (tab[i].expire_ms != 0)
		i = (i + 1) & (cap - 1);
	tab[i] = *s;
}

/* Rebuild without expired entries, growing if still more than 1/4 full. */
static int
rebuild(struct replay *r, uint64_t now_ms)
{
	uint64_t live = 0, cap = r->cap;
	struct slot *tab;

	for (uint64_t i = 0; i < r->cap; i++)
		live += r->slot[i].expire_ms > now_ms;
	while (live * 4 > cap)
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return -1;
	for (uint64_t i = 0; i < r->cap; i++) {
		const struct slot *s = &r->slot[i];
		uint8_t nonce[16];

		if (s->expire_ms <= now_ms)
			continue;
		memcpy(nonce, &s->a, 8);
		memcpy(nonce + 8, &s->b, 8);
		put(tab, cap, hash(r, nonce), s);
	}
	free(r->slot);
	r->slot = tab;
	r->cap = cap;
	r->count = live;
	return 0;
}

static void
persist(struct replay *r)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--)
		b[7 - i] = (uint8_t)(r->newest_ms >> (8 * i));
	/* No fsync: a crash of the daemon keeps the page cache; after a reboot
	 * the clock-based floor covers it. */
	if (pwrite(r->fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
		diag(NULL, 0, "replay state: write: %s", strerror(errno));
}

struct replay *
replay_open(const char *dir, uint32_t window_ms)
{
	char path[PATH_MAX];
	struct replay *r;
	uint8_t b[8];

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->fd = -1;
	r->window_ms = window_ms;
	r->cap = 1024;
	r->slot = calloc(r->cap, sizeof(*r->slot));
	randombytes_buf(r->hkey, sizeof(r->hkey));
	if (r->slot == NULL)
		goto fail;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		diag(dir, 0, "cannot create state directory: %s", strerror(errno));
		goto fail;
	}
	if (snprintf(path, sizeof(path), "%s/replay", dir) >= (int)sizeof(path))
		goto fail;
	r->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->fd < 0) {
		diag(path, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (pread(r->fd, b, sizeof(b), 0) == (ssize_t)sizeof(b))
		for (int i = 0; i < 8; i++)
			r->newest_ms = r->newest_ms << 8 | b[i];
	r->floor_ms = util_now_ms() + 1;
	if (r->newest_ms >= r->floor_ms)
		r->floor_ms = r->newest_ms + 1;
	return r;
fail:
	replay_close(r);
	return NULL;
}

void
replay_close(struct replay *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->slot);
	free(r);
}

int
replay_check(struct replay *r, uint64_t ts_ms, const uint8_t nonce[24])
{
	uint64_t a, b, i;

	if (ts_ms < r->floor_ms)
		return -1;
	memcpy(&a, nonce, 8);
	memcpy(&b, nonce + 8, 8);
	for (i = hash(r, nonce) & (r->cap - 1); r->slot[i].expire_ms != 0;
	    i = (i + 1) & (r->cap - 1))
		if (r->slot[i].a == a && r->slot[i].b == b)
			return -1;
	return 0;
}

int
replay_insert(struct replay *r, uint64_t ts_ms, const uint8_t nonce[24],
    uint64_t now_ms)
{
	struct slot s;

	if (replay_check(r, ts_ms, nonce) != 0)
		return -1;		/* a copy was accepted meanwhile */
	if ((r->count + 1) * 2 > r->cap && rebuild(r, now_ms) != 0)
		return -1;
	memcpy(&s.a, nonce, 8);
	memcpy(&s.b, nonce + 8, 8);
	/* Past ts + window the timestamp check refuses it anyway. */
	s.expire_ms = (ts_ms > now_ms ? ts_ms : now_ms) + r->window_ms + 1;
	put(r->slot, r->cap, hash(r, nonce), &s);
	r->count++;
	if (ts_ms > r->newest_ms) {
		r->newest_ms = ts_ms;
		persist(r);
	}
	return 0;
}

uint64_t
replay_size(const struct replay *r)
{
	return r->count;
}
