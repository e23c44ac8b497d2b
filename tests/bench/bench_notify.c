/* SPDX-License-Identifier: ISC */
/* bench_notify: time the daemon's start to READY=1 and its reloads. */
/*
 * bench_notify: time the daemon's start through the readiness notification
 * it sends (sd_notify protocol, READY=1), and its reloads on SIGHUP.
 *
 *   bench_notify --socket PATH [--reloads K --log FILE] [--timeout S]
 *
 * Listen on the datagram socket PATH (give the daemon NOTIFY_SOCKET=PATH).
 * On the first READY=1, print ready_wall_ns (CLOCK_REALTIME, to compare with
 * the launch time the caller took) and the sender's pid (SO_PASSCRED). Then K
 * times: SIGHUP that pid and time until the daemon's log FILE (its stderr)
 * gains a line with "reloaded" (or "refused": a failed reload), polled every
 * 200 us. The daemon sends no notification around a reload. If the
 * signalled pid has not reloaded within 3 s and has a child (the engine of a
 * privilege-separated daemon), the child is signalled directly and the line
 * says forwarded=0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "benchlib.h"

/* Wait for a message containing want; the sender's pid in *pid. */
static int
wait_msg(int fd, const char *want, uint64_t deadline_ns, pid_t *pid)
{
	char buf[512];
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} cb;

	while (bench_ns() < deadline_ns) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = recvmsg(fd, &m, 0)) < 0)
			continue;
		buf[n] = '\0';
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred u;
				memcpy(&u, CMSG_DATA(c), sizeof(u));
				*pid = u.pid;
			}
		if (strstr(buf, want) != NULL)
			return 0;
	}
	return -1;
}

/* Wait until path grows past off with a line holding "reloaded" or
 * "refused"; 1, 0 (refused) or -1 (timeout). */
static int
wait_log(const char *path, off_t off, uint64_t deadline_ns)
{
	static char buf[1 << 16];

	while (bench_ns() < deadline_ns) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, off) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "reloaded") != NULL)
				return 1;
			if (strstr(buf, "refused") != NULL)
				return 0;
		}
		bench_sleep_ns(200000);
	}
	return -1;
}

/* The first child of pid, or 0. */
static pid_t
child_of(pid_t pid)
{
	char path[64];
	long c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &c) != 1)
		c = 0;
	fclose(f);
	return (pid_t)c;
}

static off_t
size_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t n = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;

	if (fd >= 0)
		close(fd);
	return n < 0 ? 0 : n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "reloads", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = NULL, *log = NULL;
	uint64_t reloads = 0, timeout = 120, deadline;
	pid_t pid = 0;
	int ch, fd, one = 1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'r': reloads = bench_num(optarg, "reloads"); break;
		case 't': timeout = bench_num(optarg, "timeout"); break;
		case 'l': log = optarg; break;
		default: return 2;
		}
	}
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path) || reloads > 100 ||
	    timeout == 0 || timeout > 600 || (reloads > 0 && log == NULL)) {
		fprintf(stderr, "usage: bench_notify --socket PATH [--reloads K "
		    "--log FILE] [--timeout S]\n");
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path));
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
		perror(path);
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	deadline = bench_ns() + timeout * 1000000000ull;
	if (wait_msg(fd, "READY=1", deadline, &pid) != 0 || pid <= 0) {
		fprintf(stderr, "bench_notify: no READY=1\n");
		return 1;
	}
	printf("ready_wall_ns=%llu pid=%d\n", (unsigned long long)bench_wall_ns(),
	    (int)pid);
	fflush(stdout);
	for (uint64_t i = 1; i <= reloads; i++) {
		uint64_t t0;
		off_t off;
		pid_t child;
		int r, fwd;

		bench_sleep_ns(300000000);
		off = size_of(log);
		t0 = bench_ns();
		if (kill(pid, SIGHUP) != 0) {
			perror("kill");
			return 1;
		}
		fwd = 1;
		if ((r = wait_log(log, off, t0 + 3000000000ull)) < 0 &&
		    (child = child_of(pid)) > 0) {
			fwd = 0;
			t0 = bench_ns();
			if (kill(child, SIGHUP) != 0)
				perror("kill child");
			r = wait_log(log, off, t0 + 120000000000ull);
		}
		if (r < 0) {
			fprintf(stderr, "bench_notify: reload %llu: no log line\n",
			    (unsigned long long)i);
			return 1;
		}
		printf("reload=%llu ok=%d forwarded=%d ms=%.1f\n",
		    (unsigned long long)i, r, fwd, (double)(bench_ns() - t0) / 1e6);
		fflush(stdout);
	}
	close(fd);
	unlink(path);
	return 0;
}
