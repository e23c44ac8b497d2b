/* SPDX-License-Identifier: ISC */
/* libspa-shim.so: preloaded by `spa-knock run`, it wraps connect(). */
/*
 * When an unmodified program connects to the address and port of a resource
 * in $SPA_SHIM_MAP, the shim knocks for that resource (once per opening
 * period, $SPA_SHIM_DURATION seconds, default 30; 0: on every connect) and,
 * for TCP, waits until the resource answers (the wait is one probe
 * connection, closed at once, so the program's own SYN does not lose the
 * race with the opening and wait a second for its retransmission). Then the
 * real connect() runs, whatever happened. Connections to any other address
 * are untouched.
 *
 * Configuration comes from the environment (see cli_run.c and spa.h):
 * SPA_CREDENTIALS, SPA_GATEWAY, SPA_TIMEOUT_MS, SPA_SHIM_MAP,
 * SPA_SHIM_DURATION; SPA_SHIM_VERBOSE=1 reports each knock on stderr. Errors
 * are reported on stderr as "spa-shim: ...": the program gets no new errno.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shim_map.h"
#include "spa.h"

#define SHIM_DEFAULT_DURATION 30
#define SHIM_EXPORT __attribute__((visibility("default")))

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static connect_fn real_connect;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct spa_client *client;	/* NULL: the shim is disabled */
static struct shim_map map;
static uint32_t duration = SHIM_DEFAULT_DURATION;
static int verbose;
/* Set while the shim itself runs: the library's own connects (the probe,
 * the resolver's) go straight through. */
static _Thread_local int busy;

__attribute__((constructor)) static void
shim_resolve(void)
{
	real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A fork while another thread knocks must not leave a lock held in the child. */
static void
lock_all(void)
{
	for (int i = 0; i < map.n; i++)
		pthread_mutex_lock(&map.e[i].lock);
}

static void
unlock_all(void)
{
	for (int i = map.n - 1; i >= 0; i--)
		pthread_mutex_unlock(&map.e[i].lock);
}

static void
shim_init(void)
{
	const char *spec = getenv("SPA_SHIM_MAP"), *d = getenv("SPA_SHIM_DURATION");
	const char *v = getenv("SPA_SHIM_VERBOSE");
	char err[512];
	char *end;
	unsigned long ul;
	int rc;

	verbose = v != NULL && strcmp(v, "1") == 0;
	if (d != NULL && *d != '\0') {
		errno = 0;
		ul = strtoul(d, &end, 10);
		if (errno || *end || d[0] < '0' || d[0] > '9' || ul > 86400) {
			fprintf(stderr, "spa-shim: disabled: SPA_SHIM_DURATION='%s' "
			    "is not 0 to 86400 seconds\n", d);
			return;
		}
		duration = (uint32_t)ul;
	}
	if (spec == NULL || shim_map_parse(&map, spec, err, sizeof(err)) != 0) {
		fprintf(stderr, "spa-shim: disabled: SPA_SHIM_MAP: %s\n",
		    spec ? err : "unset");
		return;
	}
	if ((rc = spa_client_open(&client, NULL)) != SPA_OK) {
		fprintf(stderr, "spa-shim: disabled: %s: %s\n", spa_strerror(rc),
		    spa_error_detail());
		client = NULL;
		return;
	}
	pthread_atfork(lock_all, unlock_all, unlock_all);
}

/* The address being connected to as "HOST:PORT" or "[V6]:PORT". */
static void
fmt_target(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, (unsigned)ntohs(s4->sin_port));
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, (unsigned)ntohs(s6->sin6_port));
	} else {
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, (unsigned)ntohs(s6->sin6_port));
	}
}

static void
maybe_knock(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct shim_entry *e = shim_map_match(&map, sa, len);
	const char *res, *tp;
	char target[INET6_ADDRSTRLEN + 16];
	uint64_t now, period = (uint64_t)duration * 1000, margin;
	socklen_t tlen = sizeof(int);
	int type = SOCK_STREAM, rc;

	if (e == NULL)
		return;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen);
	/* Knock again a little before the opening we asked for ends. */
	margin = period / 4 < 1000 ? period / 4 : 1000;
	res = e->name;
	fmt_target(sa, target, sizeof(target));
	tp = target;
	pthread_mutex_lock(&e->lock);
	now = mono_ms();
	if (e->last_ms != 0 && period > 0 && now < e->last_ms + period - margin) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	if (type == SOCK_STREAM)
		rc = spa_knock_wait(client, &res, 1, duration, &tp, 1, 0);
	else
		rc = spa_knock(client, &res, 1, duration);
	if (rc == SPA_OK)
		e->last_ms = now;	/* the opening runs from about now */
	if (rc != SPA_OK)
		fprintf(stderr, "spa-shim: knock for %s (%s): %s: %s\n", res,
		    target, spa_strerror(rc), spa_error_detail());
	else if (verbose)
		fprintf(stderr, "spa-shim: knocked for %s, %s answers\n", res,
		    type == SOCK_STREAM ? target : "(udp, not waited for)");
	pthread_mutex_unlock(&e->lock);
}

SHIM_EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int saved;

	if (real_connect == NULL)
		shim_resolve();
	if (real_connect == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (busy || sa == NULL ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return real_connect(fd, sa, len);
	saved = errno;
	busy = 1;
	pthread_once(&once, shim_init);
	if (client != NULL)
		maybe_knock(fd, sa, len);
	busy = 0;
	errno = saved;
	return real_connect(fd, sa, len);
}
