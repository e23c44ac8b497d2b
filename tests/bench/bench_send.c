/* SPDX-License-Identifier: ISC */
/* bench_send: the load generator. */
/*
 * Crafts Ethernet/IPv4/UDP frames with distinct source addresses and sends
 * them with sendmmsg() on an AF_PACKET socket (qdisc bypassed), so one
 * sender can speak for millions of sources without configuring any of them.
 * Every loop is bounded by --max-packets and --seconds.
 *
 *   bench_send MODE --ifname IF --dst-mac MAC --dst IP --src-base IP [opts]
 *
 * MODE:
 *   valid   --creds F --first I --count N --rounds R: N*R distinct valid
 *           knocks (agent I+i, round r, from src-base + r*N + i), signed
 *           beforehand by --threads threads, then sent round after round;
 *           each asks for --res LIST (comma-separated names, default "web";
 *           "-": every entitled resource) for --duration S seconds (30);
 *   forged  --creds F --count N: well-formed knocks carrying a registered
 *           key id (agent k % N), a fresh timestamp and nonce, and a random
 *           sealed body and signature: they fail the symmetric check;
 *   random  random bytes of --len bytes;
 *   lines   --payloads FILE: "SRC PAYLOAD" lines, each sent once.
 *
 * Options: --port 62201, --rate PPS (0: as fast as possible), --sources S
 * (forged/random: cycle through S source addresses), --pcap-out FILE (valid,
 * lines: write a pcap file instead of sending), --batch 64, --ts-offset-ms D
 * (valid: stamp the knocks D ms ahead, within the daemon's clock skew, so an
 * offline daemon started later still finds them above its replay floor).
 * Paced (--rate), valid knock k is stamped k/rate after the first, as if
 * made when it is sent (never ahead of it: the build comes first), so a long
 * paced run stays within the daemon's clock skew; --same-expiry then shortens
 * knock k's duration by k/rate whole seconds, so that all the openings end
 * within the same second. Prints: sent= seconds= pps= build_seconds=.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "benchlib.h"
#include "knock.h"

#define FRAME_STRIDE 256		/* knocks and junk */
#define LINE_STRIDE 1536		/* lines: fwknop's packets are longer */
#define POOL 4096
#define MAX_BATCH 256

struct opt {
	const char *ifname, *creds, *payloads, *pcap_out, *mode, *res;
	uint8_t dmac[6], smac[6];
	uint32_t dst, src_base;
	uint16_t port;
	size_t first, count, rounds, len, batch, threads;
	uint64_t rate, sources, max_packets, seconds, ts_offset;
	uint32_t duration;
	int same_expiry;
};

struct pool {
	uint8_t *buf;			/* n frames of stride bytes */
	uint16_t *len;
	size_t n, stride;
};

struct build_job {
	const struct opt *o;
	const struct bench_creds *c;
	struct pool *p;
	size_t from, to;
	uint64_t ts;
	int fail;
};

static void *
build_valid(void *arg)
{
	struct build_job *j = arg;
	const struct opt *o = j->o;
	uint8_t k[KNOCK_MAX_LEN];

	for (size_t x = j->from; x < j->to; x++) {
		size_t i = x % o->count, len;
		uint64_t ts = j->ts, late = 0;
		uint32_t dur = o->duration;

		if (o->rate) {
			ts += (uint64_t)x * 1000 / o->rate;
			late = (uint64_t)x / o->rate;
		}
		if (o->same_expiry && dur > 0)
			dur = late + 1 < dur ? dur - (uint32_t)late : 1;
		len = bench_knock(&j->c->a[o->first + i], j->c->gw_pk, ts,
		    o->res, dur, k);
		if (len == 0 || BENCH_FRAME_HDR + len > j->p->stride) {
			j->fail = 1;
			return NULL;
		}
		j->p->len[x] = (uint16_t)bench_frame(j->p->buf + x * j->p->stride,
		    o->dmac, o->smac, o->src_base + (uint32_t)x, o->dst,
		    (uint16_t)(40000 + x % 20000), o->port, k, len);
	}
	return NULL;
}

