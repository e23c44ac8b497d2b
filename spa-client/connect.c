/* SPDX-License-Identifier: ISC */
/* Knock, then reach the resource: spa_connect() and spa_knock_wait(). */
/*
 * Knock, then reach the resource: spa_connect() keeps the connection,
 * spa_knock_wait() only waits until every target answers. The resource's
 * address is resolved before the knock, so a typo costs no knock, and the
 * knock goes over the resource's address family (it opens for its source
 * address).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "client_int.h"
#include "diag.h"
#include "probe.h"
#include "spa.h"
#include "util.h"

#define WAIT_MAX_TARGETS 16

int
spa_connect(struct spa_client *c, const char *resource, const char *host,
    uint16_t port, uint32_t duration, unsigned timeout_ms, int *fd)
{
	struct probe_target t;
	uint64_t deadline;
	unsigned timeout;
	int err;

	client_clear_detail();
	if (fd != NULL)
		*fd = -1;
	if (c == NULL || fd == NULL)
		return SPA_ERR_ARG;
	if ((err = probe_resolve(c, host, port, &t)) != SPA_OK)
		return err;
	timeout = client_timeout(c, timeout_ms);
	deadline = util_mono_ms() + timeout;
	err = client_knock_family(c, resource ? &resource : NULL,
	    resource ? 1 : 0, duration, t.sa[0].ss_family);
	if (err != SPA_OK)
		return err;
	return probe_connect(&t, deadline, timeout, fd);
}

int
spa_knock_wait(struct spa_client *c, const char *const *resources, size_t n,
    uint32_t duration, const char *const *targets, size_t ntargets,
    unsigned timeout_ms)
{
	struct probe_target *t = NULL;
	uint64_t deadline;
	unsigned timeout;
	int err = SPA_OK, fd = -1, knocked4 = 0, knocked6 = 0, *done;

	client_clear_detail();
	if (c == NULL || ntargets > WAIT_MAX_TARGETS ||
	    (ntargets > 0 && targets == NULL))
		return SPA_ERR_ARG;
	if (ntargets == 0)
		return spa_knock(c, resources, n, duration);
	if ((t = calloc(ntargets, sizeof(*t))) == NULL)
		return SPA_ERR_NOMEM;
	for (size_t i = 0; i < ntargets && err == SPA_OK; i++)
		err = probe_parse(c, targets[i], &t[i]);
	if (err != SPA_OK)
		goto out;
	timeout = client_timeout(c, timeout_ms);
	deadline = util_mono_ms() + timeout;
	/* One knock per family the targets need (each datagram opens once). */
	for (size_t i = 0; i < ntargets && err == SPA_OK; i++) {
		int fam = t[i].sa[0].ss_family;

		done = fam == AF_INET6 ? &knocked6 : &knocked4;
		if (*done)
			continue;
		err = client_knock_family(c, resources, n, duration, fam);
		*done = 1;
	}
	for (size_t i = 0; i < ntargets && err == SPA_OK; i++) {
		err = probe_connect(&t[i], deadline, timeout, &fd);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	free(t);
	return err;
}
