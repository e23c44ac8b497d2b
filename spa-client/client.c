/*
 * libspa-client: build and send knocks. Never prints, never exits.
 * A handle is read-only after spa_client_open (and spa_client_set_gateway), so
 * threads may knock through one handle at once: each knock uses its own nonce
 * (randombytes is thread-safe) and its own socket.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "diag.h"
#include "keyfile.h"
#include "knock.h"
#include "spa.h"
#include "util.h"

_Static_assert(SPA_KNOCK_MAX_LEN == KNOCK_MAX_LEN, "public knock size");

struct spa_client {
	struct cred cred;
	uint8_t key[KEY_SESSION_LEN];
	char key_id[2 * KEY_ID_LEN + 1];
	struct sockaddr_storage gw;
	socklen_t gwlen;
};

static int
resolve(struct spa_client *c, const char *host, uint16_t port)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char portstr[8];
	int err;

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	err = getaddrinfo(host, portstr, &hints, &res);
	if (err != 0 || res == NULL || res->ai_addrlen > sizeof(c->gw)) {
		diag(NULL, 0, "cannot resolve gateway '%s': %s", host,
		    err ? gai_strerror(err) : "no address");
		if (res)
			freeaddrinfo(res);
		return SPA_ERR_RESOLVE;
	}
	memcpy(&c->gw, res->ai_addr, res->ai_addrlen);
	c->gwlen = res->ai_addrlen;
	freeaddrinfo(res);
	return SPA_OK;
}

int
spa_client_set_gateway(struct spa_client *c, const char *hostport)
{
	char host[KEYFILE_HOST_MAX];
	const char *colon, *end;
	uint64_t port = c ? c->cred.gw_port : 0;
	size_t hlen;

	if (c == NULL || hostport == NULL || *hostport == '\0')
		return SPA_ERR_ARG;
	if (hostport[0] == '[') {		/* [v6]:port */
		end = strchr(hostport, ']');
		if (end == NULL)
			return SPA_ERR_ARG;
		hostport++;
		hlen = (size_t)(end - hostport);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return SPA_ERR_ARG;
	} else {
		colon = strchr(hostport, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;		/* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - hostport) : strlen(hostport);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return SPA_ERR_ARG;
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	if (colon != NULL && util_parse_u64(colon + 1, 1, 65535, &port) != 0) {
		diag(NULL, 0, "bad gateway port in '%s'", hostport);
		return SPA_ERR_ARG;
	}
	return resolve(c, host, (uint16_t)port);
}

int
spa_client_open(struct spa_client **out, const char *credentials)
{
	struct spa_client *c = NULL;
	const char *env;
	int err;

	if (out == NULL)
		return SPA_ERR_ARG;
	*out = NULL;
	if (credentials == NULL)
		credentials = getenv("SPA_CREDENTIALS");
	if (credentials == NULL || *credentials == '\0') {
		diag(NULL, 0, "no credential file given and SPA_CREDENTIALS unset");
		return SPA_ERR_ARG;
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
	    duration > KNOCK_MAX_DURATION)
		return SPA_ERR_ARG;
	memset(&body, 0, sizeof(body));
	memcpy(body.gw_pk, c->cred.gw_pk, KEY_PK_LEN);
	body.duration = duration;
	body.nres = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		if (resources[i] == NULL || !util_valid_name(resources[i])) {
			diag(NULL, 0, "invalid resource name '%s'",
			    resources[i] ? resources[i] : "(null)");
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

int
spa_send(struct spa_client *c, const uint8_t *buf, size_t len)
{
	ssize_t sent;
	int fd, saved;

	if (c == NULL || buf == NULL || len == 0)
		return SPA_ERR_ARG;
	fd = socket(c->gw.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		diag(NULL, 0, "socket: %s", strerror(errno));
		return SPA_ERR_SEND;
	}
	sent = sendto(fd, buf, len, 0, (const struct sockaddr *)&c->gw, c->gwlen);
	saved = errno;
	close(fd);
	if (sent != (ssize_t)len) {
		diag(NULL, 0, "send: %s", strerror(saved));
		return SPA_ERR_SEND;
	}
	return SPA_OK;
}

int
spa_knock(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration)
{
	uint8_t buf[KNOCK_MAX_LEN];
	size_t len = 0;
	int err;

	err = spa_knock_build(c, resources, n, duration, buf, sizeof(buf), &len);
	if (err == SPA_OK)
		err = spa_send(c, buf, len);
	return err;
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
	default: return "unknown error";
	}
}
