/* SPDX-License-Identifier: ISC */
/* floodsend: UDP as fast as one core can, capped in count and time. */
/*
 * floodsend: send UDP datagrams to one address as fast as one core can, with
 * a hard cap on both the packet count and the time. Frames are built by hand
 * and written with sendmmsg(2) on an AF_PACKET socket (qdisc bypassed), so
 * source addresses can be varied per packet. For the end-to-end flood tests
 * only: run it inside a test's own network namespace, towards an address in
 * another namespace of the same test.
 *
 *   floodsend -i IFACE -s SRCMAC -d DSTMAC -S SRCIP -D DSTIP -p PORT
 *             -m random|forge|replay [-t TEMPLATE] [-r SOURCES]
 *             -n MAXPACKETS -T SECONDS
 *
 *   random  random bytes of a plausible knock length (half of them start
 *           with the knock magic and version, so they reach the header check)
 *   forge   the template knock (a real one, never accepted) with a fresh
 *           timestamp, a random nonce, a random sealed body and signature:
 *           a valid key id, but the body does not open (bad_auth)
 *   replay  the template knock byte for byte
 *   -r N    spread the source address over N addresses from SRCIP upwards
 *           (fresh per packet), so per-source limits do not thin the flood
 *
 * Prints one line: "sent N packets in S s (R pps, B Mbit/s)".
 * Built by the test scripts: cc -O2 -o floodsend floodsend.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 128
#define FRAME_MAX 1514
#define ETH 14
#define IPH 20
#define UDPH 8

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
fill(uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rnd();
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		*p++ = (uint8_t)rnd();
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static uint16_t
ip_sum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < IPH; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floodsend -i IFACE -s SRCMAC -d DSTMAC -S SRCIP "
	    "-D DSTIP -p PORT -m random|forge|replay [-t TEMPLATE] [-r SOURCES] "
	    "-n MAXPACKETS -T SECONDS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_MAX], tmpl[1500];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll;
	const char *ifname = NULL, *mode = NULL, *tpath = NULL;
	uint8_t smac[6], dmac[6];
	struct in_addr src = { 0 }, dst = { 0 };
	unsigned long long max = 0, sent = 0, bytes = 0;
	unsigned long nsrc = 1;
	double secs = 0, t0, t1;
	size_t tlen = 0;
	int port = 0, fd, c, one = 1, have_mac = 0;

	while ((c = getopt(argc, argv, "i:s:d:S:D:p:m:t:r:n:T:")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 's': have_mac |= parse_mac(optarg, smac) == 0 ? 1 : 0; break;
		case 'd': have_mac |= parse_mac(optarg, dmac) == 0 ? 2 : 0; break;
		case 'S': if (inet_pton(AF_INET, optarg, &src) != 1) usage(); break;
		case 'D': if (inet_pton(AF_INET, optarg, &dst) != 1) usage(); break;
		case 'p': port = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 't': tpath = optarg; break;
		case 'r': nsrc = strtoul(optarg, NULL, 10); break;
		case 'n': max = strtoull(optarg, NULL, 10); break;
		case 'T': secs = atof(optarg); break;
		default: usage();
		}
	}
	if (ifname == NULL || mode == NULL || have_mac != 3 || src.s_addr == 0 ||
	    dst.s_addr == 0 || port <= 0 || port > 65535 || max == 0 ||
	    secs <= 0 || secs > 60 || nsrc == 0 || nsrc > 65536)
		usage();
	if (strcmp(mode, "random") != 0) {
		FILE *f;

		if (tpath == NULL || (strcmp(mode, "forge") != 0 &&
		    strcmp(mode, "replay") != 0))
			usage();
		if ((f = fopen(tpath, "rb")) == NULL) {
			perror(tpath);
			return 1;
		}
		tlen = fread(tmpl, 1, sizeof(tmpl), f);
		fclose(f);
		if (tlen < 180 || tlen > FRAME_MAX - ETH - IPH - UDPH) {
			fprintf(stderr, "floodsend: %s: %zu bytes is no knock\n",
			    tpath, tlen);
			return 1;
		}
	}
	rng ^= (uint64_t)getpid() << 32 ^ wall_ms();

	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* send only: no protocol */
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror(ifname);
		return 1;
	}

	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frames[i], *ip = f + ETH, *udp = ip + IPH;

		memcpy(f, dmac, 6);
		memcpy(f + 6, smac, 6);
		f[12] = 0x08;
		f[13] = 0x00;
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &src, 4);
		memcpy(ip + 16, &dst, 4);
		udp[0] = 0x9c;			/* source port 40000 */
		udp[1] = 0x40;
		udp[2] = (uint8_t)(port >> 8);
		udp[3] = (uint8_t)port;
		if (tlen > 0)
			memcpy(udp + UDPH, tmpl, tlen);
		iov[i].iov_base = f;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = now_s();
	t1 = t0;
	while (sent < max && (t1 = now_s()) - t0 < secs) {
		unsigned n = max - sent < BATCH ? (unsigned)(max - sent) : BATCH;
		uint64_t ms = wall_ms();
		int r;

		for (unsigned i = 0; i < n; i++) {
			uint8_t *ip = frames[i] + ETH, *udp = ip + IPH, *pl = udp + UDPH;
			size_t plen = tlen;

			if (strcmp(mode, "random") == 0) {
				plen = 180 + (size_t)(rnd() % (436 - 180 + 1));
				fill(pl, plen);
				if (rnd() & 1) {
					pl[0] = 'S';
					pl[1] = 'K';
					pl[2] = 1;
					pl[3] = 0;
				}
			} else if (mode[0] == 'f') {
				for (int b = 7; b >= 0; b--)	/* fresh timestamp */
					pl[12 + 7 - b] = (uint8_t)(ms >> (8 * b));
				fill(pl + 20, 24);		/* nonce */
				fill(pl + 46, tlen - 46);	/* body and signature */
			}
			if (nsrc > 1) {
				uint32_t a = ntohl(src.s_addr) +
				    (uint32_t)(rnd() % nsrc);
				a = htonl(a);
				memcpy(ip + 12, &a, 4);
			}
			ip[2] = (uint8_t)((IPH + UDPH + plen) >> 8);
			ip[3] = (uint8_t)(IPH + UDPH + plen);
			ip[4] = (uint8_t)rnd();		/* id */
			ip[5] = (uint8_t)rnd();
			ip[10] = ip[11] = 0;
			{
				uint16_t s = ip_sum(ip);
				ip[10] = (uint8_t)(s >> 8);
				ip[11] = (uint8_t)s;
			}
			udp[4] = (uint8_t)((UDPH + plen) >> 8);
			udp[5] = (uint8_t)(UDPH + plen);
			udp[6] = udp[7] = 0;		/* no checksum (IPv4) */
			iov[i].iov_len = ETH + IPH + UDPH + plen;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("sendmmsg");
			break;
		}
		for (int i = 0; i < r; i++)
			bytes += iov[i].iov_len;
		sent += (unsigned)r;
	}
	t1 = now_s() - t0;
	printf("sent %llu packets in %.2f s (%.0f pps, %.0f Mbit/s)\n", sent, t1,
	    t1 > 0 ? sent / t1 : 0.0, t1 > 0 ? bytes * 8 / t1 / 1e6 : 0.0);
	close(fd);
	return sent > 0 ? 0 : 1;
}
