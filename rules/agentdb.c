/* SPDX-License-Identifier: ISC */
/* The agent table: every agent file of agents.d, found by key id and name. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentdb.h"
#include "arena.h"
#include "dedup.h"
#include "diag.h"
#include "table.h"
#include "util.h"

/*
 * Agents in one array sized to fit, sorted by name (binary search by name);
 * a hash of their indexes (table.h) finds them by key id. Key ids come out
 * of a hash, so their low bits index the table directly. What the agents
 * point to (names, enclave lists, label lists) lives in an arena owned by
 * the table; equal lists and enclave names are stored once, so 100,000
 * agents of a few kinds cost little more than their structs and names.
 */
struct agentdb {
	struct agent *a;
	size_t n;
	struct table byid;
	struct arena *mem;
};

/* The file names a load reads, without ".ini": stored in the table's arena,
 * they become the agents' names. */
struct names {
	const char **v;
	size_t n, cap;
};

/* NAME.ini, not hidden (editor and temp files are skipped). */
static int
wanted(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".ini"))
		return 0;
	return de->d_type == DT_REG || de->d_type == DT_LNK ||
	    de->d_type == DT_UNKNOWN;
}

static int
add_name(struct names *nm, struct arena *mem, const char *file)
{
	size_t len = strlen(file) - 4;		/* wanted: ends in ".ini" */
	const char **v;
	char *s;

	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? 2 * nm->cap : 64;

		if (cap > UINT32_MAX / 2 ||
		    (v = reallocarray(nm->v, cap, sizeof(*v))) == NULL)
			return -1;
		nm->v = v;
		nm->cap = cap;
	}
	if ((s = arena_alloc(mem, len + 1, 1)) == NULL)
		return -1;
	memcpy(s, file, len);
	s[len] = '\0';
	nm->v[nm->n++] = s;
	return 0;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The names of the agent files of dir, sorted. */
static int
list_dir(struct agentdb *db, const char *dir, struct names *nm)
{
	struct dirent *de;
	DIR *d;
	int ret = -1;

	if ((d = opendir(dir)) == NULL) {
		diag(dir, 0, "cannot open directory: %s", strerror(errno));
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (!wanted(de))
			continue;
		if (strlen(dir) + 1 + strlen(de->d_name) >= PATH_MAX) {
			diag(dir, 0, "path too long: %s", de->d_name);
			goto out;
		}
		if (add_name(nm, db->mem, de->d_name) != 0) {
			diag(dir, 0, "out of memory");
			goto out;
		}
	}
	if (errno != 0) {
		diag(dir, 0, "cannot read directory: %s", strerror(errno));
		goto out;
	}
	if (nm->n > 0)
		qsort(nm->v, nm->n, sizeof(*nm->v), by_name);
	ret = 0;
out:
	closedir(d);
	return ret;
}

/* Copy what a loaded agent holds into dst, its lists (and enclave names)
 * shared with earlier agents where equal. The name is set by the caller. */
static int
copy_in(struct dedup *dd, struct agent *dst, const struct agent *src)
{
	const char *enc[AGENT_MAX_ENCLAVES];

	memcpy(dst->pk, src->pk, KEY_PK_LEN);
	memcpy(dst->key_id, src->key_id, KEY_ID_LEN);
	dst->expires = src->expires;
	dst->revoked = src->revoked;
	for (size_t i = 0; i < src->nenclaves; i++)
		if ((enc[i] = dedup_copy(dd, src->enclaves[i],
		    strlen(src->enclaves[i]) + 1)) == NULL)
			return -1;
	if (src->nenclaves > 0 && (dst->enclaves = dedup_copy(dd, enc,
	    src->nenclaves * sizeof(enc[0]))) == NULL)
		return -1;
	dst->nenclaves = src->nenclaves;
	if (src->nlabels > 0 && (dst->labels = dedup_copy(dd, src->labels,
	    src->nlabels * sizeof(*src->labels))) == NULL)
		return -1;
	dst->nlabels = src->nlabels;
	return 0;
}

static int
load_all(struct agentdb *db, const char *dir, const struct names *nm)
{
	char path[PATH_MAX];
	struct dedup *dd = NULL;
	struct agent tmp;
	int ret = -1;

	memset(&tmp, 0, sizeof(tmp));
	if ((nm->n > 0 && (db->a = calloc(nm->n, sizeof(*db->a))) == NULL) ||
	    (dd = dedup_new(db->mem)) == NULL) {
		diag(dir, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nm->n; i++) {
		snprintf(path, sizeof(path), "%s/%s.ini", dir, nm->v[i]);
		if (agent_load(path, &tmp) != 0)
			goto out;
		if (copy_in(dd, &db->a[i], &tmp) != 0) {
			diag(path, 0, "out of memory");
			goto out;
		}
		db->a[i].name = nm->v[i];	/* agent_load took it from path */
		db->n++;
		agent_clear(&tmp);
	}
	ret = 0;
out:
	agent_clear(&tmp);
	dedup_free(dd);
	return ret;
}

static int
build_index(struct agentdb *db, const char *dir)
{
	char hex[2 * KEY_ID_LEN + 1], path[PATH_MAX];
	const struct agent *o;

	/* Fewer than UINT32_MAX / 2 agents: add_name stops there. */
	if (table_init(&db->byid, db->n) != 0) {
		diag(dir, 0, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < db->n; i++) {
		const struct agent *a = &db->a[i];

		if ((o = agentdb_find(db, a->key_id)) != NULL) {
			util_hex(a->key_id, KEY_ID_LEN, hex);
			snprintf(path, sizeof(path), "%s/%s.ini", dir, a->name);
			diag(path, 0, "key id %s is also the key id of %s/%s.ini "
			    "(same public key?)", hex, dir, o->name);
			return -1;
		}
		table_add(&db->byid, keys_id64(a->key_id), (uint32_t)i);
	}
	return 0;
}

struct agentdb *
agentdb_load(const char *dir)
{
	struct agentdb *db = NULL;
	struct names nm = { NULL, 0, 0 };

	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->mem = arena_new()) == NULL) {
		diag(dir, 0, "out of memory");
		goto fail;
	}
	if (list_dir(db, dir, &nm) != 0 || load_all(db, dir, &nm) != 0 ||
	    build_index(db, dir) != 0)
		goto fail;
	free(nm.v);
	return db;
fail:
	free(nm.v);
	agentdb_free(db);
	return NULL;
}

void
agentdb_free(struct agentdb *db)
{
	if (db == NULL)
		return;
	free(db->a);
	table_free(&db->byid);
	arena_free(db->mem);
	free(db);
}

size_t
agentdb_count(const struct agentdb *db)
{
	return db->n;
}

size_t
agentdb_bytes(const struct agentdb *db)
{
	return sizeof(*db) + db->n * sizeof(*db->a) +
	    table_bytes(&db->byid) + arena_bytes(db->mem);
}

const struct agent *
agentdb_at(const struct agentdb *db, size_t i)
{
	return i < db->n ? &db->a[i] : NULL;
}

const struct agent *
agentdb_find(const struct agentdb *db, const uint8_t id[KEY_ID_LEN])
{
	size_t at;

	for (uint32_t x = table_first(&db->byid, keys_id64(id), &at);
	    x != TABLE_END; x = table_next(&db->byid, &at))
		if (memcmp(db->a[x].key_id, id, KEY_ID_LEN) == 0)
			return &db->a[x];
	return NULL;
}

const struct agent *
agentdb_by_name(const struct agentdb *db, const char *name)
{
	size_t lo = 0, hi = db->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, db->a[mid].name);

		if (c == 0)
			return &db->a[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
