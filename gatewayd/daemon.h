/* SPDX-License-Identifier: ISC */
#ifndef SPA_DAEMON_H
#define SPA_DAEMON_H

/* The daemon: load everything, install the firewall, then one event loop over
 * capture, agents.d changes, signals and a one-second timer. */

struct daemon_opts {
	const char *config_dir;
	const char *pcap_file;		/* offline: decide only, no firewall */
	int foreground;
	int check;			/* validate the configuration and exit */
};

/* Run until SIGTERM/SIGINT (or the end of a pcap file); the exit status. */
int daemon_run(const struct daemon_opts *o);

#endif
