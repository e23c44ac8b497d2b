#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "intern.h"
#include "openings.h"

/*
 * Compact storage. An opening is a 16-byte record: its source address (an
 * IPv4 address itself, an IPv6 one by the number of its interned copy), its
 * expiry (milliseconds after the index's base time), the number of its
 * target (what it opens: source family, destination, protocol, ports; few,
 * interned and shared) and the number of the agent's next record.
 *
 * All records live in one array mapped on its own (it grows with mremap, so
 * no copy and no heap fragments; pages never used are never resident), each
 * agent's records form a list from its slot in a hash table, and freed
 * records are reused first. After a prune that leaves the array mostly
 * empty, it is rebuilt smaller, each agent's records side by side.
 */
struct rec {
	uint32_t src;			/* IPv4: the address; else: src6 slot */
	uint32_t exp;			/* expiry - base, in ms */
	uint32_t target;
	uint32_t next;			/* the agent's next record; 0: none */
};

#define EMPTY UINT32_MAX		/* per_agent.head of a free slot */

struct per_agent {
	uint64_t id;
	uint32_t head;			/* first record; 0: none; EMPTY: free slot */
	uint32_t n;
};

/* A target as a key: source family, destination family and bytes,
 * protocol, ports (little-endian). */
#define TARGET_KEY 23

struct openings {
	struct per_agent *tab;
	size_t cap, used, total;
	struct rec *r;			/* r[0] unused: record numbers start at 1 */
	uint32_t nrec, caprec;		/* records handed out (and 1), mapped */
	uint32_t free;			/* list of freed records; 0: none */
	uint64_t base;			/* expiries are stored as ms after it */
	struct intern tg, src6;
	size_t sweep, sweep_idle;	/* openings_sweep: next slot, idle seen */
};

/* --- agents ----------------------------------------------------------------- */

static struct per_agent *
table_new(size_t cap)
{
	struct per_agent *tab = malloc(cap * sizeof(*tab));

	for (size_t i = 0; tab != NULL && i < cap; i++)
		tab[i].head = EMPTY;
	return tab;
}

static struct per_agent *
lookup(const struct openings *o, uint64_t id)
{
	size_t i;

	for (i = id & (o->cap - 1); o->tab[i].head != EMPTY; i = (i + 1) & (o->cap - 1))
		if (o->tab[i].id == id)
			return &o->tab[i];
	return NULL;
}

/* Move the agents into a table of cap slots, leaving out those with no
 * record left unless keep_idle; 0 or -1 (then nothing changed). */
static int
rehash(struct openings *o, size_t cap, int keep_idle)
{
	struct per_agent *tab = table_new(cap);

	if (tab == NULL)
		return -1;
	o->used = 0;
	for (size_t i = 0; i < o->cap; i++) {
		size_t j;

		if (o->tab[i].head == EMPTY || (!keep_idle && o->tab[i].n == 0))
			continue;
		for (j = o->tab[i].id & (cap - 1); tab[j].head != EMPTY; j = (j + 1) & (cap - 1))
			;
		tab[j] = o->tab[i];
		o->used++;
	}
	free(o->tab);
	o->tab = tab;
	o->cap = cap;
	return 0;
}

static struct per_agent *
lookup_or_add(struct openings *o, uint64_t id)
{
	struct per_agent *p = lookup(o, id);
	size_t i;

	if (p != NULL)
		return p;
	/* At most four fifths full: with 100,000 agents, 2 MiB, not 4. */
	if ((o->used + 1) * 5 > o->cap * 4 && rehash(o, o->cap * 2, 1) != 0)
		return NULL;
	for (i = id & (o->cap - 1); o->tab[i].head != EMPTY; i = (i + 1) & (o->cap - 1))
		;
	o->tab[i] = (struct per_agent){ .id = id, .head = 0, .n = 0 };
	o->used++;
	return &o->tab[i];
}

/* --- records ---------------------------------------------------------------- */

static struct rec *
map_records(struct rec *old, size_t oldcap, size_t cap)
{
	void *m = old == NULL ?
	    mmap(NULL, cap * sizeof(*old), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) :
	    mremap(old, oldcap * sizeof(*old), cap * sizeof(*old), MREMAP_MAYMOVE);

	return m == MAP_FAILED ? NULL : m;
}

static void
unmap_records(struct rec *r, size_t cap)
{
	if (r != NULL)
		munmap(r, cap * sizeof(*r));
}

