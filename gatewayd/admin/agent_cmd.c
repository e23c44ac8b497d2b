/* SPDX-License-Identifier: ISC */
/* spa-admin agent VERB: add, revoke, list. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "diag.h"
#include "util.h"

static const char usage[] =
    "[--config-dir DIR] agent add NAME [--enclave E]... [--label K=V]...\n"
    "                 [--expires RFC3339] --output CREDFILE\n"
    "       spa-admin [--config-dir DIR] agent revoke NAME\n"
    "       spa-admin [--config-dir DIR] agent list";

static const struct {
	const char *name;
	int (*fn)(int, char **, const char *);
} verbs[] = {
	{ "add", agent_add_main },
	{ "revoke", agent_revoke_main },
	{ "list", agent_list_main },
};

int
agent_cmd_main(int argc, char **argv, const char *dir_arg)
{
	if (argc < 2) {
		diag(NULL, 0, "agent: no verb given");
		return admin_usage(usage, 0);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return admin_usage(usage, 1);
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1, dir_arg);
	diag(NULL, 0, "agent: unknown verb '%s'", argv[1]);
	return admin_usage(usage, 0);
}
