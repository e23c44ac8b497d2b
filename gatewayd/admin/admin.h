/* SPDX-License-Identifier: ISC */
#ifndef SPA_ADMIN_H
#define SPA_ADMIN_H

/*
 * spa-admin: the verbs main.c dispatches to, and the few helpers they share.
 * A verb returns the process exit status (EXIT_SUCCESS, EXIT_FAILURE or
 * ADMIN_EXIT_USAGE); only main exits. dir_arg is the global --config-dir (NULL
 * if none); a verb's own --config-dir overrides it, and config_dir() applies
 * $SPA_CONFIG_DIR and the default.
 */

#include <stddef.h>

#include "agent.h"
#include "config.h"

#define ADMIN_EXIT_USAGE 2

int init_main(int argc, char **argv, const char *dir_arg);
int check_main(int argc, char **argv, const char *dir_arg);
int agent_cmd_main(int argc, char **argv, const char *dir_arg);
int agent_add_main(int argc, char **argv, const char *dir_arg);
int agent_revoke_main(int argc, char **argv, const char *dir_arg);
int agent_list_main(int argc, char **argv, const char *dir_arg);
int live_reload_main(int argc, char **argv, const char *dir_arg);
int live_openings_main(int argc, char **argv, const char *dir_arg);
int live_metrics_main(int argc, char **argv, const char *dir_arg);

/* Print "usage: spa-admin <usage>" to stderr (or stdout when ok); returns the
 * exit status: EXIT_SUCCESS when ok, else ADMIN_EXIT_USAGE. */
int admin_usage(const char *usage, int ok);

/* Report an unknown option or a missing argument after getopt_long (opterr 0,
 * optstring starting with ':') returned c, '?' or ':', then the usage; verb
 * (NULL for the global options) prefixes the message. Returns ADMIN_EXIT_USAGE. */
int admin_bad_option(int c, const char *verb, char **argv, const char *usage);

/* Parse the options of a verb that takes --config-dir and --help only, and
 * no argument. Returns -1 to go on (with *dir_arg updated), else the exit
 * status the verb returns. */
int admin_plain_verb(int argc, char **argv, const char **dir_arg,
    const char *verb, const char *usage);

/* Report and refuse anything but a valid agent name; 0 or -1. */
int admin_check_name(const char *name);

/* DIR/NAME.ini of agent name in the configured agents directory; 0 or -1. */
int admin_agent_path(const struct gw_config *c, const char *name, char *buf,
    size_t len);

#endif
