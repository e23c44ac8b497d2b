/* SPDX-License-Identifier: ISC */
/* libspa-client: the handle, building and sending knocks. */
/*
 * Never prints, never exits. A handle is read-only after spa_client_open
 * (and spa_client_set_gateway), so threads may knock through one handle at
 * once: each knock uses its own nonce (randombytes is thread-safe) and its
 * own socket, and error details live in per-thread storage (diag.c).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "client_int.h"
#include "addr.h"
#include "diag.h"
#include "keyfile.h"
#include "knock.h"
#include "spa.h"
#include "util.h"

_Static_assert(SPA_KNOCK_MAX_LEN == KNOCK_MAX_LEN, "public knock size");

#define SYSTEM_CREDENTIALS "/etc/spa-gateway/credentials"

struct spa_client {
	struct cred cred;
	uint8_t key[KEY_SESSION_LEN];
	char key_id[2 * KEY_ID_LEN + 1];
	/* gw[0] is the first address the gateway resolved to; gw[1], when
	 * ngw is 2, the first of the other family. */
	struct sockaddr_storage gw[2];
	socklen_t gwlen[2];
	int ngw;
	unsigned timeout_ms;
	struct spa_addr open_for;	/* family 0: the knock's source */
};

void
client_clear_detail(void)
{
	diag(NULL, 0, "%s", "");
}

static int
resolve(struct spa_client *c, const char *host, uint16_t port)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char portstr[8];
	int err;

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	err = getaddrinfo(host, portstr, &hints, &res);
	if (err != 0 || res == NULL) {
		diag(NULL, 0, "cannot resolve gateway '%s': %s", host,
		    err ? gai_strerror(err) : "no address");
		if (res)
			freeaddrinfo(res);
		return SPA_ERR_RESOLVE;
	}
	c->ngw = 0;
	for (ai = res; ai != NULL && c->ngw < 2; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(c->gw[0]) ||
		    (c->ngw == 1 && ai->ai_family == c->gw[0].ss_family))
			continue;
		memcpy(&c->gw[c->ngw], ai->ai_addr, ai->ai_addrlen);
		c->gwlen[c->ngw++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (c->ngw == 0) {
		diag(NULL, 0, "gateway '%s' has no IPv4 or IPv6 address", host);
		return SPA_ERR_RESOLVE;
	}
	return SPA_OK;
}

int
spa_client_set_address(struct spa_client *c, const char *address)
{
	struct spa_addr a;

	client_clear_detail();
	if (c == NULL)
		return SPA_ERR_ARG;
	if (address == NULL || *address == '\0') {
		memset(&c->open_for, 0, sizeof(c->open_for));
		return SPA_OK;
	}
	if (addr_parse(address, &a) != 0) {
		diag(NULL, 0, "'%s' is not an IPv4 or IPv6 address", address);
		return SPA_ERR_ARG;
	}
	c->open_for = a;
	return SPA_OK;
}

