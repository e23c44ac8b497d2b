/* SPDX-License-Identifier: ISC */
/* spa-admin: global options, then the verb table. */
/*
 * spa-admin: set up a gateway's config tree, issue, list and revoke agent
 * keys, and check the configuration. This file parses the global options and
 * hands the rest of the command line to one verb.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "diag.h"
#include "util.h"

#ifndef SPA_VERSION
#define SPA_VERSION "unknown"
#endif

static const char usage[] =
    "[--config-dir DIR] VERB [ARGS]\n"
    "verbs:\n"
    "  init --interface IF[,IF...] [--port N] [--address HOST] [--user NAME]\n"
    "  agent add NAME [--enclave E]... [--label K=V]... [--expires RFC3339]\n"
    "            --output CREDFILE\n"
    "  agent revoke NAME [--kill-sessions]\n"
    "  agent list\n"
    "  check\n"
    "  reload | openings | metrics   (ask the running daemon)\n"
    "DIR is --config-dir, else $SPA_CONFIG_DIR, else " CONFIG_DEFAULT_DIR ".";

static const struct {
	const char *name;
	int (*fn)(int, char **, const char *);
} verbs[] = {
	{ "init", init_main },
	{ "agent", agent_cmd_main },
	{ "check", check_main },
	{ "reload", live_reload_main },
	{ "openings", live_openings_main },
	{ "metrics", live_metrics_main },
};

int
main(int argc, char **argv)
{
	static char prog[] = "spa-admin";
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int c;

	diag_set_sink(diag_stderr_sink, prog);
	opterr = 0;
	/* '+': stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dir = optarg;
			break;
		case 'h':
			return admin_usage(usage, 1);
		case 'V':
			printf("spa-admin %s\n", SPA_VERSION);
			return EXIT_SUCCESS;
		default:
			return admin_bad_option(c, NULL, argv, usage);
		}
	}
	if (optind >= argc) {
		diag(NULL, 0, "no verb given");
		return admin_usage(usage, 0);
	}
	if (sodium_init() < 0) {
		diag(NULL, 0, "cannot initialise libsodium");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0;	/* GNU getopt: start afresh for the verb */
			return verbs[i].fn(argc, argv, dir);
		}
	}
	diag(NULL, 0, "unknown verb '%s'", argv[optind]);
	return admin_usage(usage, 0);
}
