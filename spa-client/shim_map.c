/* SPDX-License-Identifier: ISC */
/* The shim's resource map (shim_map.h). */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_map.h"

static int
valid_name(const char *s, size_t n)
{
	return n > 0 && n < 64 && s[0] != '.' && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") >= n;
}

/* One "NAME=HOST:PORT" of len bytes into e. */
static int
parse_entry(struct shim_entry *e, const char *s, size_t len, char *err,
    size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char item[400], *eq, *host, *port;
	int rc;

	if (len >= sizeof(item))
		goto bad;
	memcpy(item, s, len);
	item[len] = '\0';
	eq = strchr(item, '=');
	if (eq == NULL || !valid_name(item, (size_t)(eq - item)))
		goto bad;
	*eq = '\0';
	snprintf(e->name, sizeof(e->name), "%.63s", item);
	snprintf(e->hostport, sizeof(e->hostport), "%.299s", eq + 1);
	host = eq + 1;
	port = strrchr(host, ':');
	if (port == NULL)
		goto bad;
	if (host[0] == '[') {
		if (port[-1] != ']')
			goto bad;
		host++;
		port[-1] = '\0';
	} else if (strchr(host, ':') != port) {
		goto bad;
	}
	*port++ = '\0';
	if (port[0] < '1' || port[0] > '9' || strspn(port, "0123456789") !=
	    strlen(port) || strlen(port) > 5 || atoi(port) > 65535)
		goto bad;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s=%s: %s", item, e->hostport, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && e->nsa < SHIM_MAX_ADDRS; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(e->sa[0]))
			memcpy(&e->sa[e->nsa++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	if (e->nsa == 0) {
		snprintf(err, errlen, "%s=%s: no IPv4 or IPv6 address", item,
		    e->hostport);
		return -1;
	}
	pthread_mutex_init(&e->lock, NULL);
	return 0;
bad:
	snprintf(err, errlen, "'%.*s': expected NAME=HOST:PORT or NAME=[V6]:PORT",
	    (int)(len > 300 ? 300 : len), s);
	return -1;
}

int
shim_map_parse(struct shim_map *m, const char *spec, char *err, size_t errlen)
{
	static const char sep[] = " \t\n,";
	size_t len;

	memset(m, 0, sizeof(*m));
	for (spec += strspn(spec, sep); *spec; spec += strspn(spec, sep)) {
		len = strcspn(spec, sep);
		if (m->n == SHIM_MAX_ENTRIES) {
			snprintf(err, errlen, "more than %d entries", SHIM_MAX_ENTRIES);
			return -1;
		}
		if (parse_entry(&m->e[m->n], spec, len, err, errlen) != 0)
			return -1;
		m->n++;
		spec += len;
	}
	if (m->n == 0) {
		snprintf(err, errlen, "empty");
		return -1;
	}
	return 0;
}

/* sa as a plain IPv4 or IPv6 socket address (unmapping ::ffff:a.b.c.d). */
static int
normalise(const struct sockaddr *sa, socklen_t len, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(out, sa, sizeof(struct sockaddr_in));
		return 0;
	}
	if (sa->sa_family != AF_INET6 || len < sizeof(struct sockaddr_in6))
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		s4->sin_family = AF_INET;
		s4->sin_port = s6->sin6_port;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	memcpy(out, sa, sizeof(struct sockaddr_in6));
	return 0;
}

static int
same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

struct shim_entry *
shim_map_match(struct shim_map *m, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage n;

	if (sa == NULL || normalise(sa, len, &n) != 0)
		return NULL;
	for (int i = 0; i < m->n; i++)
		for (int j = 0; j < m->e[i].nsa; j++)
			if (same(&n, &m->e[i].sa[j]))
				return &m->e[i];
	return NULL;
}
