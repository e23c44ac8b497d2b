/* SPDX-License-Identifier: ISC */
/* spa-admin: the helpers its verbs share. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "diag.h"
#include "util.h"

int
admin_usage(const char *usage, int ok)
{
	fprintf(ok ? stdout : stderr, "usage: spa-admin %s\n", usage);
	return ok ? EXIT_SUCCESS : ADMIN_EXIT_USAGE;
}

int
admin_bad_option(int c, const char *verb, char **argv, const char *usage)
{
	const char *what = c == ':' ? "option needs an argument" : "unknown option";
	const char *arg = argv[optind - 1];

	/* opterr is 0: getopt stays quiet and the option is named once, here. */
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		diag(NULL, 0, "%s%s%s: -%c", verb ? verb : "", verb ? ": " : "",
		    what, optopt);
	else
		diag(NULL, 0, "%s%s%s: %s", verb ? verb : "", verb ? ": " : "",
		    what, arg);
	return admin_usage(usage, 0);
}

int
admin_check_name(const char *name)
{
	if (!util_valid_name(name)) {
		diag(NULL, 0, "invalid agent name '%s': use 1 to 63 of [a-z0-9_.-], "
		    "not starting with '.' or '-'", name);
		return -1;
	}
	return 0;
}

int
admin_agent_path(const struct gw_config *c, const char *name, char *buf,
    size_t len)
{
	int n = snprintf(buf, len, "%s/%s.ini", c->agents, name);

	if (n < 0 || (size_t)n >= len) {
		diag(c->agents, 0, "path too long");
		return -1;
	}
	return 0;
}

int
admin_plain_verb(int argc, char **argv, const char **dir_arg, const char *verb,
    const char *usage)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*dir_arg = optarg;
			break;
		case 'h':
			return admin_usage(usage, 1);
		default:
			return admin_bad_option(c, verb, argv, usage);
		}
	}
	if (optind < argc) {
		diag(NULL, 0, "%s: unexpected argument '%s'", verb, argv[optind]);
		return admin_usage(usage, 0);
	}
	return -1;
}
