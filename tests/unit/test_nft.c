/* SPDX-License-Identifier: ISC */
/* Tests of the firewall module against the kernel, in its own namespace. */
/*
 * The firewall module against the kernel, always in a network namespace of
 * its own (it unshares one first, whoever runs it): the table as the nft CLI
 * lists it, timed elements, refresh (on both kernel paths), port ranges,
 * deleting missing elements, expiry, atomic re-install, uninstall; and
 * packets: a TCP connect from a second namespace over a veth pair is dropped
 * until an opening exists.
 *
 *   this namespace                      namespace spa-test-nft-PID
 *   spa0 10.99.0.1, fd00:99::1  <--veth-->  spa1 10.99.0.2, fd00:99::2
 *   listening on TCP 5555                    bash /dev/tcp connects
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "diag.h"
#include "nft.h"
#include "t.h"

#define TABLE "spa_test_nft"

static char ns[64];
static char out[1 << 16];

/* Run a shell command (tests may use the nft CLI); its exit status. */
static int
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run cmd and keep its output in out; its exit status. */
static int
capture(const char *cmd)
{
	FILE *p;
	size_t n;
	int st;

	out[0] = '\0';
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* rc is 0; else say why. */
static int
ok(int rc)
{
	if (rc != 0)
		fprintf(stderr, "  unexpected failure: %s\n", diag_last());
	return rc == 0;
}

/* rc is -1 and the report says want. */
static int
refused(int rc, const char *want)
{
	if (rc == -1 && strstr(diag_last(), want) != NULL)
		return 1;
	fprintf(stderr, "  want -1 and \"%s\", got %d: %s\n", want, rc,
	    diag_last());
	return 0;
}

static int
count(const char *hay, const char *needle)
{
	int c = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		c++;
		hay += strlen(needle);
	}
	return c;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How many times "ELEM timeout" appears in the listing of set. */
static int
listed(const char *set, const char *elem)
{
	char cmd[128], needle[128];

	snprintf(cmd, sizeof(cmd), "nft list set inet %s %s", TABLE, set);
	snprintf(needle, sizeof(needle), "%s timeout", elem);
	if (capture(cmd) != 0)
		return -1;
	return count(out, needle);
}

/* Milliseconds left on elem ("expires 1m2s984ms"), or -1 if not listed. */
static long
expires_ms(const char *set, const char *elem)
{
	static const struct { const char *unit; long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *p;
	long total = 0, v;
	char *end;
	size_t i;

	if (listed(set, elem) != 1 || (p = strstr(out, elem)) == NULL ||
	    (p = strstr(p, "expires ")) == NULL)
		return -1;
	for (p += 8; *p >= '0' && *p <= '9'; p = end) {
		v = strtol(p, &end, 10);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[i].ms;
		end += strlen(units[i].unit);
	}
	return total;
}

static struct fw_elem
elem(const char *src, const char *dst, uint8_t proto, uint16_t lo, uint16_t hi,
    uint32_t timeout_ms)
{
	struct fw_elem e;

	memset(&e, 0, sizeof(e));
	if (addr_parse(src, &e.src) != 0 || (dst != NULL &&
	    addr_parse(dst, &e.dst) != 0))
		abort();
	e.proto = proto;
	e.port_lo = lo;
	e.port_hi = hi;
	e.timeout_ms = timeout_ms;
	return e;
}

/* Never touch the host's firewall: always a network namespace of our own. */
static void
own_netns(void)
{
	if (unshare(CLONE_NEWNET) == -1) {
		fprintf(stderr, "test_nft: unshare(CLONE_NEWNET): %s (root?)\n",
		    strerror(errno));
		exit(1);
	}
}

static void
ns_cleanup(void)
{
	if (ns[0] != '\0')
		sh("ip netns del %s 2>/dev/null", ns);
}

static void
test_install(struct nft *n)
{
	struct fw_allow a[1];
	const char *sets[] = {
		"\"name\": \"in4\", \"table\": \"" TABLE "\", \"type\": "
		    "[\"ipv4_addr\", \"inet_proto\", \"inet_service\"]",
		"\"name\": \"in6\", \"table\": \"" TABLE "\", \"type\": "
		    "[\"ipv6_addr\", \"inet_proto\", \"inet_service\"]",
		"\"name\": \"fwd4\", \"table\": \"" TABLE "\", \"type\": "
		    "[\"ipv4_addr\", \"ipv4_addr\", \"inet_proto\", \"inet_service\"]",
		"\"name\": \"fwd6\", \"table\": \"" TABLE "\", \"type\": "
		    "[\"ipv6_addr\", \"ipv6_addr\", \"inet_proto\", \"inet_service\"]",
	};
	size_t i;

	memset(a, 0, sizeof(a));
	T_CHECK(addr_parse_prefix("192.0.2.0/24", &a[0].addr, &a[0].plen) == 0);
	a[0].proto = IPPROTO_TCP;
	a[0].port = 22;
	T_CHECK(ok(nft_uninstall(n)));		/* no table yet: fine */
	T_CHECK(ok(nft_install(n, 62201, a, 1)));
	T_CHECK(capture("nft -j list table inet " TABLE) == 0);
	T_CHECK(count(out, "\"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"") == 1);
	T_CHECK(count(out, "\"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"") == 1);
	T_CHECK(count(out, "\"hook\": \"prerouting\", \"prio\": -300, \"policy\": \"accept\"") == 1);
	T_CHECK(count(out, "\"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"") == 1);
	T_CHECK(count(out, "\"flags\": [\"timeout\"]") == 4);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		T_CHECK(strstr(out, sets[i]) != NULL);
	T_CHECK(capture("nft list table inet " TABLE) == 0);
	T_CHECK(count(out, "ct state established,related accept") == 2);
	T_CHECK(count(out, "iifname \"lo\" accept") == 1);
	T_CHECK(count(out, "udp dport 62201 notrack") == 1);
	T_CHECK(count(out, "ct state new tcp flags ! syn drop") == 1);
	T_CHECK(count(out, "ip saddr 192.0.2.0/24 tcp dport 22 accept") == 2);
	T_CHECK(strstr(out, "ip saddr . meta l4proto . th dport @in4 accept") != NULL);
	T_CHECK(strstr(out, "ip6 saddr . meta l4proto . th dport @in6 accept") != NULL);
	T_CHECK(strstr(out, "ip saddr . ip daddr . meta l4proto . th dport @fwd4 accept") != NULL);
	T_CHECK(strstr(out, "ip6 saddr . ip6 daddr . meta l4proto . th dport @fwd6 accept") != NULL);
}

/* Add, see listed, let the timer run down, re-add: the timer restarts. */
static void
test_refresh(struct nft *n, const char *src, const char *set, const char *text)
{
	struct fw_elem e = elem(src, NULL, IPPROTO_UDP, 53, 53, 2000);
	long left;

	T_CHECK(ok(nft_add(n, &e, 1)));
	left = expires_ms(set, text);
	T_CHECK(left > 1500 && left <= 2000);
	sleep_ms(1100);
	left = expires_ms(set, text);
	T_CHECK(left > 0 && left <= 900);
	T_CHECK(ok(nft_add(n, &e, 1)));
	left = expires_ms(set, text);
	T_CHECK(left > 1500 && left <= 2000);
	T_CHECK(listed(set, text) == 1);
}

static void
test_elements(struct nft *n)
{
	struct fw_elem e[4];
	long left, start, gone;
	int i;

	e[0] = elem("10.1.2.3", NULL, IPPROTO_TCP, 22, 22, 2000);
	e[1] = elem("2001:db8::5", NULL, IPPROTO_TCP, 22, 22, 2000);
	e[2] = elem("10.1.2.5", "10.9.9.9", IPPROTO_TCP, 443, 443, 2000);
	e[3] = elem("2001:db8::5", "2001:db8:1::9", IPPROTO_UDP, 53, 53, 2000);
	T_CHECK(ok(nft_add(n, e, 4)));
	left = expires_ms("in4", "10.1.2.3 . tcp . 22");
	T_CHECK(left > 1000 && left <= 2000);
	left = expires_ms("in6", "2001:db8::5 . tcp . 22");
	T_CHECK(left > 1000 && left <= 2000);
	T_CHECK(listed("fwd4", "10.1.2.5 . 10.9.9.9 . tcp . 443") == 1);
	T_CHECK(listed("fwd6", "2001:db8::5 . 2001:db8:1::9 . udp . 53") == 1);

	e[0] = elem("10.1.2.4", NULL, IPPROTO_TCP, 8000, 8002, 10000);
	T_CHECK(ok(nft_add(n, e, 1)));
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8000") == 1);
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8001") == 1);
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8002") == 1);
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8003") == 0);

	/* one never added, one range that is there */
	e[1] = elem("10.1.2.99", NULL, IPPROTO_TCP, 22, 22, 0);
	T_CHECK(ok(nft_del(n, e, 2)));
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8000") == 0);
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8001") == 0);
	T_CHECK(listed("in4", "10.1.2.4 . tcp . 8002") == 0);

	/* more than one lookup chunk, with missing ones on both sides */
	e[0] = elem("10.1.2.10", NULL, IPPROTO_UDP, 9000, 9299, 10000);
	T_CHECK(ok(nft_add(n, e, 1)));
	e[1] = e[0];
	e[0] = elem("10.1.2.11", NULL, IPPROTO_UDP, 9000, 9199, 0);
	e[2] = elem("10.1.2.12", NULL, IPPROTO_UDP, 9000, 9199, 0);
	T_CHECK(listed("in4", "10.1.2.10 . udp . 9299") == 1);
	T_CHECK(ok(nft_del(n, e, 3)));
	T_CHECK(capture("nft list set inet " TABLE " in4") == 0);
	T_CHECK(strstr(out, "10.1.2.10 . udp") == NULL);

	e[0] = elem("10.1.2.6", NULL, IPPROTO_UDP, 500, 500, 1000);
	T_CHECK(ok(nft_add(n, e, 1)));
	start = now_ms();
	T_CHECK(listed("in4", "10.1.2.6 . udp . 500") == 1);
	for (i = 0; i < 40 && listed("in4", "10.1.2.6 . udp . 500") != 0; i++)
		sleep_ms(100);
	gone = now_ms() - start;
	T_CHECK(gone >= 900 && gone < 3000);	/* gone after about 1 s */
	T_CHECK(ok(nft_del(n, e, 1)));		/* expired: not an error */

	e[0] = elem("10.1.2.7", NULL, IPPROTO_TCP, 22, 22, 0);
	T_CHECK(refused(nft_add(n, e, 1), "opening 0 is invalid"));
	e[0] = elem("10.1.2.7", "2001:db8::1", IPPROTO_TCP, 22, 22, 1000);
	T_CHECK(refused(nft_add(n, e, 1), "opening 0 is invalid"));
	e[0] = elem("10.1.2.7", NULL, IPPROTO_ICMP, 22, 22, 1000);
	T_CHECK(refused(nft_add(n, e, 1), "opening 0 is invalid"));
	e[0] = elem("10.1.2.7", NULL, IPPROTO_TCP, 23, 22, 1000);
	T_CHECK(refused(nft_del(n, e, 1), "opening 0 is invalid"));
	T_CHECK(ok(nft_add(n, NULL, 0)));
}

/* A TCP connect from the other namespace: 0 if it completed. */
static int
knock_connect(const char *addr, const char *secs)
{
	return sh("ip netns exec %s timeout %s bash -c "
	    "'exec 3<>/dev/tcp/%s/5555' 2>/dev/null", ns, secs, addr);
}

static int
listen_on(int family, const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		s4->sin_port = htons(5555);
		inet_pton(AF_INET, addr, &s4->sin_addr);
	} else {
		s6->sin6_port = htons(5555);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
	}
	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)) == -1 ||
	    listen(fd, 16) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_packets(struct nft *n)
{
	struct fw_elem e[2];
	int l4, l6, up;

	snprintf(ns, sizeof(ns), "spa-test-nft-%ld", (long)getpid());
	up = sh("ip netns add %s && "
	    "ip link add spa0 type veth peer name spa1 netns %s && "
	    "ip addr add 10.99.0.1/24 dev spa0 && "
	    "ip addr add fd00:99::1/64 dev spa0 nodad && ip link set spa0 up && "
	    "ip netns exec %s sh -c 'ip addr add 10.99.0.2/24 dev spa1 && "
	    "ip addr add fd00:99::2/64 dev spa1 nodad && ip link set spa1 up'",
	    ns, ns, ns);
	T_CHECK(up == 0);
	l4 = listen_on(AF_INET, "10.99.0.1");
	l6 = listen_on(AF_INET6, "fd00:99::1");
	T_CHECK(l4 != -1 && l6 != -1);
	if (up != 0 || l4 == -1 || l6 == -1)
		goto out;
	T_CHECK(knock_connect("10.99.0.1", "0.5") != 0);	/* dropped */
	T_CHECK(knock_connect("fd00:99::1", "0.5") != 0);
	e[0] = elem("10.99.0.2", NULL, IPPROTO_TCP, 5555, 5555, 10000);
	e[1] = elem("fd00:99::2", NULL, IPPROTO_TCP, 5555, 5555, 10000);
	T_CHECK(ok(nft_add(n, e, 2)));
	T_CHECK(knock_connect("10.99.0.1", "3") == 0);
	T_CHECK(knock_connect("fd00:99::1", "3") == 0);	/* needs ND too */
	T_CHECK(ok(nft_del(n, e, 2)));
	T_CHECK(knock_connect("10.99.0.1", "0.5") != 0);
	T_CHECK(knock_connect("fd00:99::1", "0.5") != 0);
out:
	if (l4 != -1)
		close(l4);
	if (l6 != -1)
		close(l6);
	ns_cleanup();
	ns[0] = '\0';
}

int
main(void)
{
	struct nft *n, *old;
	struct fw_elem e;

	own_netns();
	atexit(ns_cleanup);
	sh("ip link set lo up");
	T_CHECK(nft_open("") == NULL && strstr(diag_last(), "bad table") != NULL);
	nft_close(NULL);
	n = nft_open(TABLE);
	T_CHECK(n != NULL);
	if (n == NULL)
		return T_DONE();
	test_install(n);
	test_elements(n);
	test_refresh(n, "10.1.3.1", "in4", "10.1.3.1 . udp . 53");
	/* the path for kernels that keep the old timer on re-add (< 6.12) */
	setenv("SPA_NFT_NO_TIMER_UPDATE", "1", 1);
	old = nft_open(TABLE);
	unsetenv("SPA_NFT_NO_TIMER_UPDATE");
	T_CHECK(old != NULL);
	if (old != NULL)
		test_refresh(old, "2001:db8::7", "in6", "2001:db8::7 . udp . 53");
	nft_close(old);
	test_packets(n);

	/* install again: an atomic replace that drops live openings */
	e = elem("10.1.2.8", NULL, IPPROTO_TCP, 22, 22, 60000);
	T_CHECK(ok(nft_add(n, &e, 1)));
	T_CHECK(ok(nft_install(n, 62201, NULL, 0)));
	T_CHECK(ok(nft_install(n, 62201, NULL, 0)));
	T_CHECK(listed("in4", "10.1.2.8 . tcp . 22") == 0);
	T_CHECK(capture("nft list table inet " TABLE) == 0);
	T_CHECK(count(out, "policy drop;") == 2);
	T_CHECK(strstr(out, "192.0.2.0/24") == NULL);
	T_CHECK(ok(nft_uninstall(n)));
	T_CHECK(sh("nft list table inet %s >/dev/null 2>&1", TABLE) != 0);
	T_CHECK(ok(nft_uninstall(n)));
	T_CHECK(refused(nft_add(n, &e, 1), "No such file"));	/* no table */
	nft_close(n);
	return T_DONE();
}
