/* SPDX-License-Identifier: ISC */
#ifndef SPA_PROBE_H
#define SPA_PROBE_H

/*
 * Fast TCP connect retries after a knock. The first SYN may reach the gateway
 * before the opening does; the kernel would then retransmit it only after a
 * second. So a fresh non-blocking socket connects every millisecond (backing
 * off after PROBE_FAST_TRIES), earlier attempts stay in flight in case the
 * path is slow, and the first to complete wins.
 */

#include <stdint.h>
#include <sys/socket.h>

#define PROBE_MAX_ADDRS 8

struct probe_target {
	struct sockaddr_storage sa[PROBE_MAX_ADDRS];
	socklen_t salen[PROBE_MAX_ADDRS];
	int n;
	char text[300];		/* "host:port" for messages */
};

struct spa_client;

/* Resolve host and port (TCP) into t, keeping the addresses of one family:
 * the first one the gateway of c has an address of, else the first resolved
 * (a knock opens for its own source address, so the connect must use the
 * knock's family). SPA_OK or SPA_ERR_HOST / SPA_ERR_ARG (reported). */
int probe_resolve(const struct spa_client *c, const char *host, uint16_t port,
    struct probe_target *t);

/* Parse "HOST:PORT" or "[V6]:PORT", then as probe_resolve. */
int probe_parse(const struct spa_client *c, const char *hostport,
    struct probe_target *t);

/* Connect to t, retrying until deadline_ms (util_mono_ms clock; timeout_ms
 * after the knock, for the message). SPA_OK with a connected blocking socket
 * in *fd, or SPA_ERR_TIMEOUT, _REFUSED, _NOROUTE, _CONNECT (reported, naming
 * t->text). */
int probe_connect(const struct probe_target *t, uint64_t deadline_ms,
    unsigned timeout_ms, int *fd);

#endif
