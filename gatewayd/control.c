/* SPDX-License-Identifier: ISC */
/* The control socket: requests parsed and dispatched; the client side. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "diag.h"
#include "util.h"

int
control_parse(const char *msg, size_t len, struct control_req *req)
{
	char buf[CONTROL_MAX_REQ + 1], *words[4], *save = NULL, *w;
	size_t n = 0;

	if (len > 0 && msg[len - 1] == '\n')
		len--;
	if (len == 0 || len > CONTROL_MAX_REQ || memchr(msg, '\0', len) != NULL)
		return -1;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (n == ARRAY_LEN(words))
			return -1;
		words[n++] = w;
	}
	memset(req, 0, sizeof(*req));
	if (n == 1 && !strcmp(words[0], "reload"))
		req->op = CONTROL_RELOAD;
	else if (n == 1 && !strcmp(words[0], "openings"))
		req->op = CONTROL_OPENINGS;
	else if (n == 1 && !strcmp(words[0], "agents"))
		req->op = CONTROL_AGENTS;
	else if (n == 1 && !strcmp(words[0], "metrics"))
		req->op = CONTROL_METRICS;
	else if ((n == 2 || (n == 3 && !strcmp(words[2], "kill"))) &&
	    !strcmp(words[0], "revoke") && util_valid_name(words[1])) {
		req->op = CONTROL_REVOKE;
		util_strlcpy(req->name, words[1], sizeof(req->name));
		req->kill = n == 3;
	} else {
		return -1;
	}
	return 0;
}

static int
fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (util_strlcpy(sa->sun_path, path, sizeof(sa->sun_path)) != 0) {
		diag(path, 0, "socket path too long");
		return -1;
	}
	return 0;
}

int
control_listen(const char *path, gid_t gid)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1;

	if (fill_addr(path, &sa) != 0)
		return -1;
	/* Replace only a stale socket, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			diag(path, 0, "exists and is not a socket");
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0660) != 0 ||
	    (gid != (gid_t)-1 && gid != getegid() &&
	    chown(path, (uid_t)-1, gid) != 0) ||
	    listen(fd, 8) != 0) {
		diag(path, 0, "control socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
control_read(int fd, struct control_req *req, int timeout_ms)
{
	char buf[CONTROL_MAX_REQ + 2];
	size_t got = 0;
	uint64_t end = util_mono_ms() + (uint64_t)timeout_ms;

	while (got < sizeof(buf) && (got == 0 || buf[got - 1] != '\n')) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = util_mono_ms();
		ssize_t r;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == 0 || buf[got - 1] != '\n' || control_parse(buf, got, req) != 0) {
		dprintf(fd, "error: bad request\n");
		return -1;
	}
	return 0;
}

/* One request (fd is closed): the answer, then "ok" or "error: ...". */
static void
serve_one(int fd, const struct control_ops *ops, void *arg)
{
	struct control_req req;
	FILE *f;
	long n;

	if (control_read(fd, &req, 500) != 0 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	switch (req.op) {
	case CONTROL_RELOAD:
		if (ops->reload(arg) != 0) {
			fprintf(f, "error: %s\n", diag_last());
			goto out;
		}
		break;
	case CONTROL_REVOKE:
		if ((n = ops->revoke(arg, req.name, req.kill)) < 0) {
			fprintf(f, "error: no agent '%s'\n", req.name);
			goto out;
		}
		fprintf(f, "%s holds no live opening now", req.name);
		if (req.kill)
			fprintf(f, "; %ld connection%s cut", n, n == 1 ? "" : "s");
		fprintf(f, "\n");
		break;
	case CONTROL_OPENINGS:
		ops->openings(arg, f);
		break;
	case CONTROL_AGENTS:
		ops->agents(arg, f);
		break;
	case CONTROL_METRICS:
		ops->metrics(arg, f);
		break;
	}
	fprintf(f, "ok\n");
out:
	fclose(f);		/* closes fd */
}

void
control_serve(int lfd, const struct control_ops *ops, void *arg)
{
	struct timeval tv = { 1, 0 };
	int fd;

	/* A client that stops reading must not stall the daemon for long. */
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve_one(fd, ops, arg);
	}
}

int
control_call(const char *path, const char *request, int out_fd)
{
	char buf[4096], last[512] = "";
	struct sockaddr_un sa;
	size_t llen = 0;
	ssize_t r;
	int fd;

	if (fill_addr(path, &sa) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		diag(path, 0, "cannot reach the daemon: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (dprintf(fd, "%s\n", request) < 0) {
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	/* Copy everything but keep the last line to judge the outcome. */
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (llen == 0 && out_fd >= 0 && last[0] != '\0') {
				/* previous line was complete: flush it */
				if (write(out_fd, last, strlen(last)) < 0)
					break;
				last[0] = '\0';
			}
			if (llen < sizeof(last) - 2)
				last[llen++] = buf[i];
			if (buf[i] == '\n') {
				last[llen] = '\0';
				llen = 0;
			}
		}
	}
	close(fd);
	if (llen > 0)
		last[0] = '\0';		/* an unterminated line is no answer */
	if (!strcmp(last, "ok\n"))
		return 0;
	if (!strncmp(last, "error: ", 7)) {
		diag(NULL, 0, "%.*s", (int)strcspn(last + 7, "\n"), last + 7);
		return 1;
	}
	diag(path, 0, "the daemon closed the connection without an answer");
	return -1;
}
