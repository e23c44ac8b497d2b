/* SPDX-License-Identifier: ISC */
/* spa-gatewayd: parse arguments, then run the daemon. */
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "daemon.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: spa-gatewayd [--config-dir DIR] [--foreground] [--check]\n"
	    "                    [--pcap-file FILE]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "pcap-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_opts o = { 0 };
	const char *dir = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fnr:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'f': o.foreground = 1; break;
		case 'n': o.check = 1; break;
		case 'r': o.pcap_file = optarg; o.foreground = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("spa-gatewayd %s\n", SPA_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	o.config_dir = config_dir(dir);
	return daemon_run(&o);
}
