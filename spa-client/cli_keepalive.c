/* SPDX-License-Identifier: ISC */
/* spa-knock --keepalive: run a command and knock again while it runs. */
/*
 * spa-knock --keepalive: run the command as a child and knock again every
 * interval while it runs, so it can open new connections after the first
 * opening would have expired. No signal handlers: the forwarded signals and
 * SIGCHLD stay blocked and are taken with sigtimedwait(), whose timeout is
 * the next re-knock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "spa.h"

static const int forwarded[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The child's fate as our own: its exit status, or death by its signal. */
static int
mirror(int status, const sigset_t *set)
{
	int sig;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (!WIFSIGNALED(status))
		return 1;
	sig = WTERMSIG(status);
	if (sig != SIGKILL && sig != SIGSTOP) {
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, set, NULL);
		raise(sig);
	}
	return 128 + sig;
}

int
cli_keepalive(struct spa_client *c, const char *const *res, size_t n,
    uint32_t duration, unsigned interval, char **cmd)
{
	sigset_t set, old;
	struct timespec ts;
	uint64_t next, now;
	pid_t pid;
	int sig, status = 0, err;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "spa-knock: fork: %s\n", strerror(errno));
		spa_client_close(c);
		return 1;
	}
	if (pid == 0) {
		spa_client_close(c);		/* the child needs no secrets */
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(cli_util_exec(cmd));
	}
	next = mono_ms() + (uint64_t)interval * 1000;
	for (;;) {
		now = mono_ms();
		if (now >= next) {
			if ((err = spa_knock(c, res, n, duration)) != SPA_OK)
				cli_util_fail("keepalive knock", err);
			next = now + (uint64_t)interval * 1000;
			continue;
		}
		ts.tv_sec = (time_t)((next - now) / 1000);
		ts.tv_nsec = (long)((next - now) % 1000) * 1000000;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig < 0)
			continue;		/* EAGAIN: time to knock; EINTR */
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	spa_client_close(c);
	return mirror(status, &set);
}
