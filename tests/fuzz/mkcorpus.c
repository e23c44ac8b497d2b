/* SPDX-License-Identifier: ISC */
/* The fuzz targets' binary seeds, made deterministically. */
/*
 * Writes the binary seeds of tests/fuzz/corpus/{knock,engine,capture,privsep}/
 * (the text seeds are kept by hand). Deterministic: fixed keys, nonces and times,
 * so running it again rewrites the same bytes. Run by `make fuzz-corpus`,
 * never by the fuzz runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fuzz.h"
#include "knock.h"
#include "privsep.h"

static const char *outdir;
static uint8_t gw_pk[32], gw_sk[64];

static void
put(const char *target, const char *name, const uint8_t *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A knock of the vector's agent (0x01) for the gateway 0x02. */
static size_t
knock(uint8_t *out, uint64_t ts, const struct knock_body *b)
{
	uint8_t pk[32], sk[64], key[32];
	struct knock_hdr h;

	fuzz_keypair(0x01, pk, sk);
	keys_session(sk, gw_pk, pk, gw_pk, key);
	keys_id(pk, h.key_id);
	h.ts_ms = ts;
	memset(h.nonce, 0x03, sizeof(h.nonce));
	return knock_build(out, &h, b, key, sk);
}

static void
body(struct knock_body *b, uint32_t duration, int fam, const char *res)
{
	char buf[1024], *cur = buf, *item;

	memset(b, 0, sizeof(*b));
	memcpy(b->gw_pk, gw_pk, 32);
	b->duration = duration;
	b->addr.family = (uint8_t)fam;
	if (fam == 4)
		memcpy(b->addr.bytes, "\x0a\x00\x00\x02", 4);
	else if (fam == 6)
		memcpy(b->addr.bytes, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	snprintf(buf, sizeof(buf), "%s", res);
	while (*res && (item = strsep(&cur, ",")) != NULL)
		snprintf(b->res[b->nres++], sizeof(b->res[0]), "%s", item);
}

/* Plaintext body bytes (what knock_build seals). */
static size_t
encode(uint8_t *p, const struct knock_body *b)
{
	size_t off = KNOCK_BODY_FIXED;

	memcpy(p, b->gw_pk, 32);
	for (int i = 0; i < 4; i++)
		p[32 + i] = (uint8_t)(b->duration >> (24 - 8 * i));
	p[36] = b->addr.family;
	memset(p + 37, 0, 16);
	memcpy(p + 37, b->addr.bytes, b->addr.family == 6 ? 16 :
	    b->addr.family == 4 ? 4 : 0);
	p[53] = b->nres;
	for (unsigned i = 0; i < b->nres; i++) {
		size_t n = strlen(b->res[i]);
		p[off++] = (uint8_t)n;
		memcpy(p + off, b->res[i], n);
		off += n;
	}
	return off;
}

static void
knocks(void)
{
	static const char hexvec[] =
	    "534b01003cc2ebeeda48c4400000019b76daa8000303030303030303030303030303"
	    "03030303030303030303003a4382745a23e68853206bb17041ab1b7f12f38f040e0e"
	    "641e710807f4efed024382967fd98487f2dd9ed0dee9ee0c6c26a75e07d4e83dc97d"
	    "0fe181a9e63aa6aa4537e5bdf2a657a58b9c43f21f8885326cc6cc36e4006fe87b88"
	    "706025fd1ea67de7de931f162416af022aa0f78d9fc01f53a18d82ceb9169ceb8379"
	    "61b4c2e4448778fe2f5b78f9bb04";
	uint8_t p[KNOCK_MAX_LEN], q[KNOCK_MAX_LEN];
	struct knock_body b;
	size_t n;
	char names[2048];

	sodium_hex2bin(p, sizeof(p), hexvec, strlen(hexvec), NULL, &n, NULL);
	put("knock", "vector", p, n);
	memcpy(q, p, n);
	q[3] = 1;
	put("knock", "vector-flags1", q, n);
	put("knock", "vector-short", p, n - 1);
	memcpy(q, p, n);
	q[45]++;
	put("knock", "vector-bodylen", q, n);
	memcpy(q, p, n);
	q[60] ^= 0x10;
	put("knock", "vector-sealed-flip", q, n);
	body(&b, 30, 4, "web");
	put("knock", "knock-addr4", p, knock(p, 1767225600000ULL, &b));
	body(&b, 86400, 6, "web,db");
	put("knock", "knock-addr6", p, knock(p, 1767225600000ULL, &b));
	strcpy(names, "a0");
	for (int i = 1; i < 16; i++)
		sprintf(names + strlen(names), ",%c%s", 'a' + i,
		    "123456789012345678901234567890123456789012345678901234567890");
	body(&b, 0, 0, names);
	put("knock", "knock-16res", p, knock(p, 1767225600000ULL, &b));
	body(&b, 0, 0, "");
	put("knock", "knock-nores", p, knock(p, 1767225600000ULL, &b));
	/* Plaintext bodies, for the body parser fed directly. */
	body(&b, 30, 0, "web");
	put("knock", "body-web", q, encode(q, &b));
	body(&b, 600, 4, "db,dns,v6svc");
	put("knock", "body-addr4", q, encode(q, &b));
	body(&b, 86401, 6, "web");
	put("knock", "body-toolong", q, encode(q, &b));
	body(&b, 1, 0, "Web");
	put("knock", "body-badname", q, encode(q, &b));
}

/* Engine records (format in fuzz.h). */
struct rec {
	uint8_t buf[8192];
	size_t n;
};

static void
r8(struct rec *r, uint8_t v)
{
	r->buf[r->n++] = v;
}

static void
r16(struct rec *r, uint16_t v)
{
	r8(r, (uint8_t)(v >> 8));
	r8(r, (uint8_t)v);
}

static void
rbytes(struct rec *r, const void *p, size_t n)
{
	memcpy(r->buf + r->n, p, n);
	r->n += n;
}

static void
built(struct rec *r, uint8_t kind, int agent, int16_t off, uint8_t nonce_byte,
    const struct knock_body *b, const char *src)
{
	uint8_t plain[KNOCK_BODY_MAX], nonce[24];
	size_t n = encode(plain, b);

	r8(r, kind);
	r8(r, 5);
	rbytes(r, src, kind & 8 ? 16 : 4);
	r8(r, (uint8_t)agent);
	r16(r, (uint16_t)off);
	memset(nonce, nonce_byte, sizeof(nonce));
	rbytes(r, nonce, 24);
	r16(r, (uint16_t)n);
	rbytes(r, plain, n);
}

static void
engine(void)
{
	static const char v4[] = "\x0a\x00\x00\x02";
	static const char v6[] = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02";
	uint8_t p[KNOCK_MAX_LEN];
	struct knock_body b;
	struct rec r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r8(&r, 0);
	body(&b, 30, 0, "web");
	built(&r, 1, 0, 0, 0x11, &b, v4);
	put("engine", "alice-web", r.buf, r.n);
	/* Then the same again (replay), and a stale one, in one input. */
	built(&r, 1, 0, 0, 0x11, &b, v4);
	built(&r, 1, 0, -4000, 0x12, &b, v4);
	put("engine", "alice-replay-stale", r.buf, r.n);

	memset(&r, 0, sizeof(r));
	r8(&r, 0);
	body(&b, 0, 0, "");
	built(&r, 1 | 8, 1, 10, 0x21, &b, v6);
	put("engine", "bob-all-v6src", r.buf, r.n);

	memset(&r, 0, sizeof(r));
	r8(&r, 1);
	body(&b, 86400, 4, "web,db,dns,v6svc,range");
	built(&r, 1, 4, -100, 0x31, &b, "\x0a\x00\x00\x09");
	body(&b, 100, 6, "v6svc");
	built(&r, 1, 4, 100, 0x32, &b, v4);
	r8(&r, 2);
	r8(&r, 200);
	rbytes(&r, v4, 4);
	put("engine", "erin-other-address", r.buf, r.n);

	memset(&r, 0, sizeof(r));
	r8(&r, 0);
	body(&b, 30, 0, "db");
	built(&r, 1, 0, 0, 0x41, &b, v4);		/* not entitled */
	built(&r, 1, 2, 0, 0x42, &b, v4);		/* revoked */
	built(&r, 1, 3, 0, 0x43, &b, v4);		/* expired */
	built(&r, 1, 5, 0, 0x44, &b, v4);		/* unknown */
	built(&r, 3, 0, 0, 0x45, &b, v4);		/* another gateway */
	built(&r, 1 | 4, 0, 0, 0x46, &b, v4);		/* flipped byte */
	r16(&r, 300);
	put("engine", "refusals", r.buf, r.n);

	memset(&r, 0, sizeof(r));
	r8(&r, 0);
	body(&b, 30, 0, "web");
	n = knock(p, 1767225600000ULL, &b);
	r8(&r, 0);
	r8(&r, 0);
	rbytes(&r, v4, 4);
	r16(&r, (uint16_t)n);
	rbytes(&r, p, n);
	put("engine", "raw-vector", r.buf, r.n);
}

/* Frames: link header, IP header, UDP header to port 62201, a knock. */
static size_t
ip_udp(uint8_t *f, int v6, const uint8_t *pay, size_t n)
{
	size_t hl = v6 ? 40 : 20, ulen = 8 + n;

	memset(f, 0, hl + 8);
	if (v6) {
		f[0] = 0x60;
		f[4] = (uint8_t)(ulen >> 8);
		f[5] = (uint8_t)ulen;
		f[6] = 17;
		f[7] = 64;
		memcpy(f + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		memcpy(f + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	} else {
		f[0] = 0x45;
		f[2] = (uint8_t)((20 + ulen) >> 8);
		f[3] = (uint8_t)(20 + ulen);
		f[6] = 0x40;			/* DF */
		f[8] = 64;
		f[9] = 17;
		memcpy(f + 12, "\x0a\x00\x00\x02", 4);
		memcpy(f + 16, "\x0a\x00\x00\x01", 4);
	}
	f[hl] = 0x9c;			/* source port 40000 */
	f[hl + 1] = 0x40;
	f[hl + 2] = 0xf2;		/* 62201 */
	f[hl + 3] = 0xf9;
	f[hl + 4] = (uint8_t)(ulen >> 8);
	f[hl + 5] = (uint8_t)ulen;
	memcpy(f + hl + 8, pay, n);
	return hl + 8 + n;
}

static void
capture(void)
{
	uint8_t k[KNOCK_MAX_LEN], f[2048];
	struct knock_body b;
	size_t n, m;

	body(&b, 30, 0, "web");
	n = knock(k, 1767225600000ULL, &b);
	/* Byte 0 picks the link type: 0 EN10MB, 1 RAW, 2 SLL, 3 SLL2, 4 NULL. */
	f[0] = 0;
	memset(f + 1, 0xaa, 12);
	f[13] = 0x08;
	f[14] = 0x00;
	m = ip_udp(f + 15, 0, k, n);
	put("capture", "eth-ipv4", f, 15 + m);
	f[13] = 0x86;
	f[14] = 0xdd;
	m = ip_udp(f + 15, 1, k, n);
	put("capture", "eth-ipv6", f, 15 + m);
	f[13] = 0x81;
	f[14] = 0x00;
	f[15] = 0x00;
	f[16] = 0x07;
	f[17] = 0x08;
	f[18] = 0x00;
	m = ip_udp(f + 19, 0, k, n);
	put("capture", "eth-vlan-ipv4", f, 19 + m);
	f[0] = 1;
	m = ip_udp(f + 1, 0, k, n);
	put("capture", "raw-ipv4", f, 1 + m);
	f[7] = 0x20;				/* more fragments */
	put("capture", "raw-ipv4-frag", f, 1 + m);
	m = ip_udp(f + 1, 1, k, n);
	put("capture", "raw-ipv6", f, 1 + m);
	f[0] = 2;
	memset(f + 1, 0, 16);
	f[15] = 0x08;
	f[16] = 0x00;
	m = ip_udp(f + 17, 0, k, n);
	put("capture", "sll-ipv4", f, 17 + m);
	f[0] = 3;
	memset(f + 1, 0, 20);
	f[1] = 0x86;
	f[2] = 0xdd;
	m = ip_udp(f + 21, 1, k, n);
	put("capture", "sll2-ipv6", f, 21 + m);
	f[0] = 4;
	put("capture", "null-ipv6", f, 21 + m);
}

/* Requests to the privileged side, in this machine's byte order. */
static struct priv_req preq;

static void
fill(uint32_t op, uint32_t n, const struct fw_elem *e)
{
	memset(&preq, 0, sizeof(preq));
	preq.op = op;
	preq.n = n;
	for (uint32_t i = 0; i < n && i < PRIV_MAX_ELEMS; i++)
		preq.e[i] = *e;
}

static void
put_req(const char *name, size_t n)
{
	put("privsep", name, (const uint8_t *)&preq,
	    offsetof(struct priv_req, e) + n * sizeof(struct fw_elem));
}

static void
privsep(void)
{
	struct fw_elem e4, e6;
	char path[1024];

	snprintf(path, sizeof(path), "%s/privsep", outdir);
	mkdir(path, 0755);
	memset(&e4, 0, sizeof(e4));
	e4.src.family = 4;
	memcpy(e4.src.bytes, "\x0a\x00\x00\x02", 4);
	e4.proto = 6;
	e4.port_lo = e4.port_hi = 8080;
	e4.timeout_ms = 30000;
	memset(&e6, 0, sizeof(e6));
	e6.src.family = e6.dst.family = 6;
	memcpy(e6.src.bytes, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	memcpy(e6.dst.bytes, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	e6.proto = 17;
	e6.port_lo = 6000;
	e6.port_hi = 6100;
	e6.timeout_ms = 86400000;

	fill(PRIV_ADD, 1, &e4);
	put_req("add4", 1);
	put_req("bad-short", 0);		/* the header only */
	put("privsep", "bad-header", (const uint8_t *)&preq, 7);
	put("privsep", "bad-len", (const uint8_t *)&preq,
	    offsetof(struct priv_req, e) + sizeof(struct fw_elem) + 1);
	preq.op = 4;
	put_req("bad-op4", 1);
	fill(PRIV_ADD, 1, &e4);
	preq.e[0].timeout_ms = 0;
	put_req("bad-timeout0", 1);
	preq.op = PRIV_KILL;
	put_req("kill4", 1);
	fill(PRIV_DEL, 2, &e6);
	put_req("del6-fwd", 2);
	preq.op = PRIV_ADD;			/* the longest timeout */
	put_req("add6-fwd", 2);
	preq.op = PRIV_DEL;
	preq.e[0].port_hi = 7024;		/* 1025 ports */
	put_req("bad-1025ports", 2);
	fill(PRIV_DEL, 3, &e6);
	preq.e[2].dst.family = 4;
	put_req("bad-last-dst-family", 3);
	fill(PRIV_ADD, PRIV_MAX_ELEMS, &e4);
	for (uint32_t i = 0; i < PRIV_MAX_ELEMS; i++)
		preq.e[i].port_lo = preq.e[i].port_hi = (uint16_t)(1 + i);
	put_req("add-full", PRIV_MAX_ELEMS);
	preq.e[PRIV_MAX_ELEMS - 1].port_lo = 0;
	put_req("bad-full-last-port0", PRIV_MAX_ELEMS);
}

int
main(int argc, char **argv)
{
	uint8_t sk[64];

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	fuzz_keypair(FUZZ_GW_SEED, gw_pk, sk);
	memcpy(gw_sk, sk, 64);
	knocks();
	engine();
	capture();
	privsep();
	return 0;
}
