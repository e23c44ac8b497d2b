/* SPDX-License-Identifier: ISC */
/* spa-knock run [OPTIONS] --map NAME=HOST:PORT... */
/*
 * -- COMMAND [ARGS...]: run an unmodified program with the connect() shim
 * preloaded (shim.c). The shim knocks for NAME, once per opening period,
 * when the program connects to HOST:PORT, and waits until it answers; other
 * connections are untouched. Everything reaches the shim through the
 * environment:
 *   SPA_CREDENTIALS  the credential file (made absolute)
 *   SPA_GATEWAY      from --gateway
 *   SPA_TIMEOUT_MS   from --timeout
 *   SPA_SHIM_MAP     "NAME=HOST:PORT ..." from the --map options
 *   SPA_SHIM_DURATION  the opening asked for, seconds (--duration)
 *   LD_PRELOAD       the shim, after any preload already set
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shim_map.h"
#include "spa.h"

#ifndef SPA_SHIM_PATH
#define SPA_SHIM_PATH "/usr/local/lib/spa-client/libspa-shim.so"
#endif
#define SHIM_NAME "libspa-shim.so"
#define MAX_MAP 32
#define DEFAULT_DURATION 30

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: spa-knock run [--credentials FILE] [--gateway HOST[:PORT]]\n"
	    "                     [--duration SECONDS] [--timeout SECONDS]\n"
	    "                     --map NAME=HOST:PORT... -- COMMAND [ARGS...]\n"
	    "Runs COMMAND with a preloaded connect() wrapper: when it connects to\n"
	    "HOST:PORT, the wrapper knocks for resource NAME (once per --duration,\n"
	    "default %d s: ask for no more than the policy grants) and waits until\n"
	    "HOST:PORT answers (--timeout, default 5 s). Connections to other\n"
	    "addresses are untouched. Without --map, $SPA_SHIM_MAP is used.\n"
	    "Statically linked and set-user-ID programs ignore the wrapper.\n",
	    DEFAULT_DURATION);
}

/* The map as the shim will read it: parsed and resolved here first, where
 * an error is clear, by the shim's own parser. */
static int
check_map(const char *map)
{
	static struct shim_map m;
	char err[512];

	if (shim_map_parse(&m, map, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "spa-knock: run: --map %s\n", err);
	return -1;
}

/* The shim: $SPA_SHIM, next to this executable (the build tree), installed. */
static int
find_shim(char *buf, size_t len)
{
	char exe[PATH_MAX];
	const char *env = getenv("SPA_SHIM");
	ssize_t n;

	if (env != NULL && *env != '\0')
		return snprintf(buf, len, "%s", env) < (int)len &&
		    access(buf, R_OK) == 0 ? 0 : -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (snprintf(buf, len, "%s/" SHIM_NAME, dirname(exe)) < (int)len &&
		    access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "%s", SPA_SHIM_PATH);
	return access(buf, R_OK);
}

static int
setup_env(const char *cred, const char *gateway, unsigned long duration,
    unsigned long timeout, const char *map)
{
	char shim[PATH_MAX], path[PATH_MAX], buf[PATH_MAX + 4096], num[32];
	const char *pre = getenv("LD_PRELOAD");

	if (find_shim(shim, sizeof(shim)) != 0) {
		fprintf(stderr, "spa-knock: cannot find %s (set SPA_SHIM)\n", shim);
		return -1;
	}
	if (cred != NULL) {
		if (realpath(cred, path) == NULL) {
			fprintf(stderr, "spa-knock: %s: %s\n", cred, strerror(errno));
			return -1;
		}
		setenv("SPA_CREDENTIALS", path, 1);
	}
	if (gateway != NULL)
		setenv("SPA_GATEWAY", gateway, 1);
	if (timeout > 0) {
		snprintf(num, sizeof(num), "%lu", timeout * 1000);
		setenv("SPA_TIMEOUT_MS", num, 1);
	}
	snprintf(num, sizeof(num), "%lu", duration);
	setenv("SPA_SHIM_DURATION", num, 1);
	setenv("SPA_SHIM_MAP", map, 1);
	/* After any preload already there: a sanitizer runtime must stay first,
	 * and the shim only needs to come before libc. */
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s%s", pre ? pre : "",
	    pre && *pre ? ":" : "", shim) >= sizeof(buf)) {
		fprintf(stderr, "spa-knock: LD_PRELOAD too long\n");
		return -1;
	}
	setenv("LD_PRELOAD", buf, 1);
	return 0;
}

int
cli_run(int argc, char **argv, char **cmd)
{
	static const struct option opts[] = {
		{ "credentials", required_argument, NULL, 'c' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cred = NULL, *gateway = NULL, *env;
	char map[MAX_MAP * 330] = "";
	struct spa_client *c = NULL;
	unsigned long duration = DEFAULT_DURATION, timeout = 0;
	int ch, nmap = 0;

	while ((ch = getopt_long(argc, argv, "c:g:d:t:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cred = optarg; break;
		case 'g': gateway = optarg; break;
		case 'd':
			if (cli_util_parse_seconds("--duration", optarg, 86400, &duration))
				return 2;
			break;
		case 't':
			if (cli_util_parse_seconds("--timeout", optarg, 3600, &timeout))
				return 2;
			break;
		case 'm':
			if (nmap == MAX_MAP || strlen(map) + strlen(optarg) + 2 >
			    sizeof(map)) {
				fprintf(stderr, "spa-knock: run: too many --map\n");
				return 2;
			}
			if (nmap++ > 0)
				strcat(map, " ");
			strcat(map, optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || cmd == NULL) {
		usage(stderr);
		return 2;
	}
	env = getenv("SPA_SHIM_MAP");
	if (nmap == 0 && env != NULL && *env != '\0' && strlen(env) < sizeof(map))
		strcpy(map, env);
	if (map[0] == '\0') {
		fprintf(stderr, "spa-knock: run: nothing to knock for: give "
		    "--map NAME=HOST:PORT (or set SPA_SHIM_MAP)\n");
		return 2;
	}
	if (check_map(map) != 0)
		return 2;
	/* Check the credentials here, where the error is clear, not in the
	 * program's connect(). */
	if (cli_util_open_client(&c, cred, gateway) != 0)
		return 1;
	spa_client_close(c);
	if (setup_env(cred, gateway, duration, timeout, map) != 0)
		return 1;
	return cli_util_exec(cmd);
}
