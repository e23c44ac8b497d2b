/* SPDX-License-Identifier: ISC */
/* Step 5: nonces seen and the floor that survives restarts and crashes. */
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
#include "table.h"
#include "util.h"

/* 16 bytes: two random nonces that agree on 12 bytes are as likely as
 * guessing a 96-bit key; an expiry rounded up to the second keeps a nonce
 * less than a second longer. */
#define NONCE_KEPT 12

struct slot {
	uint64_t a;			/* nonce bytes 0-7 */
	uint32_t b;			/* nonce bytes 8-11 */
	uint32_t expire_s;		/* seconds since the epoch; 0: empty */
};

static int
slot_live(const struct slot *s, uint64_t now_ms)
{
	return (uint64_t)s->expire_s * 1000 > now_ms;
}

/* Per-agent floors loaded at start (agents whose knocks ran ahead), in an
 * array found through a hash of their numbers (table.h) by key id. */
struct afloor {
	uint64_t id;
	uint64_t floor_ms;		/* from the last run: checked; 0: none */
	uint64_t newest_ms;		/* newest ahead-stamped knock (0: none) */
};

/*
 * State file: 8 bytes, the horizon (big-endian ms: the latest time on our
 * clock at which a knock was accepted), then records of 16 bytes, key id
 * (little-endian, as keys_id64) and knock time (big-endian), appended for
 * knocks stamped ahead of our clock. Compacted at start and when it grows.
 */
#define REC_LEN 16
#define COMPACT_AT (1 << 20)