static int
pool_alloc(struct pool *p, size_t n, size_t stride)
{
	p->n = n;
	p->stride = stride;
	p->buf = calloc(n ? n : 1, stride);
	p->len = calloc(n ? n : 1, sizeof(*p->len));
	return p->buf && p->len ? 0 : -1;
}

static int
make_valid(const struct opt *o, struct pool *p)
{
	struct bench_creds c;
	pthread_t th[16];
	struct build_job job[16];
	size_t n = o->count * o->rounds, t = o->threads, len;
	uint8_t k[KNOCK_MAX_LEN];
	int fail = 0;

	if (bench_creds_load(o->creds, &c) != 0)
		return -1;
	if (c.n < o->first + o->count) {
		fprintf(stderr, "bench_send: need %zu agents, have %zu\n",
		    o->first + o->count, c.n);
		bench_creds_free(&c);
		return -1;
	}
	/* Every knock of the run has the same length: one sizes the frames. */
	len = bench_knock(&c.a[o->first], c.gw_pk, 0, o->res, o->duration, k);
	if (len == 0 || pool_alloc(p, n,
	    (BENCH_FRAME_HDR + len + 63) & ~(size_t)63) != 0) {
		fprintf(stderr, "bench_send: cannot make knocks for '%s'\n",
		    o->res ? o->res : "-");
		bench_creds_free(&c);
		return -1;
	}
	for (size_t i = 0; i < t; i++) {
		job[i] = (struct build_job){ o, &c, p, n * i / t, n * (i + 1) / t,
		    bench_wall_ms() + o->ts_offset, 0 };
		pthread_create(&th[i], NULL, build_valid, &job[i]);
	}
	for (size_t i = 0; i < t; i++) {
		pthread_join(th[i], NULL);
		fail |= job[i].fail;
	}
	bench_creds_free(&c);
	return fail ? -1 : 0;
}

/* forged and random: a pool of templates, rewritten as they go out. */
static int
make_junk(const struct opt *o, struct pool *p, int forged)
{
	struct bench_creds c = { .n = 0 };
	uint8_t b[KNOCK_MAX_LEN];
	size_t len = forged ? KNOCK_OVERHEAD + 58 : o->len;

	if (len > sizeof(b) || BENCH_FRAME_HDR + len > FRAME_STRIDE ||
	    pool_alloc(p, POOL, FRAME_STRIDE) != 0)
		return -1;
	if (forged && (bench_creds_load(o->creds, &c) != 0 || c.n == 0))
		return -1;
	for (size_t x = 0; x < POOL; x++) {
		randombytes_buf(b, len);
		if (forged) {
			const struct bench_agent *a = &c.a[x % (o->count && o->count <
			    c.n ? o->count : c.n)];
			b[0] = 'S';
			b[1] = 'K';
			b[2] = KNOCK_VERSION;
			b[3] = 0;
			memcpy(b + 4, a->id, KEY_ID_LEN);
			b[44] = 0;
			b[45] = 58;		/* body_len: consistent with the length */
		}
		p->len[x] = (uint16_t)bench_frame(p->buf + x * FRAME_STRIDE, o->dmac,
		    o->smac, o->src_base, o->dst, (uint16_t)(40000 + x), o->port, b, len);
	}
	bench_creds_free(&c);
	return 0;
}

