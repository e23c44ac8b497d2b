/* SPDX-License-Identifier: ISC */
#ifndef SPA_CONTROL_H
#define SPA_CONTROL_H

/*
 * The control socket: a Unix stream socket (mode 0660) on which spa-admin
 * sends one request line and reads the answer until the connection closes.
 * The answer's last line is "ok" or "error: MESSAGE".
 *
 *   reload                 re-read gateway.ini, policy.ini and agents.d
 *   revoke NAME [kill]     refuse NAME from now on, delete its openings, and
 *                          with "kill" cut its established connections
 *   openings               AGENT SOURCE RESOURCE... SECONDS_LEFT per line
 *   agents                 NAME OPENINGS per line, for agents with openings
 *   metrics                counters in Prometheus text format
 */

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define CONTROL_MAX_REQ 256

enum control_op {
	CONTROL_RELOAD,
	CONTROL_REVOKE,
	CONTROL_OPENINGS,
	CONTROL_AGENTS,
	CONTROL_METRICS
};

struct control_req {
	enum control_op op;
	char name[64];			/* REVOKE */
	int kill;			/* REVOKE: cut connections too */
};

/* Parse one request (without or with its trailing newline); 0 or -1. */
int control_parse(const char *msg, size_t len, struct control_req *req);

/* Listen on path (a stale socket is replaced), mode 0660, group gid (-1:
 * keep); the descriptor or -1. */
int control_listen(const char *path, gid_t gid);

/* Read one request from a connected client, waiting at most timeout_ms;
 * 0 or -1 (the reason has been written to the client). */
int control_read(int fd, struct control_req *req, int timeout_ms);

/* What the daemon does for each request; the answer goes to f. */
struct control_ops {
	int (*reload)(void *arg);	/* 0, or -1 (diag_last() says why) */
	/* Connections cut, or -1: no such agent. */
	long (*revoke)(void *arg, const char *name, int kill);
	void (*openings)(void *arg, FILE *f);
	void (*agents)(void *arg, FILE *f);
	void (*metrics)(void *arg, FILE *f);
};

/* Serve every client waiting on listening socket fd: one request each,
 * answered through ops, then "ok" or "error: ..."; a client that stops
 * reading is given up after a second. */
void control_serve(int fd, const struct control_ops *ops, void *arg);

/* Client side: send one request to the socket at path and copy the answer
 * to out; returns 0 if the last line is "ok", 1 if "error: ...", -1 if the
 * daemon cannot be reached. */
int control_call(const char *path, const char *request, int out_fd);

#endif
