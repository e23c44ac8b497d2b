/* SPDX-License-Identifier: ISC */
/* bench_lat: knock-to-open latency seen from the agent, and its service. */
/*
 * bench_lat: knock-to-open latency seen from the agent, and the service it
 * connects to.
 *
 *   bench_lat serve --port P --seconds S
 *       accept and close TCP connections on [::]:P for S seconds.
 *   bench_lat spa --creds F --first I --count N --gw IP --src-base IP [opts]
 *       knock as agent I+k from address src-base+k (k < N), one fresh
 *       knock each, then time until a TCP connect to gw:port succeeds.
 *       --agents K: agents I..I+K-1 take turns instead (K >= 20 keeps each
 *       under the daemon's per-agent limit); --warm-src IP: each of them
 *       knocks once from IP first, so the samples see the daemon's steady
 *       state (the knock key cached) rather than a first knock.
 *   bench_lat probe --gw IP --src-base SRC [--port P] [--timeout-ms T]
 *       connect attempts from SRC (no knock) until one succeeds or T ms
 *       pass: prints open=1 ms=... or open=0 (is an opening live?).
 *   bench_lat lines --payloads FILE --first I --count N --gw IP [opts]
 *       the same with ready-made datagrams, one "SRC PAYLOAD" per line
 *       (fwknop's SPA packets are printable).
 *
 * Options: --knock-port 62201 --port 8080 --gap-us 2000 (pause between
 * samples) --retry-us 30 (life of one connect attempt) --timeout-ms 1000
 * --out FILE (one "latency_us attempts" line per sample; -1: no opening).
 *
 * A connect attempt is a fresh non-blocking socket bound to the knock's
 * source: its SYN is dropped until the opening exists, and a dropped SYN
 * would only be retried by the kernel after a second, so the attempt is
 * abandoned after --retry-us and a new one made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "benchlib.h"
#include "knock.h"

struct opt {
	const char *creds, *payloads, *out, *res;
	size_t first, count, agents;
	uint32_t warm_src;
	uint32_t gw, src_base;
	uint16_t knock_port, port;
	uint64_t gap_us, retry_us, timeout_ms, seconds;
	uint32_t dur;
};

static struct sockaddr_in
sin4(uint32_t ip, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	s.sin_addr.s_addr = htonl(ip);
	s.sin_port = htons(port);
	return s;
}

static int
serve(const struct opt *o)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	uint64_t end = bench_ns() + o->seconds * 1000000000ull;
	int fd, one = 1, zero = 0;

	a.sin6_port = htons(o->port);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
		perror("serve");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (bench_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(c);
	}
	close(fd);
	return 0;
}

/* One connect attempt from src; 1 connected, 0 not (yet), -1 error. */
static int
attempt(const struct opt *o, uint32_t src)
{
	struct sockaddr_in from = sin4(src, 0), to = sin4(o->gw, o->port);
	struct timespec ts = { 0, (long)o->retry_us * 1000 };
	struct pollfd p = { .events = POLLOUT };
	struct linger lg = { 1, 0 };
	int err = 0, r = 0;
	socklen_t len = sizeof(err);

	p.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p.fd < 0 || bind(p.fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
		perror("connect socket");
		if (p.fd >= 0)
			close(p.fd);
		return -1;
	}
	if (connect(p.fd, (struct sockaddr *)&to, sizeof(to)) == 0)
		r = 1;
	else if (errno != EINPROGRESS)
		r = -1;
	else if (ppoll(&p, 1, &ts, NULL) == 1 && (p.revents & POLLOUT) &&
	    getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0)
		r = err == 0 ? 1 : (err == ETIMEDOUT || err == EHOSTUNREACH ? 0 : -1);
	/* Reset rather than linger: thousands of samples leave no TIME_WAIT. */
	setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(p.fd);
	return r;
}

