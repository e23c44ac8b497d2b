/* SPDX-License-Identifier: ISC */
#ifndef SPA_CAPTURE_H
#define SPA_CAPTURE_H

/*
 * Knock capture with libpcap: the kernel filter (classic BPF) passes only UDP
 * to the knock port with a plausible length; the rest of the parsing (link,
 * IPv4/IPv6, UDP) is done here on hostile bytes, bounds-checked.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct knock_pkt {
	struct spa_addr src;
	struct spa_addr dst;
	uint16_t sport;
	const uint8_t *data;		/* UDP payload */
	size_t len;
	/* When the kernel took it in (capture timestamp, microseconds since
	 * the Unix epoch); 0: unknown (read from a file). */
	uint64_t arrived_us;
};

typedef void (*capture_fn)(const struct knock_pkt *pkt, void *arg);

struct capture;

/* Sniff iface live (immediate mode); NULL on error. */
struct capture *capture_open_live(const char *iface, uint16_t port);
/* Read a pcap file (offline mode, for tests and fuzzing); NULL on error. */
struct capture *capture_open_file(const char *path, uint16_t port);
void capture_close(struct capture *c);

/* A descriptor to poll for readability (live only; -1 offline). */
int capture_fd(const struct capture *c);

/* Hand up to max available packets (-1: all) to fn; returns the count, -1 on
 * error, -2 at the end of an offline file. */
int capture_dispatch(struct capture *c, int max, capture_fn fn, void *arg);

/* Packets the kernel dropped for lack of buffer space (live only). */
unsigned capture_drops(struct capture *c);

/* Parse one captured frame of link type dlt; 0 and *pkt filled, or -1. */
int capture_parse(int dlt, const uint8_t *frame, size_t caplen, uint16_t port,
    struct knock_pkt *pkt);

#endif
