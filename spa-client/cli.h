/* SPDX-License-Identifier: ISC */
#ifndef SPA_CLI_H
#define SPA_CLI_H

/*
 * spa-knock's verbs and the helpers they share, one file each (cli_*.c; the
 * knock_ prefix is common/knock.c's wire format). The CLI uses only the
 * public libspa-client API (spa.h).
 */

#include <stdint.h>

struct spa_client;

/* The verbs: argv[0] is the verb's name (or "spa-knock"); cmd is what follows
 * "--" (NULL if none). Each returns the process exit status. */
int cli_send(int argc, char **argv, char **cmd);
int cli_run(int argc, char **argv, char **cmd);

/* Open the client for cred (NULL: the library's default) and point it at
 * gateway (NULL: the credential file's); 0, or 1 (reported; *c is NULL). */
int cli_util_open_client(struct spa_client **c, const char *cred,
    const char *gateway);

/* Print "spa-knock: what: error: detail" to stderr; returns 1. */
int cli_util_fail(const char *what, int err);

/* Seconds from 0 to max, decimal; 0 or -1 (reported, naming the option). */
int cli_util_parse_seconds(const char *opt, const char *s, unsigned long max,
    unsigned long *out);

/* Exec cmd (PATH search); on failure report and return 127 or 126. */
int cli_util_exec(char **cmd);

/*
 * Run cmd as a child and re-knock every interval seconds while it runs;
 * forwards INT, TERM, HUP, QUIT, USR1, USR2, WINCH, CONT to it and returns its
 * exit status (or dies of its signal). Owns c: closes it.
 */
int cli_keepalive(struct spa_client *c, const char *const *res, size_t n,
    uint32_t duration, unsigned interval, char **cmd);

#endif
