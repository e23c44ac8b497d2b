/* SPDX-License-Identifier: ISC */
#ifndef SPA_BENCHLIB_H
#define SPA_BENCHLIB_H

/*
 * Shared helpers of the benchmark tools (tests/bench/bench_NAME.c): the agents'
 * credentials kept by bench_gen, knocks built as the client builds them,
 * hand-made Ethernet/IPv4/UDP frames for the AF_PACKET sender, clocks and
 * percentiles. Benchmark code only: nothing here is part of the product.
 */

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* One agent as the sender sees it: its keys and its knock key. */
struct bench_agent {
	uint8_t sk[KEY_SK_LEN];
	uint8_t pk[KEY_PK_LEN];
	uint8_t id[KEY_ID_LEN];
	uint8_t key[KEY_SESSION_LEN];
};

struct bench_creds {
	uint8_t gw_pk[KEY_PK_LEN];
	size_t n;
	struct bench_agent *a;		/* malloc'd */
};

/* The credentials file: "SPABENCH1\n", gw_pk, count (u64 LE), records. */
int bench_creds_save(const char *path, const uint8_t gw_pk[KEY_PK_LEN],
    const struct bench_agent *a, size_t n);
int bench_creds_load(const char *path, struct bench_creds *c);
void bench_creds_free(struct bench_creds *c);

/* A knock of agent a for the resources named in res, comma-separated (NULL
 * or "": every entitled one), lasting dur seconds, stamped ts_ms, into out
 * (KNOCK_MAX_LEN); its length, 0 on error. */
size_t bench_knock(const struct bench_agent *a, const uint8_t gw_pk[KEY_PK_LEN],
    uint64_t ts_ms, const char *res, uint32_t dur, uint8_t *out);

#define BENCH_FRAME_HDR (14 + 20 + 8)
#define BENCH_FRAME_MAX (BENCH_FRAME_HDR + 1500)

/* Ethernet + IPv4 + UDP (checksum 0) around payload; the frame's length.
 * Addresses are in host byte order. */
size_t bench_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
    uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
    const uint8_t *payload, size_t len);
/* Rewrite the IPv4 source address of a frame made by bench_frame. */
void bench_frame_set_src(uint8_t *f, uint32_t src);

/* AF_PACKET socket bound to ifname, qdisc bypassed; its MAC in mac. */
int bench_packet_socket(const char *ifname, uint8_t mac[6]);

int bench_parse_mac(const char *s, uint8_t mac[6]);
/* Dotted quad to host order; 0 on error. */
uint32_t bench_ip(const char *s);
void bench_ip_str(uint32_t ip, char buf[16]);

/* CLOCK_MONOTONIC in ns; CLOCK_REALTIME in ms and ns. */
uint64_t bench_ns(void);
uint64_t bench_wall_ms(void);
uint64_t bench_wall_ns(void);
void bench_sleep_ns(uint64_t ns);

/* Pin the calling thread to one CPU; 0 or -1. */
int bench_pin(int cpu);

/* Sort v in place; the p-th percentile (nearest rank, p in 0..100). */
void bench_sort(uint64_t *v, size_t n);
uint64_t bench_pct(const uint64_t *sorted, size_t n, double p);

/* Resident and peak resident memory of pid (0: self), in KiB. */
int bench_rss(int pid, uint64_t *rss_kib, uint64_t *hwm_kib);

/* getopt helpers: a decimal number or die with a message. */
uint64_t bench_num(const char *s, const char *what);

#endif
