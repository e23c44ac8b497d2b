/* SPDX-License-Identifier: ISC */
/* spa-admin agent revoke: the agent file marked revoked, the daemon told. */
/*
 * spa-admin agent revoke: mark the agent file revoked, atomically, then tell
 * the running daemon, which refuses the agent from then on and deletes its
 * live openings in one batch (with --kill-sessions it also cuts the agent's
 * established connections). Without a daemon, the file is enough: it takes
 * effect when the daemon starts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "control.h"
#include "diag.h"
#include "util.h"

static const char usage[] =
    "[--config-dir DIR] agent revoke NAME [--kill-sessions]";

int
agent_revoke_main(int argc, char **argv, const char *dir_arg)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "kill-sessions", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char request[CONTROL_MAX_REQ];
	int kill = 0, r;
	struct gw_config cfg;
	struct agent a;
	char path[PATH_MAX], when[32];
	const char *name;
	int c;

	while ((c = getopt_long(argc, argv, ":c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dir_arg = optarg;
			break;
		case 'k':
			kill = 1;
			break;
		case 'h':
			return admin_usage(usage, 1);
		default:
			return admin_bad_option(c, "agent revoke", argv, usage);
		}
	}
	if (argc - optind != 1) {
		diag(NULL, 0, "agent revoke: give exactly one NAME");
		return admin_usage(usage, 0);
	}
	name = argv[optind];
	if (admin_check_name(name) != 0 ||
	    config_load(config_dir(dir_arg), &cfg) != 0 ||
	    admin_agent_path(&cfg, name, path, sizeof(path)) != 0)
		return EXIT_FAILURE;
	if (access(path, F_OK) != 0) {
		if (errno == ENOENT)
			diag(path, 0, "no agent '%s'", name);
		else
			diag(path, 0, "cannot read: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if (agent_load(path, &a) != 0)
		return EXIT_FAILURE;
	if (a.revoked != 0) {
		printf("agent %s was already revoked at %s\n", name,
		    util_fmt_rfc3339(a.revoked, when));
	} else {
		a.revoked = (int64_t)(util_now_ms() / 1000);
		/* agent_load named it after path: NAME. */
		if (agent_write(cfg.agents, &a, 1) != 0) {
			agent_clear(&a);
			return EXIT_FAILURE;
		}
		printf("revoked agent %s at %s\n", name,
		    util_fmt_rfc3339(a.revoked, when));
	}
	agent_clear(&a);
	/* Revoking again still closes what the daemon holds (and kills). */
	snprintf(request, sizeof(request), "revoke %s%s", name, kill ? " kill" : "");
	fflush(stdout);
	r = control_call(cfg.control, request, STDOUT_FILENO);
	if (r < 0) {
		printf("the daemon is not running: the revocation takes effect "
		    "when it starts\n");
		return EXIT_SUCCESS;
	}
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
