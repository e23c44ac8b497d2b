#ifndef SPA_H
#define SPA_H

/*
 * libspa-client: knock on a spa-gateway before connecting to what it hides.
 *
 * A handle holds one agent's credentials (its Ed25519 secret key, the gateway's
 * address, port and public key), loaded from the credential file that
 * `spa-admin agent add` wrote. The library never prints and never exits: every
 * call returns SPA_OK or a negative spa_err code; spa_strerror() describes it.
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

#define SPA_CLIENT_API_VERSION 1

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
	SPA_ERR_CONNECT = -10		/* another connect error */
};

struct spa_client;

/* Open a handle from a credential file (path NULL: $SPA_CREDENTIALS).
 * $SPA_GATEWAY (HOST[:PORT]) overrides the gateway address. */
int spa_client_open(struct spa_client **out, const char *credentials);

/* Close a handle and wipe its secrets; NULL is a no-op. */
void spa_client_close(struct spa_client *c);

/* Override the gateway's address and port ("HOST[:PORT]", "[V6]:PORT"). */
int spa_client_set_gateway(struct spa_client *c, const char *hostport);

/*
 * Send one knock for the named resources (n 0: every resource the agent is
 * entitled to), asking for duration seconds (0: the gateway's default).
 * Returns SPA_OK once the datagram is sent: the gateway never answers.
 */
int spa_knock(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration);

/*
 * Build a knock as spa_knock() would, without sending it, into buf (cap bytes;
 * SPA_KNOCK_MAX_LEN is always enough); *len receives its length.
 */
#define SPA_KNOCK_MAX_LEN 1204
int spa_knock_build(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration, uint8_t *buf, size_t cap, size_t *len);

/* Send a datagram built by spa_knock_build() to the gateway. */
int spa_send(struct spa_client *c, const uint8_t *buf, size_t len);

/* A description of an error code; never NULL. */
const char *spa_strerror(int err);

/* Detail of the last error in this thread (for example the file and line of a
 * bad credential file); "" if none. */
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