/* Send one datagram from src, then connect until it opens; ns or 0. */
static uint64_t
sample(const struct opt *o, uint32_t src, const void *pkt, size_t len,
    unsigned *tries)
{
	struct sockaddr_in from = sin4(src, 0), to = sin4(o->gw, o->knock_port);
	uint64_t t0, deadline;
	int fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
		perror("knock socket (is the source address configured?)");
		exit(1);
	}
	t0 = bench_ns();
	deadline = t0 + o->timeout_ms * 1000000ull;
	if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
		perror("sendto");
		exit(1);
	}
	close(fd);
	for (*tries = 1; (r = attempt(o, src)) == 0; (*tries)++)
		if (bench_ns() > deadline)
			return 0;
	if (r < 0) {
		fprintf(stderr, "connect failed: %s\n", strerror(errno));
		exit(1);
	}
	return bench_ns() - t0;
}

static void
report(const struct opt *o, uint64_t *ns, unsigned *tries, size_t n)
{
	uint64_t *ok = calloc(n ? n : 1, sizeof(*ok)), sum = 0;
	size_t k = 0;
	FILE *f = o->out ? fopen(o->out, "w") : NULL;

	for (size_t i = 0; i < n; i++) {
		if (f != NULL)
			fprintf(f, "%.1f %u\n", ns[i] ? (double)ns[i] / 1e3 : -1.0,
			    tries[i]);
		if (ns[i] != 0) {
			ok[k++] = ns[i];
			sum += ns[i];
		}
	}
	if (f != NULL)
		fclose(f);
	bench_sort(ok, k);
	printf("n=%zu ok=%zu lost=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f "
	    "max_us=%.1f min_us=%.1f mean_us=%.1f\n", n, k, n - k,
	    bench_pct(ok, k, 50) / 1e3, bench_pct(ok, k, 90) / 1e3,
	    bench_pct(ok, k, 99) / 1e3, k ? ok[k - 1] / 1e3 : 0.0,
	    k ? ok[0] / 1e3 : 0.0, k ? (double)sum / (double)k / 1e3 : 0.0);
	free(ok);
}