int
spa_client_set_gateway(struct spa_client *c, const char *hostport)
{
	char host[KEYFILE_HOST_MAX];
	const char *colon, *end;
	uint64_t port = c ? c->cred.gw_port : 0;
	size_t hlen;

	client_clear_detail();
	if (c == NULL || hostport == NULL || *hostport == '\0')
		return SPA_ERR_ARG;
	if (hostport[0] == '[') {		/* [v6]:port */
		end = strchr(hostport, ']');
		if (end == NULL)
			goto bad;
		hostport++;
		hlen = (size_t)(end - hostport);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strchr(hostport, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;		/* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - hostport) : strlen(hostport);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	if (colon != NULL && util_parse_u64(colon + 1, 1, 65535, &port) != 0) {
		diag(NULL, 0, "bad gateway port in '%s'", hostport);
		return SPA_ERR_ARG;
	}
	return resolve(c, host, (uint16_t)port);
bad:
	diag(NULL, 0, "bad gateway address '%s' (HOST, HOST:PORT or [V6]:PORT)",
	    hostport);
	return SPA_ERR_ARG;
}

/* The credential file when the caller names none: SPA_CREDENTIALS, else the
 * per-user file, else the system one (the first that exists). */
static int
default_credentials(char *buf, size_t len)
{
	const char *env = getenv("SPA_CREDENTIALS"), *xdg, *home;
	int n = -1;

	if (env != NULL && *env != '\0')
		return util_strlcpy(buf, env, len);
	xdg = getenv("XDG_CONFIG_HOME");
	home = getenv("HOME");
	if (xdg != NULL && *xdg == '/')
		n = snprintf(buf, len, "%s/spa-gateway/credentials", xdg);
	else if (home != NULL && *home == '/')
		n = snprintf(buf, len, "%s/.config/spa-gateway/credentials", home);
	if (n > 0 && (size_t)n < len && access(buf, F_OK) == 0)
		return 0;
	if (access(SYSTEM_CREDENTIALS, F_OK) == 0)
		return util_strlcpy(buf, SYSTEM_CREDENTIALS, len);
	diag(NULL, 0, "no credential file: SPA_CREDENTIALS is unset and neither "
	    "~/.config/spa-gateway/credentials nor " SYSTEM_CREDENTIALS " exists");
	return -1;
}

static int
env_timeout(struct spa_client *c)
{
	const char *env = getenv("SPA_TIMEOUT_MS");
	uint64_t v;

	c->timeout_ms = SPA_DEFAULT_TIMEOUT_MS;
	if (env == NULL || *env == '\0')
		return SPA_OK;
	if (util_parse_u64(env, 1, 3600000, &v) != 0) {
		diag(NULL, 0, "SPA_TIMEOUT_MS='%s': expected milliseconds, "
		    "1 to 3600000", env);
		return SPA_ERR_ARG;
	}
	c->timeout_ms = (unsigned)v;
	return SPA_OK;
}

int
spa_client_open(struct spa_client **out, const char *credentials)
{
	struct spa_client *c = NULL;
	char path[4096];
	const char *env;
	int err;

	client_clear_detail();
	if (out == NULL)
		return SPA_ERR_ARG;
	*out = NULL;
	if (credentials == NULL) {
		if (default_credentials(path, sizeof(path)) != 0)
			return SPA_ERR_CREDENTIALS;
		credentials = path;
	}
	if (sodium_init() < 0)
		return SPA_ERR_CRYPTO;
	c = sodium_malloc(sizeof(*c));
	if (c == NULL)
		return SPA_ERR_NOMEM;
	memset(c, 0, sizeof(*c));
	if (keyfile_load_cred(credentials, &c->cred) != 0) {
		err = SPA_ERR_CREDENTIALS;
		goto fail;
	}
	if (keys_session(c->cred.sk, c->cred.gw_pk, c->cred.pk, c->cred.gw_pk,
	    c->key) != 0) {
		diag(credentials, 0, "the gateway public key is not a valid key");
		err = SPA_ERR_CREDENTIALS;
		goto fail;
	}
	util_hex(c->cred.key_id, KEY_ID_LEN, c->key_id);
	if ((err = env_timeout(c)) != SPA_OK)
		goto fail;
	env = getenv("SPA_GATEWAY");
	if (env != NULL && *env != '\0')
		err = spa_client_set_gateway(c, env);
	else
		err = resolve(c, c->cred.gw_host, c->cred.gw_port);
	if (err != SPA_OK)
		goto fail;
	*out = c;
	return SPA_OK;
fail:
	spa_client_close(c);
	return err;
}

void
spa_client_close(struct spa_client *c)
{
	if (c != NULL)
		sodium_free(c);		/* wipes the whole handle */
}

int
spa_knock_build(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration, uint8_t *buf, size_t cap, size_t *len)
{
	struct knock_body body;
	struct knock_hdr h;
	size_t got;

	if (c == NULL || buf == NULL || len == NULL || cap < KNOCK_MAX_LEN ||
	    n > KNOCK_MAX_RES || (n > 0 && resources == NULL) ||
	    duration > KNOCK_MAX_DURATION) {
		diag(NULL, 0, "knock: bad argument (at most %d resources, "
		    "duration at most %u s)", KNOCK_MAX_RES, KNOCK_MAX_DURATION);
		return SPA_ERR_ARG;
	}
	memset(&body, 0, sizeof(body));
	memcpy(body.gw_pk, c->cred.gw_pk, KEY_PK_LEN);
	body.duration = duration;
	body.addr = c->open_for;
	body.nres = (uint8_t)n;
	for (size_t i = 0, names = 0; i < n; i++) {
		if (resources[i] == NULL || !util_valid_name(resources[i])) {
			diag(NULL, 0, "invalid resource name '%s'",
			    resources[i] ? resources[i] : "(null)");
			return SPA_ERR_ARG;
		}
		names += 1 + strlen(resources[i]);
		if (names > KNOCK_NAMES_MAX) {
			diag(NULL, 0, "knock: the resource names, with a length "
			    "byte each, take more than the %d bytes a knock has for "
			    "them; knock for fewer, or for every entitled resource "
			    "(none named)", KNOCK_NAMES_MAX);
			return SPA_ERR_ARG;
		}
		util_strlcpy(body.res[i], resources[i], sizeof(body.res[i]));
	}
	memcpy(h.key_id, c->cred.key_id, KEY_ID_LEN);
	h.ts_ms = util_now_ms();
	randombytes_buf(h.nonce, sizeof(h.nonce));
	got = knock_build(buf, &h, &body, c->key, c->cred.sk);
	if (got == 0)
		return SPA_ERR_CRYPTO;
	*len = got;
	return SPA_OK;
}

static int
send_to(const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *buf,
    size_t len)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	ssize_t sent;
	int fd, saved;

	fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		diag(NULL, 0, "socket: %s", strerror(errno));
		return SPA_ERR_SEND;
	}
	sent = sendto(fd, buf, len, 0, (const struct sockaddr *)sa, salen);
	saved = errno;
	close(fd);
	if (sent != (ssize_t)len) {
		getnameinfo((const struct sockaddr *)sa, salen, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		diag(NULL, 0, "send to gateway %s port %s: %s", host, port,
		    strerror(saved));
		return SPA_ERR_SEND;
	}
	return SPA_OK;
}

int
spa_send(struct spa_client *c, const uint8_t *buf, size_t len)
{
	client_clear_detail();
	if (c == NULL || buf == NULL || len == 0)
		return SPA_ERR_ARG;
	return send_to(&c->gw[0], c->gwlen[0], buf, len);
}

int
client_has_family(const struct spa_client *c, int family)
{
	for (int i = 0; i < c->ngw; i++)
		if (c->gw[i].ss_family == family)
			return 1;
	return 0;
}

int
client_knock_family(struct spa_client *c, const char *const *resources,
    size_t n, uint32_t duration, int family)
{
	uint8_t buf[KNOCK_MAX_LEN];
	size_t len = 0;
	int i = 0, err;

	if (c->ngw == 2 && c->gw[1].ss_family == family)
		i = 1;
	err = spa_knock_build(c, resources, n, duration, buf, sizeof(buf), &len);
	if (err == SPA_OK)
		err = send_to(&c->gw[i], c->gwlen[i], buf, len);
	sodium_memzero(buf, sizeof(buf));
	return err;
}

unsigned
client_timeout(const struct spa_client *c, unsigned timeout_ms)
{
	return timeout_ms != 0 ? timeout_ms : c->timeout_ms;
}

int
spa_knock(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration)
{
	int err = SPA_ERR_ARG, sent = 0;

	client_clear_detail();
	if (c == NULL)
		return SPA_ERR_ARG;
	/* One knock per family: a knock opens for its own source address, and
	 * a datagram is good once (the gateway remembers its nonce). */
	for (int i = 0; i < c->ngw; i++) {
		err = client_knock_family(c, resources, n, duration,
		    c->gw[i].ss_family);
		if (err == SPA_OK)
			sent++;
		else if (err != SPA_ERR_SEND)
			return err;
	}
	return sent > 0 ? SPA_OK : err;
}

const char *
spa_client_agent(const struct spa_client *c)
{
	return c ? c->cred.name : "";
}

const char *
spa_client_key_id(const struct spa_client *c)
{
	return c ? c->key_id : "";
}

const char *
spa_error_detail(void)
{
	return diag_last();
}

const char *
spa_strerror(int err)
{
	switch (err) {
	case SPA_OK: return "success";
	case SPA_ERR_ARG: return "invalid argument";
	case SPA_ERR_NOMEM: return "out of memory";
	case SPA_ERR_CREDENTIALS: return "credential file unreadable or invalid";
	case SPA_ERR_RESOLVE: return "gateway address does not resolve";
	case SPA_ERR_SEND: return "the knock could not be sent";
	case SPA_ERR_CRYPTO: return "cryptography failure";
	case SPA_ERR_TIMEOUT: return "no answer from the resource after the knock";
	case SPA_ERR_REFUSED: return "the resource refused the connection";
	case SPA_ERR_NOROUTE: return "no route to the resource";
	case SPA_ERR_CONNECT: return "connect failed";
	case SPA_ERR_HOST: return "resource address does not resolve";
	default: return "unknown error";
	}
}