/* A record number, not yet linked; 0 when out of memory. */
static uint32_t
rec_alloc(struct openings *o)
{
	uint32_t k = o->free;

	if (k != 0) {
		o->free = o->r[k].next;
		return k;
	}
	if (o->nrec == o->caprec) {
		struct rec *r;

		if (o->caprec > UINT32_MAX / 2 ||
		    (r = map_records(o->r, o->caprec, (size_t)o->caprec * 2)) == NULL)
			return 0;
		o->r = r;
		o->caprec *= 2;
	}
	return o->nrec++;
}

static void
rec_free(struct openings *o, uint32_t k)
{
	o->r[k].next = o->free;
	o->free = k;
}

#define RECORDS_MIN 1024
/* Slots and records one openings_sweep call looks at: about 0.5 ms at most
 * (a cache miss a record). */
#define SWEEP_BUDGET 8192

/* --- targets, sources, expiries ----------------------------------------------- */

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
src_ref(struct openings *o, const struct fw_elem *e, uint32_t *src)
{
	long s;

	if (e->src.family == 4) {
		memcpy(src, e->src.bytes, 4);
		return 0;
	}
	if ((s = intern_ref(&o->src6, e->src.bytes)) < 0)
		return -1;
	*src = (uint32_t)s;
	return 0;
}

static void
src_unref(struct openings *o, uint8_t family, uint32_t src)
{
	if (family != 4)
		intern_unref(&o->src6, src);
}

static uint8_t
rec_family(const struct openings *o, const struct rec *r)
{
	return intern_key(&o->tg, r->target)[0];
}

/* Give back the references a record holds. */
static void
rec_unref(struct openings *o, const struct rec *r)
{
	src_unref(o, rec_family(o, r), r->src);
	intern_unref(&o->tg, r->target);
}

static uint64_t
rec_expires(const struct openings *o, const struct rec *r)
{
	return o->base + r->exp;
}