static int
make_lines(const struct opt *o, struct pool *p)
{
	FILE *f = fopen(o->payloads, "r");
	char *line = NULL, *sp;
	size_t cap = 0, n = 0;
	ssize_t len;

	if (f == NULL || pool_alloc(p, o->max_packets, LINE_STRIDE) != 0) {
		perror(o->payloads);
		return -1;
	}
	while (n < p->n && (len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((sp = strchr(line, ' ')) == NULL ||
		    BENCH_FRAME_HDR + strlen(sp + 1) > LINE_STRIDE)
			continue;
		*sp = '\0';
		p->len[n] = (uint16_t)bench_frame(p->buf + n * LINE_STRIDE, o->dmac,
		    o->smac, bench_ip(line), o->dst, (uint16_t)(40000 + n % 20000),
		    o->port, (uint8_t *)sp + 1, strlen(sp + 1));
		n++;
	}
	free(line);
	fclose(f);
	p->n = n;
	return 0;
}

static void
put_be64(uint8_t *q, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		q[i] = (uint8_t)v;
}

static int
write_pcap(const struct opt *o, const struct pool *p)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, o->pcap_out) : NULL;
	struct pcap_pkthdr h = { .caplen = 0 };

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", o->pcap_out, dead ? pcap_geterr(dead) : "");
		return 1;
	}
	for (size_t i = 0; i < p->n; i++) {
		uint64_t us = bench_wall_ns() / 1000;
		h.ts.tv_sec = (time_t)(us / 1000000);
		h.ts.tv_usec = (suseconds_t)(us % 1000000);
		h.caplen = h.len = p->len[i];
		pcap_dump((u_char *)d, &h, p->buf + i * p->stride);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	printf("written=%zu\n", p->n);
	return 0;
}

