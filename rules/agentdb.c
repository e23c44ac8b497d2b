#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "diag.h"
#include "util.h"

/*
 * Agents in one array; two open-addressing tables (slot: index + 1, 0: empty,
 * at most half full) find them by key id and by name. Key ids come out of a
 * hash, so their low bits index the table directly.
 */
struct agentdb {
	struct agent *a;
	size_t n, cap;
	uint32_t *byid, *byname;
	size_t mask;
};

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

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
grow(struct agentdb *db)
{
	struct agent *a;
	size_t cap;

	if (db->n < db->cap)
		return 0;
	cap = db->cap ? db->cap * 2 : 64;
	if (cap > UINT32_MAX / 2 || (a = reallocarray(db->a, cap, sizeof(*a))) == NULL)
		return -1;
	db->a = a;
	db->cap = cap;
	return 0;
}

static int
build_index(struct agentdb *db, const char *dir)
{
	char hex[2 * KEY_ID_LEN + 1], path[PATH_MAX];
	size_t cap = 16, h;

	while (cap < 2 * db->n)
		cap *= 2;
	db->mask = cap - 1;
	if ((db->byid = calloc(cap, sizeof(uint32_t))) == NULL ||
	    (db->byname = calloc(cap, sizeof(uint32_t))) == NULL) {
		diag(dir, 0, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < db->n; i++) {
		const struct agent *a = &db->a[i];

		for (h = keys_id64(a->key_id) & db->mask; db->byid[h] != 0;
		    h = (h + 1) & db->mask) {
			const struct agent *o = &db->a[db->byid[h] - 1];

			if (memcmp(o->key_id, a->key_id, KEY_ID_LEN) != 0)
				continue;
			util_hex(a->key_id, KEY_ID_LEN, hex);
			snprintf(path, sizeof(path), "%s/%s.ini", dir, a->name);
			diag(path, 0, "key id %s is also the key id of %s/%s.ini "
			    "(same public key?)", hex, dir, o->name);
			return -1;
		}
		db->byid[h] = (uint32_t)i + 1;
		/* Names are file names of one directory: unique. */
		for (h = name_hash(a->name) & db->mask; db->byname[h] != 0;
		    h = (h + 1) & db->mask)
			;
		db->byname[h] = (uint32_t)i + 1;
	}
	return 0;
}

static int
load_all(struct agentdb *db, DIR *d, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;

	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (!wanted(de))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path)) {
			diag(dir, 0, "path too long: %s", de->d_name);
			return -1;
		}
		if (grow(db) != 0) {
			diag(dir, 0, "out of memory");
			return -1;
		}
		if (agent_load(path, &db->a[db->n]) != 0)
			return -1;
		db->n++;
	}
	if (errno != 0) {
		diag(dir, 0, "cannot read directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct agentdb *
agentdb_load(const char *dir)
{
	struct agentdb *db = NULL;
	DIR *d = NULL;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		diag(dir, 0, "out of memory");
		goto fail;
	}
	if ((d = opendir(dir)) == NULL) {
		diag(dir, 0, "cannot open directory: %s", strerror(errno));
		goto fail;
	}
	if (load_all(db, d, dir) != 0 || build_index(db, dir) != 0)
		goto fail;
	closedir(d);
	return db;
fail:
	if (d != NULL)
		closedir(d);
	agentdb_free(db);
	return NULL;
}

void
agentdb_free(struct agentdb *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++)
		agent_clear(&db->a[i]);
	free(db->a);
	free(db->byid);
	free(db->byname);
	free(db);
}

size_t
agentdb_count(const struct agentdb *db)
{
	return db->n;
}

const struct agent *
agentdb_at(const struct agentdb *db, size_t i)
{
	return i < db->n ? &db->a[i] : NULL;
}

const struct agent *
agentdb_find(const struct agentdb *db, const uint8_t id[KEY_ID_LEN])
{
	size_t h;

	for (h = keys_id64(id) & db->mask; db->byid[h] != 0; h = (h + 1) & db->mask)
		if (memcmp(db->a[db->byid[h] - 1].key_id, id, KEY_ID_LEN) == 0)
			return &db->a[db->byid[h] - 1];
	return NULL;
}

const struct agent *
agentdb_by_name(const struct agentdb *db, const char *name)
{
	size_t h;

	for (h = name_hash(name) & db->mask; db->byname[h] != 0;
	    h = (h + 1) & db->mask)
		if (strcmp(db->a[db->byname[h] - 1].name, name) == 0)
			return &db->a[db->byname[h] - 1];
	return NULL;
}
