/* SPDX-License-Identifier: ISC */
/* The compact records of openings: mapped array, interned parts, expiries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "oprecs.h"

/* A target as a key: source family, destination family and bytes,
 * protocol, ports (little-endian). */
#define TARGET_KEY 23

#define RECORDS_MIN 1024

static struct oprecs_rec *
map_records(struct oprecs_rec *old, size_t oldcap, size_t cap)
{
	void *m = old == NULL ?
	    mmap(NULL, cap * sizeof(*old), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) :
	    mremap(old, oldcap * sizeof(*old), cap * sizeof(*old), MREMAP_MAYMOVE);

	return m == MAP_FAILED ? NULL : m;
}

static void
unmap_records(struct oprecs_rec *r, size_t cap)
{
	if (r != NULL)
		munmap(r, cap * sizeof(*r));
}

int
oprecs_init(struct oprecs *s)
{
	memset(s, 0, sizeof(*s));
	if ((s->r = map_records(NULL, 0, RECORDS_MIN)) == NULL)
		return -1;
	s->cap = RECORDS_MIN;
	s->n = 1;
	if (intern_init(&s->tg, TARGET_KEY) != 0 || intern_init(&s->src6, 16) != 0) {
		oprecs_free(s);
		return -1;
	}
	return 0;
}

void
oprecs_free(struct oprecs *s)
{
	unmap_records(s->r, s->cap);
	intern_free(&s->tg);
	intern_free(&s->src6);
	memset(s, 0, sizeof(*s));
}

/* A record number, not yet linked; 0 when out of memory. */
static uint32_t
rec_alloc(struct oprecs *s)
{
	uint32_t k = s->free;

	if (k != 0) {
		s->free = s->r[k].next;
		return k;
	}
	if (s->n == s->cap) {
		struct oprecs_rec *r;

		if (s->cap > UINT32_MAX / 2 ||
		    (r = map_records(s->r, s->cap, (size_t)s->cap * 2)) == NULL)
			return 0;
		s->r = r;
		s->cap *= 2;
	}
	return s->n++;
}

static void
target_key(const struct fw_elem *e, uint8_t k[TARGET_KEY])
{
	k[0] = e->src.family;
	k[1] = e->dst.family;
	memcpy(k + 2, e->dst.bytes, 16);
	k[18] = e->proto;
	k[19] = (uint8_t)e->port_lo;
	k[20] = (uint8_t)(e->port_lo >> 8);
	k[21] = (uint8_t)e->port_hi;
	k[22] = (uint8_t)(e->port_hi >> 8);
}

/* e's source as a record holds it (an IPv6 one with one more reference);
 * 0 or -1. */
static int
src_ref(struct oprecs *s, const struct fw_elem *e, uint32_t *src)
{
	long x;

	if (e->src.family == 4) {
		memcpy(src, e->src.bytes, 4);
		return 0;
	}
	if ((x = intern_ref(&s->src6, e->src.bytes)) < 0)
		return -1;
	*src = (uint32_t)x;
	return 0;
}

static void
src_unref(struct oprecs *s, uint8_t family, uint32_t src)
{
	if (family != 4)
		intern_unref(&s->src6, src);
}

static uint8_t
rec_family(const struct oprecs *s, const struct oprecs_rec *r)
{
	return intern_key(&s->tg, r->target)[0];
}

/* Give back the references a record holds. */
static void
rec_unref(struct oprecs *s, const struct oprecs_rec *r)
{
	src_unref(s, rec_family(s, r), r->src);
	intern_unref(&s->tg, r->target);
}

