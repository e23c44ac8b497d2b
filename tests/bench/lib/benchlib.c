/* SPDX-License-Identifier: ISC */
/* Shared helpers of the bench tools: agents' keys, knocks, frames, clocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "benchlib.h"
#include "knock.h"

static const char creds_magic[10] = "SPABENCH1\n";

int
bench_creds_save(const char *path, const uint8_t gw_pk[KEY_PK_LEN],
    const struct bench_agent *a, size_t n)
{
	uint64_t cnt = n;
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(creds_magic, sizeof(creds_magic), 1, f) == 1 &&
	    fwrite(gw_pk, KEY_PK_LEN, 1, f) == 1 &&
	    fwrite(&cnt, sizeof(cnt), 1, f) == 1 &&
	    (n == 0 || fwrite(a, sizeof(*a), n, f) == n);
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "%s: write failed\n", path);
		return -1;
	}
	return 0;
}

int
bench_creds_load(const char *path, struct bench_creds *c)
{
	char magic[sizeof(creds_magic)];
	uint64_t cnt;
	FILE *f = fopen(path, "rb");

	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fread(magic, sizeof(magic), 1, f) != 1 ||
	    memcmp(magic, creds_magic, sizeof(magic)) != 0 ||
	    fread(c->gw_pk, KEY_PK_LEN, 1, f) != 1 ||
	    fread(&cnt, sizeof(cnt), 1, f) != 1 || cnt > 10000000 ||
	    (c->a = calloc(cnt ? cnt : 1, sizeof(*c->a))) == NULL ||
	    fread(c->a, sizeof(*c->a), cnt, f) != cnt) {
		fprintf(stderr, "%s: not a bench credentials file\n", path);
		fclose(f);
		bench_creds_free(c);
		return -1;
	}
	c->n = cnt;
	fclose(f);
	return 0;
}

void
bench_creds_free(struct bench_creds *c)
{
	if (c->a != NULL) {
		sodium_memzero(c->a, c->n * sizeof(*c->a));
		free(c->a);
	}
	c->a = NULL;
	c->n = 0;
}

size_t
bench_knock(const struct bench_agent *a, const uint8_t gw_pk[KEY_PK_LEN],
    uint64_t ts_ms, const char *res, uint32_t dur, uint8_t *out)
{
	struct knock_hdr h;
	struct knock_body b;

	memset(&h, 0, sizeof(h));
	memcpy(h.key_id, a->id, KEY_ID_LEN);
	h.ts_ms = ts_ms;
	randombytes_buf(h.nonce, sizeof(h.nonce));
	memset(&b, 0, sizeof(b));
	memcpy(b.gw_pk, gw_pk, KEY_PK_LEN);
	b.duration = dur;
	while (res != NULL && *res != '\0') {
		size_t len = strcspn(res, ",");

		if (b.nres == KNOCK_MAX_RES || len == 0 || len > KNOCK_NAME_MAX)
			return 0;
		memcpy(b.res[b.nres++], res, len);
		res += len + (res[len] == ',');
	}
	return knock_build(out, &h, &b, a->key, a->sk);
}

static uint16_t
ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t
bench_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
    uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
    const uint8_t *payload, size_t len)
{
	uint8_t *ip = f + 14, *udp = f + 34;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[6] = 0x40;			/* DF: no fragments */
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 16, dst);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);		/* no UDP checksum (allowed in IPv4) */
	memcpy(udp + 8, payload, len);
	bench_frame_set_src(f, src);
	return BENCH_FRAME_HDR + len;
}

void
bench_frame_set_src(uint8_t *f, uint32_t src)
{
	uint8_t *ip = f + 14;

	put32(ip + 12, src);
	put16(ip + 10, 0);
	put16(ip + 10, ip_csum(ip, 20));
}

int
bench_packet_socket(const char *ifname, uint8_t mac[6])
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;
	int fd, one = 1, buf = 8 << 20;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		fprintf(stderr, "%s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_protocol = htons(ETH_P_IP);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("bind(AF_PACKET)");
		close(fd);
		return -1;
	}
	/* Straight to the driver: the qdisc would only add a lock and a queue. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return fd;
}

int
bench_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

uint32_t
bench_ip(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

void
bench_ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
	    (ip >> 8) & 255, ip & 255);
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t
bench_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t
bench_wall_ms(void)
{
	return bench_wall_ns() / 1000000;
}

void
bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
bench_sort(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
}

uint64_t
bench_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

int
bench_rss(int pid, uint64_t *rss, uint64_t *hwm)
{
	char path[64], line[256];
	FILE *f;

	*rss = *hwm = 0;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			*rss = v;
		else if (sscanf(line, "VmHWM: %llu", &v) == 1)
			*hwm = v;
	}
	fclose(f);
	return 0;
}

uint64_t
bench_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "bad %s: '%s'\n", what, s);
		exit(2);
	}
	return v;
}
