/* SPDX-License-Identifier: ISC */
/* Tests for gatewayd/privsep.c: every bound of privsep_validate, and serve. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "privsep.h"
#include "t.h"

#define HDR offsetof(struct priv_req, e)
#define ELEM sizeof(struct fw_elem)
#define LEN(n) (HDR + (size_t)(n) * ELEM)

static struct priv_req req;		/* large: not on the stack */
static char why[128];

/* A valid opening: 10.0.0.1 to the gateway itself, tcp/8080, 30 s. */
static struct fw_elem
good4(void)
{
	struct fw_elem e;

	memset(&e, 0, sizeof(e));
	e.src.family = 4;
	memcpy(e.src.bytes, "\x0a\x00\x00\x01", 4);
	e.proto = 6;
	e.port_lo = e.port_hi = 8080;
	e.timeout_ms = 30000;
	return e;
}

/* Every address byte set: fd00::... to fd00::..., both IPv6. */
static struct fw_elem
good6(void)
{
	struct fw_elem e = good4();

	e.src.family = e.dst.family = 6;
	memset(e.src.bytes, 0xff, 16);
	memset(e.dst.bytes, 0xff, 16);
	return e;
}

/* A request of n copies of e with op, validated at length len. */
static int
run(uint32_t op, uint32_t n, size_t len, const struct fw_elem *e)
{
	memset(&req, 0, sizeof(req));
	req.op = op;
	req.n = n;
	for (uint32_t i = 0; i < n && i < PRIV_MAX_ELEMS; i++)
		req.e[i] = *e;
	why[0] = '\0';
	return privsep_validate(&req, len, why, sizeof(why));
}

/* One element e under op. */
static int
one(uint32_t op, struct fw_elem e)
{
	return run(op, 1, LEN(1), &e);
}

/* Refused, and the reason names the check. */
static int
refused(int ret, const char *what)
{
	if (ret == 0)
		return 0;
	if (strstr(why, what) == NULL) {
		fprintf(stderr, "reason '%s' does not name '%s'\n", why, what);
		return 0;
	}
	return 1;
}

static void
test_header(void)
{
	struct fw_elem e = good4();

	T_CHECK(refused(run(PRIV_ADD, 1, 0, &e), "shorter than the 8-byte"));
	T_CHECK(refused(run(PRIV_ADD, 1, HDR - 1, &e), "length 7, shorter"));
	T_CHECK(refused(run(PRIV_ADD, 1, HDR, &e), "length 8, not 52"));
	T_CHECK(run(PRIV_ADD, 1, LEN(1), &e) == 0);
	T_CHECK(refused(run(PRIV_ADD, 1, LEN(1) - 1, &e), "length 51, not 52"));
	T_CHECK(refused(run(PRIV_ADD, 1, LEN(1) + 1, &e), "length 53, not 52"));
	T_CHECK(refused(run(PRIV_ADD, 2, LEN(1), &e), "length"));
	T_CHECK(refused(run(PRIV_ADD, 2, LEN(3), &e), "length"));
	T_CHECK(refused(run(PRIV_ADD, 2, LEN(2) - 1, &e), "length"));
	T_CHECK(refused(run(PRIV_ADD, 2, LEN(2) + 1, &e), "length"));
	T_CHECK(run(PRIV_ADD, 2, LEN(2), &e) == 0);
	T_CHECK(run(PRIV_ADD, PRIV_MAX_ELEMS, sizeof(req), &e) == 0);
	T_CHECK(refused(run(PRIV_ADD, PRIV_MAX_ELEMS, sizeof(req) + 1, &e),
	    "length"));

	/* op */
	T_CHECK(refused(run(0, 1, LEN(1), &e), "op 0"));
	T_CHECK(run(PRIV_ADD, 1, LEN(1), &e) == 0);
	T_CHECK(run(PRIV_DEL, 1, LEN(1), &e) == 0);
	T_CHECK(run(PRIV_KILL, 1, LEN(1), &e) == 0);
	T_CHECK(refused(run(4, 1, LEN(1), &e), "op 4"));
	T_CHECK(refused(run(UINT32_MAX, 1, LEN(1), &e), "op"));

	/* count; the length checks follow it, so n > max never reads past
	 * the buffer whatever len says */
	T_CHECK(refused(run(PRIV_ADD, 0, HDR, &e), "count 0"));
	T_CHECK(run(PRIV_ADD, 1, LEN(1), &e) == 0);
	T_CHECK(run(PRIV_DEL, PRIV_MAX_ELEMS, LEN(PRIV_MAX_ELEMS), &e) == 0);
	T_CHECK(refused(run(PRIV_DEL, PRIV_MAX_ELEMS + 1,
	    LEN(PRIV_MAX_ELEMS + 1), &e), "count 1025"));
	T_CHECK(refused(run(PRIV_DEL, UINT32_MAX, LEN(1), &e), "count"));
}