/* Add d to every record's expiry (saturating) or take -d from it (to 0). */
static void
shift_all(struct oprecs *s, int64_t d)
{
	for (uint32_t k = 1; k < s->n; k++) {
		int64_t v = (int64_t)s->r[k].exp + d;

		s->r[k].exp = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
}

/*
 * The base follows the clock: when an expiry is past the window, the base
 * moves forward (and expiries more than 24 days older than it are stored as
 * the base); when one is before the base (the clock was set back), the base
 * moves back to it (and expiries too far ahead are stored as the window's
 * end).
 */
void
oprecs_set_expires(struct oprecs *s, uint32_t k, uint64_t expires_ms)
{
	if (expires_ms > s->base + UINT32_MAX) {
		uint64_t base = expires_ms - ((uint64_t)1 << 31);

		shift_all(s, -(int64_t)(base - s->base));
		s->base = base;
	} else if (expires_ms < s->base) {
		shift_all(s, (int64_t)(s->base - expires_ms));
		s->base = expires_ms;
	}
	s->r[k].exp = (uint32_t)(expires_ms - s->base);
}

int
oprecs_put(struct oprecs *s, uint32_t *head, const struct fw_elem *e,
    uint64_t expires_ms)
{
	uint8_t key[TARGET_KEY];
	uint32_t last = 0, k, src;
	long t;

	target_key(e, key);
	if ((t = intern_ref(&s->tg, key)) < 0)
		return -1;
	if (src_ref(s, e, &src) != 0) {
		intern_unref(&s->tg, (uint32_t)t);
		return -1;
	}
	for (k = *head; k != 0; last = k, k = s->r[k].next) {
		struct oprecs_rec *r = &s->r[k];

		if (r->target == (uint32_t)t && r->src == src) {
			oprecs_set_expires(s, k, expires_ms);
			rec_unref(s, r);	/* it held them already */
			return 0;
		}
	}
	/* Appended (the array may move). */
	if ((k = rec_alloc(s)) == 0) {
		src_unref(s, e->src.family, src);
		intern_unref(&s->tg, (uint32_t)t);
		return -1;
	}
	s->r[k].src = src;
	s->r[k].target = (uint32_t)t;
	s->r[k].next = 0;
	oprecs_set_expires(s, k, expires_ms);
	if (last == 0)
		*head = k;
	else
		s->r[last].next = k;
	s->live++;
	return 1;
}

/* oprecs_drop, inlined into the loops that free many. */
static void
drop(struct oprecs *s, uint32_t *link)
{
	uint32_t k = *link;

	*link = s->r[k].next;
	rec_unref(s, &s->r[k]);
	s->r[k].next = s->free;
	s->free = k;
	s->live--;
}

void
oprecs_drop(struct oprecs *s, uint32_t *link)
{
	drop(s, link);
}

void
oprecs_drop_all(struct oprecs *s, uint32_t *head)
{
	while (*head != 0)
		drop(s, head);
}

uint32_t
oprecs_prune_at(struct oprecs *s, uint32_t *link, uint64_t now_ms,
    uint64_t keep_ms, size_t *seen)
{
	uint32_t n = 0;

	for (; *link != 0; ++*seen) {
		if (oprecs_expires(s, *link) + keep_ms > now_ms) {
			link = &s->r[*link].next;
		} else {
			drop(s, link);
			n++;
		}
	}
	return n;
}

void
oprecs_expand(const struct oprecs *s, uint32_t k, struct opening *out)
{
	const struct oprecs_rec *r = &s->r[k];
	const uint8_t *t = intern_key(&s->tg, r->target);

	memset(out, 0, sizeof(*out));
	out->e.src.family = t[0];
	if (t[0] == 4)
		memcpy(out->e.src.bytes, &r->src, 4);
	else
		memcpy(out->e.src.bytes, intern_key(&s->src6, r->src), 16);
	out->e.dst.family = t[1];
	memcpy(out->e.dst.bytes, t + 2, 16);
	out->e.proto = t[18];
	out->e.port_lo = (uint16_t)(t[19] | t[20] << 8);
	out->e.port_hi = (uint16_t)(t[21] | t[22] << 8);
	out->expires_ms = oprecs_expires(s, k);
}

int
oprecs_sparse(const struct oprecs *s)
{
	return s->cap > RECORDS_MIN && 4 * (s->live + 1) < s->cap;
}

/* The IPv6 sources the lists name, interned again into src6, with map from
 * the old slots to the new; 0 or -1. */
static int
remap_src6(const struct oprecs *s, const uint32_t *heads, size_t n,
    struct intern *src6, uint32_t *map)
{
	for (size_t i = 0; i < n; i++) {
		for (uint32_t k = heads[i]; k != 0; k = s->r[k].next) {
			long x;

			if (rec_family(s, &s->r[k]) == 4)
				continue;
			if ((x = intern_ref(src6, intern_key(&s->src6, s->r[k].src))) < 0)
				return -1;
			map[s->r[k].src] = (uint32_t)x;
		}
	}
	return 0;
}

void
oprecs_compact(struct oprecs *s, uint32_t *heads, size_t n)
{
	size_t cap = RECORDS_MIN;
	struct intern src6;
	uint32_t *map = NULL, m = 1;
	struct oprecs_rec *r = NULL;

	while (cap < 2 * (s->live + 1))
		cap *= 2;
	if (cap >= s->cap || intern_init(&src6, 16) != 0)
		return;
	if ((map = calloc(s->src6.n + 1, sizeof(*map))) == NULL ||
	    remap_src6(s, heads, n, &src6, map) != 0 ||
	    (r = map_records(NULL, 0, cap)) == NULL) {
		intern_free(&src6);
		free(map);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t *link = &heads[i];

		for (uint32_t k = heads[i]; k != 0; k = s->r[k].next) {
			r[m] = s->r[k];
			if (rec_family(s, &r[m]) != 4)
				r[m].src = map[r[m].src];
			*link = m;
			link = &r[m].next;
			m++;
		}
		*link = 0;
	}
	free(map);
	intern_free(&s->src6);
	s->src6 = src6;
	unmap_records(s->r, s->cap);
	s->r = r;
	s->cap = (uint32_t)cap;
	s->n = m;
	s->free = 0;
}

size_t
oprecs_bytes(const struct oprecs *s)
{
	return intern_bytes(&s->tg) + intern_bytes(&s->src6) +
	    (size_t)s->n * sizeof(struct oprecs_rec);
}