static int
blast(const struct opt *o, const struct pool *p, int junk, int forged)
{
	static uint8_t ring[MAX_BATCH][FRAME_STRIDE];
	struct mmsghdr msg[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	uint64_t t0, end, sent = 0, nobufs = 0, ctr = 0, limit = o->max_packets;
	int fd;
	uint8_t mac[6];

	struct rusage ru0;
	double cpu0;

	if ((fd = bench_packet_socket(o->ifname, mac)) < 0)
		return 1;
	getrusage(RUSAGE_SELF, &ru0);
	cpu0 = (double)(ru0.ru_utime.tv_sec + ru0.ru_stime.tv_sec) +
	    (double)(ru0.ru_utime.tv_usec + ru0.ru_stime.tv_usec) / 1e6;
	if (!junk && limit > p->n)
		limit = p->n;
	memset(msg, 0, sizeof(msg));
	t0 = bench_ns();
	end = t0 + o->seconds * 1000000000ull;
	while (sent < limit) {
		size_t b = o->batch, k = 0;
		uint64_t now = bench_ns(), ts = 0;
		int r;

		if (now >= end)
			break;
		if (o->rate && sent * 1000000000ull / o->rate > now - t0) {
			bench_sleep_ns(sent * 1000000000ull / o->rate - (now - t0));
			continue;
		}
		if (b > limit - sent)
			b = (size_t)(limit - sent);
		if (forged)
			ts = bench_wall_ms();
		for (size_t j = 0; j < b; j++) {
			size_t x = (size_t)((sent + j) % p->n);
			uint8_t *f = p->buf + x * p->stride;

			if (junk) {
				memcpy(ring[j], f, p->len[x]);
				f = ring[j];
				bench_frame_set_src(f, o->src_base + (uint32_t)(ctr %
				    o->sources));
				if (forged) {
					put_be64(f + BENCH_FRAME_HDR + 12, ts);
					put_be64(f + BENCH_FRAME_HDR + 20, ctr);
				}
				ctr++;
			}
			iov[j] = (struct iovec){ f, p->len[x] };
			msg[j].msg_hdr.msg_iov = &iov[j];
			msg[j].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msg, (unsigned)b, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("sendmmsg");
				close(fd);
				return 1;
			}
			nobufs++;
			bench_sleep_ns(20000);
			if (junk)
				ctr -= b;
			continue;
		}
		k = (size_t)r;
		if (junk && k < b)
			ctr -= b - k;
		sent += k;
	}
	{
		double s = (double)(bench_ns() - t0) / 1e9;
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		/* cpu_s: the sender's own CPU time, and with it the kernel's
		 * receive path of the gateway, which runs in its context. */
		printf("sent=%llu seconds=%.4f pps=%.0f enobufs=%llu cpu_s=%.3f\n",
		    (unsigned long long)sent, s, s > 0 ? (double)sent / s : 0.0,
		    (unsigned long long)nobufs, (double)(ru.ru_utime.tv_sec +
		    ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1e6 - cpu0);
	}
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'd' },
		{ "src-base", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "creds", required_argument, NULL, 'c' },
		{ "payloads", required_argument, NULL, 'P' },
		{ "first", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "len", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "sources", required_argument, NULL, 'S' },
		{ "max-packets", required_argument, NULL, 'M' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 'T' },
		{ "pcap-out", required_argument, NULL, 'o' },
		{ "ts-offset-ms", required_argument, NULL, 'O' },
		{ "res", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'D' },
		{ "same-expiry", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	struct opt o = { .port = 62201, .rounds = 1, .len = 184, .batch = 64,
	    .threads = 2, .sources = 1u << 20, .max_packets = 1000000,
	    .seconds = 10, .res = "web", .duration = 30 };
	struct pool p = { .n = 0 };
	const char *dmac = NULL;
	int ch, junk, forged, ret;
	uint64_t t0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_send valid|forged|random|lines [options]\n");
		return 2;
	}
	o.mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': o.ifname = optarg; break;
		case 'm': dmac = optarg; break;
		case 'd': o.dst = bench_ip(optarg); break;
		case 's': o.src_base = bench_ip(optarg); break;
		case 'p': o.port = (uint16_t)bench_num(optarg, "port"); break;
		case 'c': o.creds = optarg; break;
		case 'P': o.payloads = optarg; break;
		case 'f': o.first = bench_num(optarg, "first"); break;
		case 'n': o.count = bench_num(optarg, "count"); break;
		case 'R': o.rounds = bench_num(optarg, "rounds"); break;
		case 'l': o.len = bench_num(optarg, "len"); break;
		case 'r': o.rate = bench_num(optarg, "rate"); break;
		case 'S': o.sources = bench_num(optarg, "sources"); break;
		case 'M': o.max_packets = bench_num(optarg, "max-packets"); break;
		case 't': o.seconds = bench_num(optarg, "seconds"); break;
		case 'b': o.batch = bench_num(optarg, "batch"); break;
		case 'T': o.threads = bench_num(optarg, "threads"); break;
		case 'o': o.pcap_out = optarg; break;
		case 'O': o.ts_offset = bench_num(optarg, "ts-offset-ms"); break;
		case 'e': o.res = strcmp(optarg, "-") ? optarg : NULL; break;
		case 'D': o.duration = (uint32_t)bench_num(optarg, "duration"); break;
		case 'E': o.same_expiry = 1; break;
		default: return 2;
		}
	}
	junk = !strcmp(o.mode, "forged") || !strcmp(o.mode, "random");
	forged = !strcmp(o.mode, "forged");
	if (dmac == NULL || bench_parse_mac(dmac, o.dmac) != 0 || o.dst == 0 ||
	    o.src_base == 0 || o.batch == 0 || o.batch > MAX_BATCH ||
	    o.threads == 0 || o.threads > 16 || o.sources == 0 ||
	    o.seconds == 0 || o.seconds > 600 || o.max_packets > 100000000 ||
	    o.duration > KNOCK_MAX_DURATION ||
	    (o.pcap_out == NULL && o.ifname == NULL)) {
		fprintf(stderr, "bench_send: --dst-mac, --dst, --src-base and --ifname "
		    "(or --pcap-out) are required; --seconds 1..600\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (o.ifname != NULL) {
		int fd = bench_packet_socket(o.ifname, o.smac);
		if (fd < 0)
			return 1;
		close(fd);
	}
	t0 = bench_ns();
	if (!strcmp(o.mode, "valid"))
		ret = o.creds && o.count && o.rounds ? make_valid(&o, &p) : -1;
	else if (junk)
		ret = make_junk(&o, &p, forged);
	else if (!strcmp(o.mode, "lines"))
		ret = o.payloads ? make_lines(&o, &p) : -1;
	else
		ret = -1;
	if (ret != 0) {
		fprintf(stderr, "bench_send: cannot prepare %s packets\n", o.mode);
		return 1;
	}
	printf("build_seconds=%.3f ", (double)(bench_ns() - t0) / 1e9);
	fflush(stdout);
	if (o.pcap_out != NULL)
		return write_pcap(&o, &p);
	return blast(&o, &p, junk, forged);
}