static void
test_addresses(void)
{
	struct fw_elem e;

	/* src family */
	e = good4(); e.src.family = 0;
	T_CHECK(refused(one(PRIV_ADD, e), "element 0: src family 0"));
	e = good4(); e.src.family = 5;
	T_CHECK(refused(one(PRIV_ADD, e), "src family 5"));
	e = good4(); e.src.family = 255;
	T_CHECK(refused(one(PRIV_ADD, e), "src family 255"));
	T_CHECK(one(PRIV_ADD, good4()) == 0);
	T_CHECK(one(PRIV_ADD, good6()) == 0);
	e = good6(); e.dst.family = 0; memset(e.dst.bytes, 0, 16);
	T_CHECK(one(PRIV_ADD, e) == 0);

	/* bytes after an IPv4 address: src */
	e = good4(); e.src.bytes[3] = 0xff; e.src.bytes[0] = 0xff;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e = good4(); e.src.bytes[4] = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "src byte 4"));
	e = good4(); e.src.bytes[15] = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "src byte 15"));

	/* and dst */
	e = good4(); e.dst.family = 4; memcpy(e.dst.bytes, "\xff\0\0\xff", 4);
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.dst.bytes[4] = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "dst byte 4"));
	e.dst.bytes[4] = 0; e.dst.bytes[15] = 0x80;
	T_CHECK(refused(one(PRIV_ADD, e), "dst byte 15"));

	/* dst family must be src's */
	e = good4(); e.dst.family = 6;
	T_CHECK(refused(one(PRIV_ADD, e), "dst family 6 with src family 4"));
	e = good6(); memset(e.dst.bytes, 0, 16); e.dst.family = 4;
	T_CHECK(refused(one(PRIV_ADD, e), "dst family 4 with src family 6"));
	e = good4(); e.dst.family = 5;
	T_CHECK(refused(one(PRIV_ADD, e), "dst family 5"));
	e = good4(); e.dst.family = 4;
	T_CHECK(one(PRIV_ADD, e) == 0);

	/* dst family 0: no byte set */
	e = good4(); e.dst.bytes[0] = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "dst byte 0 not zero with dst family 0"));
	e = good4(); e.dst.bytes[15] = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "dst byte 15"));
	e = good6(); e.dst.family = 0;
	T_CHECK(refused(one(PRIV_ADD, e), "dst byte 0"));
}

static void
test_ports(void)
{
	static const uint8_t bad[] = { 0, 1, 5, 7, 16, 18, 58, 132, 255 };
	struct fw_elem e;

	/* proto */
	e = good4(); e.proto = 6;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.proto = 17;
	T_CHECK(one(PRIV_ADD, e) == 0);
	for (size_t i = 0; i < sizeof(bad); i++) {
		e.proto = bad[i];
		T_CHECK(refused(one(PRIV_ADD, e), "proto"));
	}

	/* port_lo 0 */
	e = good4(); e.port_lo = 0; e.port_hi = 0;
	T_CHECK(refused(one(PRIV_ADD, e), "port_lo 0"));
	e.port_hi = 10;
	T_CHECK(refused(one(PRIV_ADD, e), "port_lo 0"));
	e.port_lo = e.port_hi = 1;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.port_lo = e.port_hi = 65535;
	T_CHECK(one(PRIV_ADD, e) == 0);

	/* port_lo <= port_hi */
	e = good4(); e.port_lo = 100; e.port_hi = 99;
	T_CHECK(refused(one(PRIV_ADD, e), "port_lo 100 > port_hi 99"));
	e.port_hi = 100;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.port_hi = 101;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.port_lo = 65535; e.port_hi = 1;
	T_CHECK(refused(one(PRIV_ADD, e), "port_lo 65535 > port_hi 1"));

	/* at most 1024 ports: port_hi - port_lo 1023, not 1024 */
	e = good4(); e.port_lo = 1; e.port_hi = 1024;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.port_hi = 1025;
	T_CHECK(refused(one(PRIV_ADD, e), "ports 1-1025"));
	e.port_lo = 64512; e.port_hi = 65535;
	T_CHECK(one(PRIV_DEL, e) == 0);
	e.port_lo = 64511;
	T_CHECK(refused(one(PRIV_DEL, e), "ports 64511-65535"));
	e.port_lo = 1;
	T_CHECK(refused(one(PRIV_KILL, e), "more than 1024"));
}

