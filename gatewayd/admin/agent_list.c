/* SPDX-License-Identifier: ISC */
/* spa-admin agent list: every agent, with its live openings. */
/*
 * spa-admin agent list: one line per agent, sorted by name, with the live
 * openings the running daemon holds for it ("-" when no daemon runs). It
 * reads agents.d/ as the daemon does (agentdb_load), so a bad file fails the
 * listing with the same error the daemon would report.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "agentdb.h"
#include "control.h"
#include "diag.h"
#include "util.h"

static const char usage[] = "[--config-dir DIR] agent list";

enum { COL_NAME, COL_KEY_ID, COL_ENCLAVES, COL_LABELS, COL_EXPIRES, COL_STATUS,
    COL_OPENINGS, NCOLS };

static const char *const heads[NCOLS] = {
	"NAME", "KEY_ID", "ENCLAVES", "LABELS", "EXPIRES", "STATUS", "OPENINGS"
};

/* Live openings per agent, as the running daemon reports them. */
struct held {
	char name[POLICY_NAME_MAX];
	char count[24];
};

static struct held *held;
static size_t nheld;
static int daemon_up;

static int
by_held(const void *x, const void *y)
{
	return strcmp(((const struct held *)x)->name, ((const struct held *)y)->name);
}

/* Ask the daemon ("agents": NAME COUNT lines); without one, "-". */
static void
ask_daemon(const struct gw_config *cfg)
{
	char line[256], name[POLICY_NAME_MAX];
	unsigned long count;
	FILE *f;

	if (access(cfg->control, F_OK) != 0)
		return;			/* no daemon: nothing to ask */
	f = tmpfile();
	if (f == NULL || control_call(cfg->control, "agents", fileno(f)) != 0) {
		if (f != NULL)
			fclose(f);
		return;
	}
	daemon_up = 1;
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct held *v;

		if (sscanf(line, "%63s %lu", name, &count) != 2 ||
		    (v = realloc(held, (nheld + 1) * sizeof(*v))) == NULL)
			continue;
		held = v;
		util_strlcpy(held[nheld].name, name, sizeof(held[nheld].name));
		snprintf(held[nheld++].count, sizeof(held->count), "%lu", count);
	}
	fclose(f);
	if (nheld > 1)
		qsort(held, nheld, sizeof(*held), by_held);
}

static const char *
openings_of(const char *name)
{
	struct held key, *h;

	if (!daemon_up)
		return "-";
	util_strlcpy(key.name, name, sizeof(key.name));
	h = nheld ? bsearch(&key, held, nheld, sizeof(*held), by_held) : NULL;
	return h ? h->count : "0";
}

/* One row's cells; sized for the largest agent agent_load accepts. */
struct row {
	char name[POLICY_NAME_MAX];
	char key_id[2 * KEY_ID_LEN + 1];
	char enclaves[AGENT_MAX_ENCLAVES * POLICY_NAME_MAX];
	char labels[POLICY_MAX_LABELS * (POLICY_LABEL_KEY_MAX +
	    POLICY_LABEL_VALUE_MAX)];
	char expires[32];
	const char *status;
};

static void
join(char *out, size_t len, const char *add)
{
	size_t n = strlen(out);

	snprintf(out + n, len - n, "%s%s", n ? "," : "", add);
}

static void
fill(struct row *r, const struct agent *a, int64_t now)
{
	char kv[POLICY_LABEL_KEY_MAX + POLICY_LABEL_VALUE_MAX];

	memset(r, 0, sizeof(*r));
	util_strlcpy(r->name, a->name, sizeof(r->name));
	util_hex(a->key_id, KEY_ID_LEN, r->key_id);
	for (size_t i = 0; i < a->nenclaves; i++)
		join(r->enclaves, sizeof(r->enclaves), a->enclaves[i]);
	for (size_t i = 0; i < a->nlabels; i++) {
		snprintf(kv, sizeof(kv), "%s=%s", a->labels[i].key,
		    a->labels[i].value);
		join(r->labels, sizeof(r->labels), kv);
	}
	if (r->enclaves[0] == '\0')
		strcpy(r->enclaves, "-");
	if (r->labels[0] == '\0')
		strcpy(r->labels, "-");
	if (a->expires != 0)
		util_fmt_rfc3339(a->expires, r->expires);
	else
		strcpy(r->expires, "never");
	r->status = a->revoked != 0 ? "revoked" :
	    a->expires != 0 && a->expires <= now ? "expired" : "active";
}

static const char *
cell(const struct row *r, int col)
{
	switch (col) {
	case COL_NAME: return r->name;
	case COL_KEY_ID: return r->key_id;
	case COL_ENCLAVES: return r->enclaves;
	case COL_LABELS: return r->labels;
	case COL_EXPIRES: return r->expires;
	case COL_OPENINGS: return openings_of(r->name);
	default: return r->status;
	}
}

static void
print_row(const char *const cells[NCOLS], const int width[NCOLS])
{
	for (int c = 0; c < NCOLS - 1; c++)
		printf("%-*s  ", width[c], cells[c]);
	printf("%s\n", cells[NCOLS - 1]);
}

/* Agents come out of the table in name order. */
static void
list(const struct agentdb *db)
{
	size_t n = agentdb_count(db);
	int64_t now = (int64_t)(util_now_ms() / 1000);
	const char *cells[NCOLS];
	int width[NCOLS];
	struct row r;

	for (int c = 0; c < NCOLS; c++)
		width[c] = (int)strlen(heads[c]);
	for (size_t i = 0; i < n; i++) {
		fill(&r, agentdb_at(db, i), now);
		for (int c = 0; c < NCOLS; c++)
			if ((int)strlen(cell(&r, c)) > width[c])
				width[c] = (int)strlen(cell(&r, c));
	}
	print_row(heads, width);
	for (size_t i = 0; i < n; i++) {
		fill(&r, agentdb_at(db, i), now);
		for (int c = 0; c < NCOLS; c++)
			cells[c] = cell(&r, c);
		print_row(cells, width);
	}
}

int
agent_list_main(int argc, char **argv, const char *dir_arg)
{
	struct gw_config cfg;
	struct agentdb *db = NULL;
	int c, ret = EXIT_FAILURE;

	if ((c = admin_plain_verb(argc, argv, &dir_arg, "agent list", usage)) >= 0)
		return c;
	if (config_load(config_dir(dir_arg), &cfg) == 0 &&
	    (db = agentdb_load(cfg.agents)) != NULL) {
		ask_daemon(&cfg);
		list(db);
		ret = EXIT_SUCCESS;
	}
	agentdb_free(db);
	free(held);
	return ret;
}