static char **
read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;

	*n = 0;
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while ((len = getline(&line, &lcap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (*n == cap && (v = realloc(v, (cap = cap ? cap * 2 : 256) *
		    sizeof(*v))) == NULL)
			exit(1);
		v[(*n)++] = strdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

static int
run(const struct opt *o, int lines)
{
	uint64_t *ns = calloc(o->count, sizeof(*ns));
	unsigned *tries = calloc(o->count, sizeof(*tries));
	struct bench_creds c = { .n = 0 };
	char **pl = NULL;
	size_t npl = 0;
	uint8_t pkt[KNOCK_MAX_LEN];

	if (ns == NULL || tries == NULL)
		return 1;
	if (lines)
		pl = read_lines(o->payloads, &npl);
	else if (bench_creds_load(o->creds, &c) != 0)
		return 1;
	if ((lines ? npl : c.n) < o->first + (o->agents ? o->agents : o->count)) {
		fprintf(stderr, "only %zu agents/payloads, need %zu\n",
		    lines ? npl : c.n, o->first + o->count);
		return 1;
	}
	if (!lines && o->agents && o->first + o->agents > c.n) {
		fprintf(stderr, "only %zu agents\n", c.n);
		return 1;
	}
	if (!lines && o->warm_src) {
		struct sockaddr_in from = sin4(o->warm_src, 0), to = sin4(o->gw, o->knock_port);
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
			perror("warm-up socket");
			return 1;
		}
		for (size_t j = 0; j < (o->agents ? o->agents : o->count); j++) {
			size_t len = bench_knock(&c.a[o->first + j], c.gw_pk,
			    bench_wall_ms(), o->res, o->dur, pkt);
			sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
			bench_sleep_ns(1000000);
		}
		close(fd);
		bench_sleep_ns(200000000);
	}
	for (size_t i = 0; i < o->count; i++) {
		size_t len;
		uint32_t src;
		size_t ag = o->first + (o->agents ? i % o->agents : i);

		if (lines) {
			char *sp = strchr(pl[o->first + i], ' ');
			if (sp == NULL)
				return 1;
			*sp = '\0';
			src = bench_ip(pl[o->first + i]);
			len = strlen(sp + 1);
			if (len > sizeof(pkt))
				return 1;
			memcpy(pkt, sp + 1, len);
		} else {
			src = o->src_base + (uint32_t)i;
			len = bench_knock(&c.a[ag], c.gw_pk,
			    bench_wall_ms(), o->res, o->dur, pkt);
		}
		ns[i] = sample(o, src, pkt, len, &tries[i]);
		bench_sleep_ns(o->gap_us * 1000);
	}
	report(o, ns, tries, o->count);
	bench_creds_free(&c);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "creds", required_argument, NULL, 'c' },
		{ "payloads", required_argument, NULL, 'P' },
		{ "first", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "gw", required_argument, NULL, 'g' },
		{ "src-base", required_argument, NULL, 's' },
		{ "knock-port", required_argument, NULL, 'k' },
		{ "port", required_argument, NULL, 'p' },
		{ "gap-us", required_argument, NULL, 'G' },
		{ "retry-us", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "resource", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "agents", required_argument, NULL, 'a' },
		{ "warm-src", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct opt o = { .knock_port = 62201, .port = 8080, .gap_us = 2000,
	    .retry_us = 30, .timeout_ms = 1000, .seconds = 60, .res = "web",
	    .dur = 30, .count = 200 };
	const char *mode;
	int ch;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_lat serve|spa|lines [options]\n");
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.creds = optarg; break;
		case 'P': o.payloads = optarg; break;
		case 'f': o.first = bench_num(optarg, "first"); break;
		case 'n': o.count = bench_num(optarg, "count"); break;
		case 'g': o.gw = bench_ip(optarg); break;
		case 's': o.src_base = bench_ip(optarg); break;
		case 'k': o.knock_port = (uint16_t)bench_num(optarg, "port"); break;
		case 'p': o.port = (uint16_t)bench_num(optarg, "port"); break;
		case 'G': o.gap_us = bench_num(optarg, "gap"); break;
		case 'r': o.retry_us = bench_num(optarg, "retry"); break;
		case 't': o.timeout_ms = bench_num(optarg, "timeout"); break;
		case 'S': o.seconds = bench_num(optarg, "seconds"); break;
		case 'R': o.res = optarg; break;
		case 'd': o.dur = (uint32_t)bench_num(optarg, "duration"); break;
		case 'o': o.out = optarg; break;
		case 'a': o.agents = bench_num(optarg, "agents"); break;
		case 'w': o.warm_src = bench_ip(optarg); break;
		default: return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	/* Sub-10 us timers: the default 50 us slack would blur every sample. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (strcmp(mode, "serve") == 0)
		return serve(&o);
	if (strcmp(mode, "probe") == 0 && o.gw && o.src_base && o.retry_us &&
	    o.timeout_ms <= 60000) {
		uint64_t t0 = bench_ns(), end = t0 + o.timeout_ms * 1000000ull;
		int r;

		while ((r = attempt(&o, o.src_base)) == 0 && bench_ns() < end)
			;
		if (r < 0)
			return 1;
		if (r == 1)
			printf("open=1 ms=%.3f\n", (double)(bench_ns() - t0) / 1e6);
		else
			printf("open=0\n");
		return 0;
	}
	if (o.gw == 0 || o.count == 0 || o.count > 1000000 || o.retry_us == 0 ||
	    o.retry_us > 1000000 || o.timeout_ms > 60000) {
		fprintf(stderr, "bench_lat: --gw, --count (1..1e6), --retry-us, "
		    "--timeout-ms are required and bounded\n");
		return 2;
	}
	if (strcmp(mode, "spa") == 0 && o.creds && o.src_base)
		return run(&o, 0);
	if (strcmp(mode, "lines") == 0 && o.payloads)
		return run(&o, 1);
	fprintf(stderr, "bench_lat: bad mode or missing --creds/--src-base/--payloads\n");
	return 2;
}
