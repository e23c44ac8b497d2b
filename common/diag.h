/* SPDX-License-Identifier: ISC */
#ifndef SPA_DIAG_H
#define SPA_DIAG_H

/*
 * Diagnostics are reported once, where the error is detected. The message is
 * kept in a per-thread buffer (diag_last) and, when a sink is set, handed to it.
 * The client library sets no sink, so it never prints.
 */

typedef void (*diag_sink_fn)(const char *msg, void *arg);

/* Set the process-wide sink (NULL: keep messages only). */
void diag_set_sink(diag_sink_fn fn, void *arg);

/* Sink that prints "prog: msg" to stderr. */
void diag_stderr_sink(const char *msg, void *arg);

/* Report "file:line: msg" (line 0: "file: msg"; file NULL: "msg"). */
void diag(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The last message reported by this thread ("" if none). */
const char *diag_last(void);

#endif
