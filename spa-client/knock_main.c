/*
 * spa-knock: send one knock for the named resources. Uses only the public
 * libspa-client API.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spa.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: spa-knock --credentials FILE [--gateway HOST[:PORT]]\n"
	    "                 [--duration SECONDS] [--save FILE] [RESOURCE...]\n"
	    "Sends one knock for the named resources (none: all the agent's).\n");
}

static int
fail(const char *what, int err)
{
	const char *d = spa_error_detail();

	fprintf(stderr, "spa-knock: %s: %s%s%s\n", what, spa_strerror(err),
	    *d ? ": " : "", d);
	return 1;
}

static int
save(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) != 0) {
		fprintf(stderr, "spa-knock: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "credentials", required_argument, NULL, 'c' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "duration", required_argument, NULL, 'd' },
		{ "save", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cred = NULL, *gateway = NULL, *savepath = NULL;
	uint8_t buf[SPA_KNOCK_MAX_LEN];
	struct spa_client *c = NULL;
	unsigned long duration = 0;
	size_t len = 0;
	char *end;
	int ch, err, ret = 1;

	while ((ch = getopt_long(argc, argv, "c:g:d:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cred = optarg; break;
		case 'g': gateway = optarg; break;
		case 's': savepath = optarg; break;
		case 'd':
			errno = 0;
			duration = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' ||
			    duration > 86400) {
				fprintf(stderr, "spa-knock: --duration takes "
				    "seconds from 0 to 86400\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (cred == NULL && getenv("SPA_CREDENTIALS") == NULL) {
		usage(stderr);
		return 2;
	}
	if (argc - optind > 16) {
		fprintf(stderr, "spa-knock: at most 16 resources per knock\n");
		return 2;
	}
	if ((err = spa_client_open(&c, cred)) != SPA_OK)
		return fail(cred ? cred : "SPA_CREDENTIALS", err);
	if (gateway != NULL && (err = spa_client_set_gateway(c, gateway)) != SPA_OK) {
		fail(gateway, err);
		goto out;
	}
	err = spa_knock_build(c, (const char *const *)argv + optind,
	    (size_t)(argc - optind), (uint32_t)duration, buf, sizeof(buf), &len);
	if (err != SPA_OK) {
		fail("knock", err);
		goto out;
	}
	if (savepath != NULL && save(savepath, buf, len) != 0)
		goto out;
	if ((err = spa_send(c, buf, len)) != SPA_OK) {
		fail("send", err);
		goto out;
	}
	ret = 0;
out:
	spa_client_close(c);
	return ret;
}