/* Add d to every record's expiry (saturating) or take -d from it (to 0). */
static void
shift_all(struct openings *o, int64_t d)
{
	for (uint32_t k = 1; k < o->nrec; k++) {
		int64_t v = (int64_t)o->r[k].exp + d;

		o->r[k].exp = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
}

/*
 * Store expires_ms in r. The base follows the clock: when an expiry is past
 * the window, the base moves forward (and expiries more than 24 days older
 * than it are stored as the base); when one is before the base (the clock
 * was set back), the base moves back to it (and expiries too far ahead are
 * stored as the window's end).
 */
static void
set_expires(struct openings *o, struct rec *r, uint64_t expires_ms)
{
	if (expires_ms > o->base + UINT32_MAX) {
		uint64_t base = expires_ms - ((uint64_t)1 << 31);

		shift_all(o, -(int64_t)(base - o->base));
		o->base = base;
	} else if (expires_ms < o->base) {
		shift_all(o, (int64_t)(o->base - expires_ms));
		o->base = expires_ms;
	}
	r->exp = (uint32_t)(expires_ms - o->base);
}

/* The full opening a record stands for. */
static void
expand(const struct openings *o, const struct rec *r, struct opening *out)
{
	const uint8_t *k = intern_key(&o->tg, r->target);

	memset(out, 0, sizeof(*out));
	out->e.src.family = k[0];
	if (k[0] == 4)
		memcpy(out->e.src.bytes, &r->src, 4);
	else
		memcpy(out->e.src.bytes, intern_key(&o->src6, r->src), 16);
	out->e.dst.family = k[1];
	memcpy(out->e.dst.bytes, k + 2, 16);
	out->e.proto = k[18];
	out->e.port_lo = (uint16_t)(k[19] | k[20] << 8);
	out->e.port_hi = (uint16_t)(k[21] | k[22] << 8);
	out->expires_ms = rec_expires(o, r);
}

/* Rebuild the records into the smallest array that holds them with room to
 * spare, each agent's side by side, and the IPv6 sources they name into a
 * set of their own size; nothing changes if that fails. */
static void
compact(struct openings *o)
{
	size_t cap = RECORDS_MIN;
	struct intern src6;
	uint32_t *map, n = 1;
	struct rec *r = NULL;
	int fail = 0;

	while (cap < 2 * (o->total + 1))
		cap *= 2;
	if (cap >= o->caprec || intern_init(&src6, 16) != 0)
		return;
	if ((map = calloc(o->src6.n + 1, sizeof(*map))) == NULL)
		fail = 1;
	for (size_t i = 0; !fail && i < o->cap; i++) {
		if (o->tab[i].head == EMPTY)
			continue;
		for (uint32_t k = o->tab[i].head; !fail && k != 0; k = o->r[k].next) {
			long s;

			if (rec_family(o, &o->r[k]) == 4)
				continue;
			s = intern_ref(&src6, intern_key(&o->src6, o->r[k].src));
			fail = s < 0;
			map[o->r[k].src] = (uint32_t)s;
		}
	}
	if (fail || (r = map_records(NULL, 0, cap)) == NULL) {
		intern_free(&src6);
		free(map);
		return;
	}
	for (size_t i = 0; i < o->cap; i++) {
		struct per_agent *p = &o->tab[i];
		uint32_t *link = &p->head;

		if (p->head == EMPTY)
			continue;
		for (uint32_t k = p->head; k != 0; k = o->r[k].next) {
			r[n] = o->r[k];
			if (rec_family(o, &r[n]) != 4)
				r[n].src = map[r[n].src];
			*link = n;
			link = &r[n].next;
			n++;
		}
		*link = 0;
	}
	free(map);
	intern_free(&o->src6);
	o->src6 = src6;
	unmap_records(o->r, o->caprec);
	o->r = r;
	o->caprec = (uint32_t)cap;
	o->nrec = n;
	o->free = 0;
}

/* --- the index -------------------------------------------------------------- */

struct openings *
openings_new(void)
{
	struct openings *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->cap = 64;
	o->tab = table_new(o->cap);
	o->caprec = RECORDS_MIN;
	o->nrec = 1;
	o->r = map_records(NULL, 0, o->caprec);
	if (o->tab == NULL || o->r == NULL || intern_init(&o->tg, TARGET_KEY) != 0 ||
	    intern_init(&o->src6, 16) != 0) {
		openings_free(o);
		return NULL;
	}
	return o;
}

void
openings_free(struct openings *o)
{
	if (o == NULL)
		return;
	unmap_records(o->r, o->caprec);
	free(o->tab);
	intern_free(&o->tg);
	intern_free(&o->src6);
	free(o);
}

int
openings_add(struct openings *o, const uint8_t id[KEY_ID_LEN],
    const struct fw_elem *e, uint64_t expires_ms)
{
	struct per_agent *p = lookup_or_add(o, keys_id64(id));
	uint8_t key[TARGET_KEY];
	uint32_t last = 0, k, src;
	long t;

	target_key(e, key);
	if (p == NULL || (t = intern_ref(&o->tg, key)) < 0)
		return -1;
	if (src_ref(o, e, &src) != 0) {
		intern_unref(&o->tg, (uint32_t)t);
		return -1;
	}
	for (k = p->head; k != 0; last = k, k = o->r[k].next) {
		struct rec *r = &o->r[k];

		if (r->target == (uint32_t)t && r->src == src) {
			set_expires(o, r, expires_ms);
			rec_unref(o, r);	/* it held them already */
			return 0;
		}
	}
	/* Appended (the array may move): an agent's records stay in the order
	 * they were made. */
	if ((k = rec_alloc(o)) == 0) {
		src_unref(o, e->src.family, src);
		intern_unref(&o->tg, (uint32_t)t);
		return -1;
	}
	o->r[k].src = src;
	o->r[k].target = (uint32_t)t;
	o->r[k].next = 0;
	set_expires(o, &o->r[k], expires_ms);
	if (last == 0)
		p->head = k;
	else
		o->r[last].next = k;
	p->n++;
	o->total++;
	return 0;
}

/* Copy p's openings (with live_only, those not yet expired) to *out
 * (malloc'd); returns their count or -1. */
static long
copy_out(const struct openings *o, const struct per_agent *p, uint64_t now_ms,
    int live_only, struct opening **out)
{
	long n = 0;

	if ((*out = malloc(p->n * sizeof(**out))) == NULL)
		return -1;
	for (uint32_t k = p->head; k != 0; k = o->r[k].next)
		if (!live_only || rec_expires(o, &o->r[k]) > now_ms)
			expand(o, &o->r[k], &(*out)[n++]);
	return n;
}

/* Unlink the record *link points to and free it (*link: the next one). */
static void
drop(struct openings *o, struct per_agent *p, uint32_t *link)
{
	uint32_t k = *link;

	*link = o->r[k].next;
	rec_unref(o, &o->r[k]);
	rec_free(o, k);
	p->n--;
	o->total--;
}

/* The agent's slot, its openings (with live_only, those not yet expired)
 * copied to *out; NULL with *n 0 when it has none, NULL with *n -1 when out
 * of memory. */
static struct per_agent *
copy_agent(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    int live_only, struct opening **out, long *n)
{
	struct per_agent *p = lookup(o, keys_id64(id));

	*out = NULL;
	*n = 0;
	if (p == NULL || p->n == 0)
		return NULL;
	if ((*n = copy_out(o, p, now_ms, live_only, out)) < 0)
		return NULL;
	return p;
}

long
openings_take(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	long n;
	struct per_agent *p = copy_agent(o, id, now_ms, 0, out, &n);

	while (p != NULL && p->head != 0)
		drop(o, p, &p->head);
	return n;
}

long
openings_end(struct openings *o, const uint8_t id[KEY_ID_LEN], uint64_t now_ms,
    struct opening **out)
{
	long n;
	struct per_agent *p = copy_agent(o, id, now_ms, 1, out, &n);

	for (uint32_t k = p != NULL ? p->head : 0; k != 0; k = o->r[k].next)
		if (rec_expires(o, &o->r[k]) > now_ms)
			set_expires(o, &o->r[k], now_ms);
	return n;
}

/* Prune the agents from slot *at on, until the table's end or until work
 * (slots and records looked at) reaches budget; *at is left at the next slot
 * to look at. Returns how many agents it left with no record. */
static size_t
prune_slots(struct openings *o, uint64_t now_ms, size_t *at, size_t budget)
{
	size_t idle = 0, work = 0, i;

	for (i = *at; i < o->cap && work < budget; i++, work++) {
		struct per_agent *p = &o->tab[i];
		uint32_t *link = &p->head;

		if (p->head == EMPTY)
			continue;
		for (; *link != 0; work++) {
			if (rec_expires(o, &o->r[*link]) + OPENINGS_KEEP_MS > now_ms)
				link = &o->r[*link].next;
			else
				drop(o, p, link);
		}
		idle += p->n == 0;
	}
	*at = i;
	return idle;
}

/* After a whole pass: give back what a wave of expiries left unused. */
static void
give_back(struct openings *o, size_t idle)
{
	if (idle > 32 && idle * 2 > o->used) {
		size_t cap = 64, live = 0;

		for (size_t i = 0; i < o->cap; i++)
			live += o->tab[i].head != EMPTY && o->tab[i].n > 0;
		while (cap < 2 * (live + 1))
			cap *= 2;
		rehash(o, cap, 0);
	}
	if (o->caprec > RECORDS_MIN && 4 * (size_t)(o->total + 1) < o->caprec)
		compact(o);
}

void
openings_prune(struct openings *o, uint64_t now_ms)
{
	size_t at = 0;

	give_back(o, prune_slots(o, now_ms, &at, SIZE_MAX));
	o->sweep = o->sweep_idle = 0;
}

int
openings_sweep(struct openings *o, uint64_t now_ms)
{
	/* A rehash since the last call may have moved agents: the pass may
	 * miss some, which the next pass finds. */
	o->sweep_idle += prune_slots(o, now_ms, &o->sweep, SWEEP_BUDGET);
	if (o->sweep < o->cap)
		return 0;
	give_back(o, o->sweep_idle);
	o->sweep = o->sweep_idle = 0;
	return 1;
}

size_t
openings_count(const struct openings *o, const uint8_t id[KEY_ID_LEN],
    uint64_t now_ms)
{
	const struct per_agent *p = lookup(o, keys_id64(id));
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (uint32_t k = p->head; k != 0; k = o->r[k].next)
		n += rec_expires(o, &o->r[k]) > now_ms;
	return n;
}

size_t
openings_total(const struct openings *o)
{
	return o->total;
}

size_t
openings_bytes(const struct openings *o)
{
	return sizeof(*o) + o->cap * sizeof(*o->tab) + intern_bytes(&o->tg) +
	    intern_bytes(&o->src6) + (size_t)o->nrec * sizeof(struct rec);
}

int
openings_filter(struct openings *o, openings_fn fn, void *arg,
    struct opening **removed, size_t *nremoved)
{
	size_t cap = 0;

	*removed = NULL;
	*nremoved = 0;
	for (size_t i = 0; i < o->cap; i++) {
		struct per_agent *p = &o->tab[i];
		uint32_t *link = &p->head;

		if (p->head == EMPTY)
			continue;
		while (*link != 0) {
			struct opening op;

			expand(o, &o->r[*link], &op);
			if (!fn(p->id, &op, arg)) {
				link = &o->r[*link].next;
				continue;
			}
			if (*nremoved == cap) {
				struct opening *v;

				cap = cap ? cap * 2 : 16;
				if ((v = realloc(*removed, cap * sizeof(*v))) == NULL)
					return -1;	/* the rest stays */
				*removed = v;
			}
			(*removed)[(*nremoved)++] = op;
			drop(o, p, link);
		}
	}
	return 0;
}

void
openings_each(const struct openings *o, openings_fn fn, void *arg)
{
	for (size_t i = 0; i < o->cap; i++) {
		const struct per_agent *p = &o->tab[i];

		if (p->head == EMPTY)
			continue;
		for (uint32_t k = p->head; k != 0; k = o->r[k].next) {
			struct opening op;

			expand(o, &o->r[k], &op);
			fn(p->id, &op, arg);
		}
	}
}
