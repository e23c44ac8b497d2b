/* SPDX-License-Identifier: ISC */
/* spa-fetch: the smallest program behind a spa-gateway. */
/*
 * It knocks for a resource, connects to it, and prints the first line the
 * service sends. It uses only the installed header and pkg-config file:
 *
 *     cc -o spa-fetch spa-fetch.c $(pkg-config --cflags --libs spa-client)
 *
 * Nothing is configured in code: the library reads SPA_CREDENTIALS (the
 * agent's credential file), SPA_GATEWAY and SPA_TIMEOUT_MS (see spa.h).
 *
 * usage: spa-fetch RESOURCE HOST PORT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <spa.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct spa_client *c = NULL;
	struct timeval tv = { 5, 0 };
	char line[1024];
	size_t len = 0;
	double t0;
	long port;
	int fd = -1, err;

	if (argc != 4 || (port = strtol(argv[3], NULL, 10)) < 1 || port > 65535) {
		fprintf(stderr, "usage: spa-fetch RESOURCE HOST PORT\n");
		return 2;
	}
	if ((err = spa_client_open(&c, NULL)) != SPA_OK) {
		fprintf(stderr, "spa-fetch: %s: %s\n", spa_strerror(err),
		    spa_error_detail());
		return 1;
	}
	t0 = now_ms();
	err = spa_connect(c, argv[1], argv[2], (uint16_t)port, 0, 0, &fd);
	spa_client_close(c);
	if (err != SPA_OK) {
		fprintf(stderr, "spa-fetch: %s: %s\n", spa_strerror(err),
		    spa_error_detail());
		return 1;
	}
	fprintf(stderr, "spa-fetch: connected to %s port %ld in %.1f ms\n",
	    argv[2], port, now_ms() - t0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1) {
		ssize_t n = read(fd, line + len, 1);

		if (n <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(fd);
	printf("%s\n", line);
	return len > 0 ? 0 : 1;
}
