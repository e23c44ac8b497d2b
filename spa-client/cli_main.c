/* SPDX-License-Identifier: ISC */
/* spa-knock: knock on a spa-gateway. */
/*
 * A verb table; one file per verb:
 *   spa-knock [OPTIONS] [RESOURCE...] [-- COMMAND...]   cli_send.c
 *   spa-knock run [OPTIONS] -- COMMAND...               cli_run.c
 * Everything after the first "--" is the command, never an option.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, char **cmd);
} verbs[] = {
	{ "run", cli_run },
};

int
main(int argc, char **argv)
{
	char **cmd = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd = argv[i + 1] ? &argv[i + 1] : NULL;
			if (cmd == NULL) {
				fprintf(stderr, "spa-knock: nothing after '--'\n");
				return 2;
			}
			argv[i] = NULL;
			argc = i;
			break;
		}
	}
	for (size_t v = 0; argc > 1 && v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (strcmp(argv[1], verbs[v].name) == 0)
			return verbs[v].fn(argc - 1, argv + 1, cmd);
	return cli_send(argc, argv, cmd);
}