static void
test_timeout(void)
{
	static const uint32_t ops[] = { PRIV_DEL, PRIV_KILL };
	struct fw_elem e = good4();

	e.timeout_ms = 0;
	T_CHECK(refused(one(PRIV_ADD, e), "timeout_ms 0"));
	e.timeout_ms = 1;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.timeout_ms = 86400000;
	T_CHECK(one(PRIV_ADD, e) == 0);
	e.timeout_ms = 86400001;
	T_CHECK(refused(one(PRIV_ADD, e), "timeout_ms 86400001"));
	e.timeout_ms = UINT32_MAX;
	T_CHECK(refused(one(PRIV_ADD, e), "timeout_ms"));
	/* Delete and kill carry no timeout: any value passes. */
	for (size_t i = 0; i < 2; i++) {
		e.timeout_ms = 0;
		T_CHECK(one(ops[i], e) == 0);
		e.timeout_ms = 86400001;
		T_CHECK(one(ops[i], e) == 0);
		e.timeout_ms = UINT32_MAX;
		T_CHECK(one(ops[i], e) == 0);
	}
}

/* A full request: every element is checked, the last one too. */
static void
test_full(void)
{
	struct fw_elem e = good6();
	uint32_t last = PRIV_MAX_ELEMS - 1;

	T_CHECK(run(PRIV_ADD, PRIV_MAX_ELEMS, LEN(PRIV_MAX_ELEMS), &e) == 0);
	req.e[last].port_lo = 0;
	T_CHECK(refused(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), why,
	    sizeof(why)), "element 1023: port_lo 0"));
	req.e[last] = e;
	req.e[last].timeout_ms = 0;
	T_CHECK(refused(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), why,
	    sizeof(why)), "element 1023: timeout_ms 0"));
	req.e[last] = e;
	req.e[last - 1].proto = 1;
	T_CHECK(refused(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), why,
	    sizeof(why)), "element 1022: proto 1"));
	req.e[last - 1] = e;
	T_CHECK(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), why,
	    sizeof(why)) == 0);
	/* Without a buffer for the reason: the same answers. */
	T_CHECK(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), NULL, 0) == 0);
	req.e[last].src.family = 0;
	T_CHECK(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), NULL, 0) == -1);
	T_CHECK(privsep_validate(&req, 3, NULL, 0) == -1);
	/* A short reason buffer is cut, never overrun. */
	memset(why, 'x', sizeof(why));
	T_CHECK(privsep_validate(&req, LEN(PRIV_MAX_ELEMS), why, 8) == -1);
	T_CHECK(strcmp(why, "element") == 0 && why[8] == 'x');
}

/* Queue one datagram of len bytes of p for privsep_serve, run it with no
 * nft handle (a malformed request must not reach it), and check it stops
 * without a reply. */
static void
serve_refuses(const void *p, size_t len, const char *what)
{
	int sv[2], ret;
	char buf[64];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		T_CHECK(!"socketpair");
		return;
	}
	T_CHECK(send(sv[1], p, len, 0) == (ssize_t)len);
	/* Then end of file: a serve that wrongly took the request and
	 * replied returns 0 here rather than waiting for the next one. */
	shutdown(sv[1], SHUT_WR);
	ret = privsep_serve(sv[0], NULL);
	T_CHECK(ret == -1);
	if (strstr(diag_last(), what) == NULL ||
	    strstr(diag_last(), "malformed request") == NULL) {
		fprintf(stderr, "diag '%s' does not name '%s'\n", diag_last(),
		    what);
		T_CHECK(!"diag names the failed check");
	}
	/* Closed without a reply: end of file, not a message. */
	close(sv[0]);
	T_CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 0);
	close(sv[1]);
}

static void
test_serve(void)
{
	static uint8_t big[sizeof(struct priv_req) + 1];
	struct fw_elem e = good4();
	int sv[2];

	e.port_lo = 0;
	run(PRIV_ADD, 1, LEN(1), &e);
	serve_refuses(&req, LEN(1), "(52 bytes): element 0: port_lo 0; stopping");
	e = good4();
	run(PRIV_ADD, 2, LEN(2), &e);
	serve_refuses(&req, LEN(2) - 1, "length 95, not 96");
	serve_refuses(&req, 3, "length 3, shorter");
	run(9, 1, LEN(1), &e);
	serve_refuses(&req, LEN(1), "op 9");
	/* Longer than the largest request: refused whole, though its first
	 * sizeof(req) bytes alone would be a valid request. */
	run(PRIV_DEL, PRIV_MAX_ELEMS, LEN(PRIV_MAX_ELEMS), &e);
	T_CHECK(privsep_validate(&req, sizeof(req), NULL, 0) == 0);
	memcpy(big, &req, sizeof(req));
	serve_refuses(big, sizeof(big), "length 45065");

	/* The engine going away ends the service cleanly. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		T_CHECK(!"socketpair");
		return;
	}
	close(sv[1]);
	T_CHECK(privsep_serve(sv[0], NULL) == 0);
	close(sv[0]);
}

int
main(void)
{
	/* The wire layout the messages above count in. */
	T_CHECK(HDR == 8 && ELEM == 44 && sizeof(req) == LEN(PRIV_MAX_ELEMS));
	test_header();
	test_addresses();
	test_ports();
	test_timeout();
	test_full();
	test_serve();
	return T_DONE();
}
