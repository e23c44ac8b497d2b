/* SPDX-License-Identifier: ISC */
/* spa-knock: helpers shared by the verbs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spa.h"

int
cli_util_fail(const char *what, int err)
{
	const char *d = spa_error_detail();

	fprintf(stderr, "spa-knock: %s: %s%s%s\n", what, spa_strerror(err),
	    *d ? ": " : "", d);
	return 1;
}

int
cli_util_parse_seconds(const char *opt, const char *s, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9' || v > max) {
		fprintf(stderr, "spa-knock: %s takes seconds from 0 to %lu\n",
		    opt, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cli_util_exec(char **cmd)
{
	execvp(cmd[0], cmd);
	fprintf(stderr, "spa-knock: %s: %s\n", cmd[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int
cli_util_open_client(struct spa_client **c, const char *cred,
    const char *gateway)
{
	int err;

	if ((err = spa_client_open(c, cred)) != SPA_OK)
		return cli_util_fail(cred ? cred : "credentials", err);
	if (gateway != NULL && (err = spa_client_set_gateway(*c, gateway)) != SPA_OK) {
		spa_client_close(*c);
		*c = NULL;
		return cli_util_fail(gateway, err);
	}
	return 0;
}
