/* SPDX-License-Identifier: ISC */
/* spa-admin reload, openings, metrics: one request to the daemon's socket. */
/*
 * spa-admin reload | openings | metrics: one request to the running daemon's
 * control socket; its answer is printed as it comes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "control.h"
#include "diag.h"

static int
live(int argc, char **argv, const char *dir_arg, const char *request,
    const char *usage)
{
	struct gw_config cfg;
	int c, r;

	if ((c = admin_plain_verb(argc, argv, &dir_arg, request, usage)) >= 0)
		return c;
	if (config_load(config_dir(dir_arg), &cfg) != 0)
		return EXIT_FAILURE;
	fflush(stdout);
	r = control_call(cfg.control, request, STDOUT_FILENO);
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
live_reload_main(int argc, char **argv, const char *dir_arg)
{
	return live(argc, argv, dir_arg, "reload", "[--config-dir DIR] reload");
}

int
live_openings_main(int argc, char **argv, const char *dir_arg)
{
	return live(argc, argv, dir_arg, "openings", "[--config-dir DIR] openings");
}

int
live_metrics_main(int argc, char **argv, const char *dir_arg)
{
	return live(argc, argv, dir_arg, "metrics", "[--config-dir DIR] metrics");
}
