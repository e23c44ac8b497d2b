/* SPDX-License-Identifier: ISC */
#ifndef SPA_H
#define SPA_H

/*
 * libspa-client: knock on a spa-gateway before connecting to what it hides.
 *
 * A handle holds one agent's credentials (its Ed25519 secret key, the gateway's
 * address, port and public key), loaded from the credential file that
 * `spa-admin agent add` wrote. The library never prints and never exits: every
 * call returns SPA_OK or a negative spa_err code; spa_strerror() describes it
 * and spa_error_detail() says more (which file, which address, which step).
 *
 * Configuration without code (read by spa_client_open()):
 *   SPA_CREDENTIALS  the credential file, when the caller passes NULL. Unset:
 *                    $XDG_CONFIG_HOME/spa-gateway/credentials (XDG_CONFIG_HOME
 *                    defaults to ~/.config), then /etc/spa-gateway/credentials,
 *                    the first that exists.
 *   SPA_GATEWAY      HOST, HOST:PORT, [V6]:PORT: replaces the gateway address
 *                    and port of the credential file (port kept if omitted).
 *   SPA_TIMEOUT_MS   how long spa_connect() and spa_knock_wait() wait for the
 *                    resource after the knock when the caller passes 0
 *                    (1 to 3600000; default SPA_DEFAULT_TIMEOUT_MS).
 *
 * Threads: a handle is read-only after spa_client_open(), so any number of
 * threads may call spa_knock(), spa_connect() and spa_knock_wait() on one
 * handle at once. Only spa_client_set_gateway(), spa_client_set_address()
 * and spa_client_close() need
 * the caller to ensure no other thread uses the handle. Processes that share
 * one credential file may knock at the same time: every knock carries its own
 * random nonce. (The gateway rate-limits each agent: 20 knocks/s, burst 50.)
 *
 * Address families: when the gateway's name resolves to IPv4 and IPv6,
 * spa_knock() knocks over both, so both openings exist; spa_connect() and
 * spa_knock_wait() knock over the family of the resource they wait for.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; these are its exports. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define SPA_CLIENT_API_VERSION 2

/* How long to wait for a resource after the knock unless told otherwise. */
#define SPA_DEFAULT_TIMEOUT_MS 5000

enum spa_err {
	SPA_OK = 0,
	SPA_ERR_ARG = -1,		/* invalid argument */
	SPA_ERR_NOMEM = -2,		/* out of memory */
	SPA_ERR_CREDENTIALS = -3,	/* credential file unreadable or invalid */
	SPA_ERR_RESOLVE = -4,		/* gateway address does not resolve */
	SPA_ERR_SEND = -5,		/* the knock could not be sent */
	SPA_ERR_CRYPTO = -6,		/* libsodium failed to initialise or to seal */
	SPA_ERR_TIMEOUT = -7,		/* no answer from the resource after the knock */
	SPA_ERR_REFUSED = -8,		/* the resource refused the connection */
	SPA_ERR_NOROUTE = -9,		/* no route to the resource */
	SPA_ERR_CONNECT = -10,		/* another connect error */
	SPA_ERR_HOST = -11		/* resource address does not resolve */
};

struct spa_client;

/* Open a handle from a credential file (NULL: see SPA_CREDENTIALS above);
 * $SPA_GATEWAY overrides the gateway address. */
int spa_client_open(struct spa_client **out, const char *credentials);

/* Close a handle and wipe its secrets; NULL is a no-op. */
void spa_client_close(struct spa_client *c);

/* Override the gateway's address and port ("HOST[:PORT]", "[V6]:PORT").
 * Not while other threads use the handle. */
int spa_client_set_gateway(struct spa_client *c, const char *hostport);

/* Ask the gateway to open for this literal IPv4 or IPv6 address instead of
 * the knock's source (for an agent behind NAT; the gateway refuses it unless
 * its operator allows it). NULL or "": the source again. Not while other
 * threads use the handle. */
int spa_client_set_address(struct spa_client *c, const char *address);

/*
 * Send one knock for the named resources (n 0: every resource the agent is
 * entitled to; at most 16 names, which with a length byte each take at most
 * 256 bytes, e.g. 16 of 15 characters; else SPA_ERR_ARG), asking for duration
 * seconds (0: the gateway's default; the gateway clamps it to the policy
 * maximum). Returns SPA_OK once the datagram is sent (to each address family
 * of the gateway): the gateway never answers.
 */
int spa_knock(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration);

/*
 * Knock as spa_knock() does (over the address family of the targets), then
 * wait until every target ("HOST:PORT", "[V6]:PORT"; at most 16) accepts a TCP
 * connection, retrying about every millisecond, for at most timeout_ms (0:
 * $SPA_TIMEOUT_MS or SPA_DEFAULT_TIMEOUT_MS). Each probe connection is closed
 * at once. No targets: the same as spa_knock(). Errors as spa_connect().
 */
int spa_knock_wait(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration, const char *const *targets, size_t ntargets,
    unsigned timeout_ms);

/*
 * Knock for resource (NULL: every resource of the agent), then connect over
 * TCP to host (a name or an IPv4 or IPv6 literal) and port, retrying the
 * connect about every millisecond until it succeeds or timeout_ms pass (0: as
 * spa_knock_wait()). On SPA_OK *fd is a connected, blocking, close-on-exec
 * socket the caller owns; otherwise *fd is -1 and the error names the step:
 * SPA_ERR_HOST (host does not resolve), SPA_ERR_CREDENTIALS/RESOLVE/SEND (the
 * knock), SPA_ERR_TIMEOUT (no answer after the knock: not entitled, knock
 * refused or lost, or the resource is down), SPA_ERR_REFUSED (the opening is
 * there but nothing listens), SPA_ERR_NOROUTE, SPA_ERR_CONNECT.
 */
int spa_connect(struct spa_client *c, const char *resource, const char *host,
    uint16_t port, uint32_t duration, unsigned timeout_ms, int *fd);

/*
 * Build a knock as spa_knock() would, without sending it, into buf (cap bytes;
 * SPA_KNOCK_MAX_LEN is always enough); *len receives its length.
 */
#define SPA_KNOCK_MAX_LEN 436
int spa_knock_build(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration, uint8_t *buf, size_t cap, size_t *len);

/* Send a datagram built by spa_knock_build() to the gateway (its first
 * address: a knock is good for one opening only). */
int spa_send(struct spa_client *c, const uint8_t *buf, size_t len);

/* A description of an error code; never NULL. */
const char *spa_strerror(int err);

/* Detail of the last error in this thread (for example the file and line of a
 * bad credential file, or the address that did not answer); "" if none. */
const char *spa_error_detail(void);

/* The agent's name and the hex key id from the credential file. */
const char *spa_client_agent(const struct spa_client *c);
const char *spa_client_key_id(const struct spa_client *c);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
