/* SPDX-License-Identifier: ISC */
/* The agent table: every agent file of a directory, read-only once loaded. */
#ifndef SPA_AGENTDB_H
#define SPA_AGENTDB_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "keys.h"

/* The agents of a directory, in name order, looked up by key id in O(1) and
 * by name in O(log n). */
struct agentdb;

/* Load every DIR/NAME.ini (hidden and other files are skipped); NULL if any
 * file is bad, two agents share a key id, or memory runs out. */
struct agentdb *agentdb_load(const char *dir);
/* Free the table and the agents it holds; NULL is a no-op. */
void agentdb_free(struct agentdb *db);
/* The number of agents. */
size_t agentdb_count(const struct agentdb *db);

/* Bytes the table holds (its agents, index and storage, not the allocator's
 * own overhead). */
size_t agentdb_bytes(const struct agentdb *db);

/* The i-th agent in name order, NULL past the end. */
const struct agent *agentdb_at(const struct agentdb *db, size_t i);
/* The agent of key id id, or of that name; NULL if none. */
const struct agent *agentdb_find(const struct agentdb *db, const uint8_t id[KEY_ID_LEN]);
const struct agent *agentdb_by_name(const struct agentdb *db, const char *name);

#endif
