/* SPDX-License-Identifier: ISC */
/* Logging to syslog, or to stderr in the foreground. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "diag.h"
#include "log.h"

static int to_stderr = 1;

static void
vlog(int prio, const char *fmt, va_list ap)
{
	if (to_stderr) {
		fprintf(stderr, "spa-gatewayd: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
}

static void
diag_sink(const char *msg, void *arg)
{
	(void)arg;
	log_warn("%s", msg);
}

void
log_init(int foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("spa-gatewayd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	diag_set_sink(diag_sink, NULL);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}