struct replay {
	int fd;
	uint64_t floor_ms;		/* global */
	uint64_t horizon_ms;		/* written to the file */
	uint64_t seen_ms;		/* latest acceptance, not yet written */
	off_t end;			/* where the next record goes */
	uint32_t window_ms;
	struct slot *slot;
	uint64_t cap, count;
	struct afloor *af;
	uint32_t naf, afcap;
	struct table afidx;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static uint64_t
hash(const struct replay *r, const uint8_t *nonce)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, nonce, NONCE_KEPT, r->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void
put(struct slot *tab, uint64_t cap, uint64_t h, const struct slot *s)
{
	uint64_t i = h & (cap - 1);

	while (tab[i].expire_s != 0)
		i = (i + 1) & (cap - 1);
	tab[i] = *s;
}

/* Rebuild without expired entries, growing until at most half full (the
 * next rebuild comes at three quarters). */
static int
rebuild(struct replay *r, uint64_t now_ms)
{
	uint64_t live = 0, cap = r->cap;
	struct slot *tab;

	for (uint64_t i = 0; i < r->cap; i++)
		live += slot_live(&r->slot[i], now_ms);
	while (live * 2 > cap)
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return -1;
	for (uint64_t i = 0; i < r->cap; i++) {
		const struct slot *s = &r->slot[i];
		uint8_t nonce[NONCE_KEPT];

		if (!slot_live(s, now_ms))
			continue;
		memcpy(nonce, &s->a, 8);
		memcpy(nonce + 8, &s->b, 4);
		put(tab, cap, hash(r, nonce), s);
	}
	free(r->slot);
	r->slot = tab;
	r->cap = cap;
	r->count = live;
	return 0;
}

static void
put_be(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* No fsync: a crash of the daemon keeps the page cache; after a reboot the
 * start-time floor covers what a lost write would have. */
static void
write_at(struct replay *r, const uint8_t *b, size_t len, off_t off)
{
	if (pwrite(r->fd, b, len, off) != (ssize_t)len)
		diag(NULL, 0, "replay state: write: %s", strerror(errno));
}

/* The horizon: the latest time on our clock at which we accepted. */
static void
advance_horizon(struct replay *r, uint64_t now_ms)
{
	uint8_t b[8];

	if (now_ms <= r->horizon_ms)
		return;
	r->horizon_ms = now_ms;
	put_be(b, r->horizon_ms);
	write_at(r, b, sizeof(b), 0);
}

/* Agent id's floors, or NULL. A key id is a hash already. */
static struct afloor *
afloor_find(const struct replay *r, uint64_t id)
{
	size_t at;

	for (uint32_t x = table_first(&r->afidx, id, &at); x != TABLE_END;
	    x = table_next(&r->afidx, &at))
		if (r->af[x].id == id)
			return &r->af[x];
	return NULL;
}

/* Agent id's floors, made (none yet) if new; NULL if out of memory. The
 * array and the hash grow together. */
static struct afloor *
afloor_get(struct replay *r, uint64_t id)
{
	struct afloor *a;
	struct table idx;

	if ((a = afloor_find(r, id)) != NULL)
		return a;
	if (r->naf == r->afcap) {
		uint32_t cap = r->afcap * 2;	/* used once it cannot wrap */

		if (r->afcap > UINT32_MAX / 4 || table_init(&idx, cap) != 0)
			return NULL;
		if ((a = reallocarray(r->af, cap, sizeof(*a))) == NULL) {
			table_free(&idx);
			return NULL;
		}
		r->af = a;
		r->afcap = cap;
		for (uint32_t i = 0; i < r->naf; i++)
			table_add(&idx, r->af[i].id, i);
		table_free(&r->afidx);
		r->afidx = idx;
	}
	a = &r->af[r->naf];
	*a = (struct afloor){ .id = id };
	table_add(&r->afidx, id, r->naf++);
	return a;
}

/* Rewrite the file: the horizon, then one record per agent whose newest
 * knock is still ahead of now. */
static int
compact(struct replay *r, uint64_t now_ms)
{
	uint8_t rec[REC_LEN];
	off_t off = 8;

	if (ftruncate(r->fd, 0) != 0)
		return -1;
	put_be(rec, r->horizon_ms > now_ms ? r->horizon_ms : now_ms);
	write_at(r, rec, 8, 0);
	for (uint32_t i = 0; i < r->naf; i++) {
		uint64_t ts = r->af[i].newest_ms;

		if (r->af[i].floor_ms > 0 && r->af[i].floor_ms - 1 > ts)
			ts = r->af[i].floor_ms - 1;
		if (ts <= now_ms)
			continue;
		memcpy(rec, &r->af[i].id, 8);
		put_be(rec + 8, ts);
		write_at(r, rec, REC_LEN, off);
		off += REC_LEN;
	}
	r->end = off;
	return 0;
}

/* Remember agent id's newest ahead-stamped knock time ts, for compaction;
 * 0 or -1. */
static int
afloor_set(struct replay *r, uint64_t id, uint64_t ts)
{
	struct afloor *a = afloor_get(r, id);

	if (a == NULL)
		return -1;
	if (ts > a->newest_ms)
		a->newest_ms = ts;	/* for the next run; this one has nonces */
	return 0;
}

/* Read the old state: the horizon and the per-agent floors still ahead of
 * the start time; then write it back compacted. 0 or -1. */
static int
load_state(struct replay *r, uint64_t start_ms)
{
	uint8_t hdr[8], rec[REC_LEN];
	uint64_t n = 0;
	off_t off = sizeof(hdr);
	struct stat st;

	r->end = 0;

	r->floor_ms = start_ms + 1;
	if (fstat(r->fd, &st) != 0)
		return -1;
	if (pread(r->fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    get_be(hdr) >= r->floor_ms)
		r->floor_ms = get_be(hdr) + 1;
	n = st.st_size > (off_t)sizeof(hdr) ?
	    (uint64_t)(st.st_size - (off_t)sizeof(hdr)) / REC_LEN : 0;
	r->afcap = 16;
	if ((r->af = calloc(r->afcap, sizeof(*r->af))) == NULL ||
	    table_init(&r->afidx, r->afcap) != 0)
		return -1;
	for (uint64_t i = 0; i < n; i++, off += REC_LEN) {
		struct afloor *a;
		uint64_t id, ts;

		if (pread(r->fd, rec, REC_LEN, off) != REC_LEN)
			break;
		memcpy(&id, rec, 8);
		ts = get_be(rec + 8);
		if (ts < r->floor_ms)
			continue;	/* the global floor covers it */
		if ((a = afloor_get(r, id)) == NULL)
			return -1;
		if (ts + 1 > a->floor_ms)
			a->floor_ms = ts + 1;
	}
	r->horizon_ms = 0;
	return compact(r, start_ms);
}

struct replay *
replay_open(const char *dir, uint32_t window_ms)
{
	char path[PATH_MAX];
	struct replay *r;

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
	if (load_state(r, util_now_ms()) != 0) {
		diag(path, 0, "cannot read or compact: %s", strerror(errno));
		goto fail;
	}
	return r;
fail:
	replay_close(r);
	return NULL;
}

void
replay_sync(struct replay *r)
{
	advance_horizon(r, r->seen_ms);
}

void
replay_close(struct replay *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0) {
		replay_sync(r);
		close(r->fd);
	}
	free(r->slot);
	free(r->af);
	table_free(&r->afidx);
	free(r);
}

int
replay_check(struct replay *r, uint64_t id, uint64_t ts_ms,
    const uint8_t nonce[24])
{
	const struct afloor *f = afloor_find(r, id);
	uint64_t a, i;
	uint32_t b;

	if (ts_ms < r->floor_ms || (f != NULL && ts_ms < f->floor_ms))
		return -1;
	memcpy(&a, nonce, 8);
	memcpy(&b, nonce + 8, 4);
	for (i = hash(r, nonce) & (r->cap - 1); r->slot[i].expire_s != 0;
	    i = (i + 1) & (r->cap - 1))
		if (r->slot[i].a == a && r->slot[i].b == b)
			return -1;
	return 0;
}

int
replay_insert(struct replay *r, uint64_t id, uint64_t ts_ms,
    const uint8_t nonce[24], uint64_t now_ms)
{
	uint8_t rec[REC_LEN];
	struct slot s;

	if (replay_check(r, id, ts_ms, nonce) != 0)
		return -1;		/* a copy was accepted meanwhile */
	if ((r->count + 1) * 4 > r->cap * 3 && rebuild(r, now_ms) != 0)
		return -1;
	memcpy(&s.a, nonce, 8);
	memcpy(&s.b, nonce + 8, 4);
	/* Past ts + window the timestamp check refuses it anyway. */
	s.expire_s = (uint32_t)(((ts_ms > now_ms ? ts_ms : now_ms) +
	    r->window_ms + 1 + 999) / 1000);
	put(r->slot, r->cap, hash(r, nonce), &s);
	r->count++;
	if (now_ms > r->seen_ms)
		r->seen_ms = now_ms;	/* written by replay_sync */
	if (ts_ms > now_ms) {
		/* Stamped ahead of our clock: after a restart only a per-agent
		 * floor covers it. */
		if (afloor_set(r, id, ts_ms) != 0)
			return -1;
		memcpy(rec, &id, 8);
		put_be(rec + 8, ts_ms);
		write_at(r, rec, REC_LEN, r->end);
		r->end += REC_LEN;
		if (r->end > COMPACT_AT)
			compact(r, now_ms);
	}
	return 0;
}

uint64_t
replay_size(const struct replay *r)
{
	return r->count;
}
