/* SPDX-License-Identifier: ISC */
/* spa-admin check: everything the daemon loads, every error reported. */
/*
 * spa-admin check: load everything the daemon loads, the same way, and
 * report every error found with its file and line. gateway.ini comes first:
 * without it the other files cannot be found.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "agentdb.h"
#include "diag.h"
#include "keyfile.h"

static const char usage[] = "[--config-dir DIR] check";

static int
check_identity(const struct gw_config *cfg)
{
	uint8_t sk[KEY_SK_LEN], pk[KEY_PK_LEN];
	int ret = keyfile_load_identity(cfg->identity, sk, pk);

	sodium_memzero(sk, sizeof(sk));
	return ret;
}

/* The files agentdb_load reads: NAME.ini, not hidden. */
static int
agent_file(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 4 &&
	    strcmp(de->d_name + n - 4, ".ini") == 0 &&
	    (de->d_type == DT_REG || de->d_type == DT_LNK ||
	    de->d_type == DT_UNKNOWN);
}

/*
 * Each agent file on its own, in name order, so that every bad file is
 * reported (agentdb_load stops at the first), and each one's enclaves against
 * the policy when it loaded. Returns the number of errors.
 */
static int
check_agent_files(const char *dir, const struct policy *pol)
{
	char path[PATH_MAX];
	struct dirent **ents = NULL;
	struct agent a;
	int n, errors = 0;

	if ((n = scandir(dir, &ents, agent_file, alphasort)) < 0) {
		diag(dir, 0, "cannot open directory: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) >=
		    (int)sizeof(path)) {
			diag(dir, 0, "path too long: %s", ents[i]->d_name);
			errors++;
		} else if (agent_load(path, &a) != 0) {
			errors++;
		} else {
			if (pol != NULL)
				errors += agent_check_enclaves(&a, path, pol);
			agent_clear(&a);
		}
		free(ents[i]);
	}
	free(ents);
	return errors;
}

int
check_main(int argc, char **argv, const char *dir_arg)
{
	struct gw_config cfg;
	struct policy *pol = NULL;
	struct agentdb *db = NULL;
	int c, errors = 0, agent_errors;

	if ((c = admin_plain_verb(argc, argv, &dir_arg, "check", usage)) >= 0)
		return c;
	if (config_load(config_dir(dir_arg), &cfg) != 0)
		return EXIT_FAILURE;
	errors += check_identity(&cfg) != 0;
	errors += (pol = policy_load(cfg.policy)) == NULL;
	agent_errors = check_agent_files(cfg.agents, pol);
	/* All files are good: what remains is what spans them (shared keys). */
	if (agent_errors == 0 && (db = agentdb_load(cfg.agents)) == NULL)
		agent_errors++;
	errors += agent_errors;
	if (errors == 0)
		printf("ok: %zu resources, %zu enclaves, %zu agents\n", pol->nres,
		    pol->nenc, agentdb_count(db));
	agentdb_free(db);
	policy_free(pol);
	return errors == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
