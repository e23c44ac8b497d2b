/* SPDX-License-Identifier: ISC */
/* Diagnostics: each error reported once, with file and line. */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

static diag_sink_fn sink;
static void *sink_arg;
static _Thread_local char last[512];

void
diag_set_sink(diag_sink_fn fn, void *arg)
{
	sink = fn;
	sink_arg = arg;
}

void
diag_stderr_sink(const char *msg, void *arg)
{
	fprintf(stderr, "%s: %s\n", arg ? (const char *)arg : "spa", msg);
}

void
diag(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (file != NULL && line > 0)
		n = snprintf(last, sizeof(last), "%s:%d: ", file, line);
	else if (file != NULL)
		n = snprintf(last, sizeof(last), "%s: ", file);
	if (n < 0 || (size_t)n >= sizeof(last))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(last + n, sizeof(last) - (size_t)n, fmt, ap);
	va_end(ap);
	if (sink != NULL)
		sink(last, sink_arg);
}

const char *
diag_last(void)
{
	return last;
}
