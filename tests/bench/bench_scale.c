/* SPDX-License-Identifier: ISC */
/* bench_scale: memory and time of the daemon's own tables, in process. */
/*
 * bench_scale: the memory and time of the daemon's own tables, measured in
 * process with the product's modules: the agent table (rules/agentdb) and
 * the index of live openings (gatewayd/openings) that revocation uses.
 *
 *   bench_scale --agents DIR [--openings N] [--per-knock K]
 *
 * Loads DIR like the daemon does (time, heap and RSS growth), then records N
 * openings as N/K knocks would, each of a next agent from a source of its
 * own, opening K resources (tcp ports 9001..9000+K; time, heap and RSS
 * growth), makes one pass of the daemon's sweep over them (its calls, the
 * longest call), then forgets them all as expired (time). An estimate in
 * process: the bench's scale scenario measures the daemon itself.
 */
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agentdb.h"
#include "benchlib.h"
#include "openings.h"
#include "util.h"

static uint64_t
heap(void)
{
	struct mallinfo2 m = mallinfo2();

	return (uint64_t)(m.uordblks + m.hblkhd);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agents", required_argument, NULL, 'a' },
		{ "openings", required_argument, NULL, 'o' },
		{ "per-knock", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	uint64_t nopen = 1000000, per = 10, t0, h0, h1, r0, r1, hwm, now;
	struct agentdb *db;
	struct openings *op;
	size_t na;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': dir = optarg; break;
		case 'o': nopen = bench_num(optarg, "openings"); break;
		case 'k': per = bench_num(optarg, "per-knock"); break;
		default: return 2;
		}
	}
	if (dir == NULL || nopen > 20000000 || per == 0 || per > 1000) {
		fprintf(stderr, "usage: bench_scale --agents DIR [--openings N] "
		    "[--per-knock K]\n");
		return 2;
	}
	bench_rss(0, &r0, &hwm);
	h0 = heap();
	t0 = bench_ns();
	if ((db = agentdb_load(dir)) == NULL || (na = agentdb_count(db)) == 0)
		return 1;
	bench_rss(0, &r1, &hwm);
	h1 = heap();
	printf("agents=%zu load_ms=%.1f heap_kib=%llu rss_kib=%llu bytes_per_agent=%.0f\n",
	    na, (double)(bench_ns() - t0) / 1e6, (unsigned long long)(h1 - h0) / 1024,
	    (unsigned long long)(r1 - r0), (double)(h1 - h0) / (double)na);
	if (nopen == 0 || (op = openings_new()) == NULL)
		return 0;
	now = util_now_ms();
	r0 = r1;
	h0 = h1;
	t0 = bench_ns();
	for (uint64_t i = 0; i < nopen; i++) {
		const struct agent *a = agentdb_at(db, (size_t)(i / per % na));
		struct fw_elem e;
		uint32_t src = 0x0a800000u + (uint32_t)(i / per);

		memset(&e, 0, sizeof(e));
		e.src.family = 4;
		e.src.bytes[0] = (uint8_t)(src >> 24);
		e.src.bytes[1] = (uint8_t)(src >> 16);
		e.src.bytes[2] = (uint8_t)(src >> 8);
		e.src.bytes[3] = (uint8_t)src;
		e.proto = IPPROTO_TCP;
		e.port_lo = e.port_hi = (uint16_t)(9001 + i % per);
		e.timeout_ms = 30000;
		if (openings_add(op, a->key_id, &e, now + 30000) != 0)
			return 1;
	}
	bench_rss(0, &r1, &hwm);
	h1 = heap();
	printf("openings=%llu add_ms=%.1f heap_kib=%llu rss_kib=%llu bytes_per_opening=%.0f",
	    (unsigned long long)openings_total(op), (double)(bench_ns() - t0) / 1e6,
	    (unsigned long long)(h1 - h0) / 1024, (unsigned long long)(r1 - r0),
	    (double)(r1 - r0) * 1024 / (double)nopen);	/* records: mapped */
	/* A pass of the daemon's sweep (it removes nothing yet): its calls,
	 * the longest one. Then the whole prune at once. */
	{
		uint64_t worst = 0, t;
		int calls = 0, done = 0;

		while (!done && calls < 1000000) {
			t = bench_ns();
			done = openings_sweep(op, now + 60000);
			t = bench_ns() - t;
			worst = t > worst ? t : worst;
			calls++;
		}
		printf(" sweep_calls=%d sweep_max_us=%.0f", calls, (double)worst / 1e3);
	}
	t0 = bench_ns();
	openings_prune(op, now + 60000);
	printf(" prune_ms=%.1f left=%zu\n", (double)(bench_ns() - t0) / 1e6,
	    openings_total(op));
	openings_free(op);
	agentdb_free(db);
	return 0;
}
