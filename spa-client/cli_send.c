/* SPDX-License-Identifier: ISC */
/* spa-knock's knock: send, wait for resources, exec or keep alive. */
/*
 * spa-knock [OPTIONS] [RESOURCE...] [-- COMMAND [ARGS...]]: knock;
 * optionally wait until resources answer; optionally exec a command, or run
 * it while re-knocking (--keepalive).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spa.h"

#define MAX_WAIT 16
#define MAX_RES 16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: spa-knock [--credentials FILE] [--gateway HOST[:PORT]]\n"
	    "                 [--duration SECONDS] [--save FILE] [--address ADDR]\n"
	    "                 [--wait HOST:PORT]... [--timeout SECONDS]\n"
	    "                 [--keepalive [--interval SECONDS]]\n"
	    "                 [RESOURCE...] [-- COMMAND [ARGS...]]\n"
	    "       spa-knock run --help\n"
	    "Sends one knock for the named resources (none: all the agent's).\n"
	    "  --credentials FILE  the agent's credential file (default:\n"
	    "                      $SPA_CREDENTIALS, ~/.config/spa-gateway/credentials,\n"
	    "                      /etc/spa-gateway/credentials)\n"
	    "  --gateway HOST[:PORT]  another gateway address ($SPA_GATEWAY)\n"
	    "  --duration SECONDS  the opening asked for (0: the policy default)\n"
	    "  --save FILE         also write the knock datagram to FILE\n"
	    "  --address ADDR      ask to open for ADDR instead of this host's\n"
	    "                      source address (behind NAT; the gateway must allow it)\n"
	    "  --wait HOST:PORT    after the knock, wait until HOST:PORT accepts a\n"
	    "                      TCP connection (repeatable; spa-knock knows only\n"
	    "                      resource names, not where they listen)\n"
	    "  --timeout SECONDS   how long --wait waits (default 5; $SPA_TIMEOUT_MS)\n"
	    "  -- COMMAND...       then exec COMMAND (after the waits)\n"
	    "  --keepalive         instead run COMMAND as a child and re-knock every\n"
	    "                      --interval seconds (default: half of --duration,\n"
	    "                      1 without it) until it exits; signals are\n"
	    "                      forwarded, its exit status is spa-knock's\n");
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

static int
knock_and_save(struct spa_client *c, const char *const *res, size_t n,
    uint32_t duration, const char *path)
{
	uint8_t buf[SPA_KNOCK_MAX_LEN];
	size_t len = 0;
	int err;

	if ((err = spa_knock_build(c, res, n, duration, buf, sizeof(buf), &len)))
		return cli_util_fail("knock", err);
	if (save(path, buf, len) != 0)
		return 1;
	if ((err = spa_send(c, buf, len)) != SPA_OK)
		return cli_util_fail("send", err);
	return 0;
}

int
cli_send(int argc, char **argv, char **cmd)
{
	static const struct option opts[] = {
		{ "credentials", required_argument, NULL, 'c' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "duration", required_argument, NULL, 'd' },
		{ "save", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },
		{ "wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keepalive", no_argument, NULL, 'k' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cred = NULL, *gateway = NULL, *savepath = NULL, *address = NULL;
	const char *waits[MAX_WAIT];
	const char *const *res;
	struct spa_client *c = NULL;
	unsigned long duration = 0, timeout = 0, interval = 0;
	size_t nwait = 0, nres;
	int ch, err, keepalive = 0, ret = 1;

	while ((ch = getopt_long(argc, argv, "c:g:d:s:a:w:t:ki:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cred = optarg; break;
		case 'g': gateway = optarg; break;
		case 's': savepath = optarg; break;
		case 'a': address = optarg; break;
		case 'k': keepalive = 1; break;
		case 'w':
			if (nwait == MAX_WAIT) {
				fprintf(stderr, "spa-knock: at most %d --wait\n", MAX_WAIT);
				return 2;
			}
			waits[nwait++] = optarg;
			break;
		case 'd':
			if (cli_util_parse_seconds("--duration", optarg, 86400, &duration))
				return 2;
			break;
		case 't':
			if (cli_util_parse_seconds("--timeout", optarg, 3600, &timeout))
				return 2;
			break;
		case 'i':
			if (cli_util_parse_seconds("--interval", optarg, 86400, &interval) ||
			    interval == 0) {
				fprintf(stderr, "spa-knock: --interval must be at least 1\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	res = (const char *const *)argv + optind;
	nres = (size_t)(argc - optind);
	if (nres > MAX_RES) {
		fprintf(stderr, "spa-knock: at most %d resources per knock\n", MAX_RES);
		return 2;
	}
	if (keepalive && cmd == NULL) {
		fprintf(stderr, "spa-knock: --keepalive needs '-- COMMAND'\n");
		return 2;
	}
	if (savepath != NULL && (cmd != NULL || nwait > 0)) {
		fprintf(stderr, "spa-knock: --save sends exactly one datagram; "
		    "it does not go with --wait or a command\n");
		return 2;
	}
	if (cli_util_open_client(&c, cred, gateway) != 0)
		return 1;
	if (address != NULL && (err = spa_client_set_address(c, address)) != SPA_OK) {
		cli_util_fail(address, err);
		goto out;
	}
	if (savepath != NULL) {
		ret = knock_and_save(c, res, nres, (uint32_t)duration, savepath);
		goto out;
	}
	err = spa_knock_wait(c, res, nres, (uint32_t)duration, waits, nwait,
	    (unsigned)timeout * 1000);
	if (err != SPA_OK) {
		cli_util_fail(nwait ? "knock and wait" : "knock", err);
		goto out;
	}
	ret = 0;
	if (cmd != NULL && keepalive) {
		if (interval == 0)
			interval = duration >= 2 ? duration / 2 : 1;
		return cli_keepalive(c, res, nres, (uint32_t)duration,
		    (unsigned)interval, cmd);
	}
	if (cmd != NULL) {
		spa_client_close(c);
		return cli_util_exec(cmd);
	}
out:
	spa_client_close(c);
	return ret;
}
