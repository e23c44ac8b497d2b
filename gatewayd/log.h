/* SPDX-License-Identifier: ISC */
#ifndef SPA_LOG_H
#define SPA_LOG_H

/* Daemon logging: stderr in the foreground, syslog otherwise. Diagnostics
 * (diag) are routed here as errors. */

void log_init(int foreground);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
