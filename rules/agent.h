#ifndef SPA_AGENT_H
#define SPA_AGENT_H

/*
 * Agent files: agents.d/NAME.ini, one per agent, written by spa-admin.
 *
 *   [agent]
 *   public_key = BASE64 (32 bytes, Ed25519)
 *   enclaves = a, b            (optional)
 *   labels = k=v, k2=v2        (optional)
 *   expires = RFC3339          (optional)
 *   revoked = RFC3339          (optional: when it was revoked)
 *
 * The agent's name is the file name without ".ini".
 */

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "policy.h"

#define AGENT_MAX_ENCLAVES 16

/*
 * Enclaves and labels are allocated to size (agent_add_enclave,
 * agent_add_label): the daemon holds one struct per agent, so 100,000 agents
 * must not cost the room of the largest one each. A zeroed struct is an
 * empty agent; agent_clear frees what one holds.
 */
struct agent {
	char name[POLICY_NAME_MAX];
	uint8_t pk[KEY_PK_LEN];
	uint8_t key_id[KEY_ID_LEN];
	int64_t expires;		/* seconds since the epoch; 0: never */
	int64_t revoked;		/* seconds since the epoch; 0: not revoked */
	size_t nenclaves;
	size_t nlabels;
	char (*enclaves)[POLICY_NAME_MAX];	/* nenclaves names */
	struct label *labels;			/* nlabels labels */
};

/* Append an enclave name or a label (copied, not validated beyond length);
 * 0, or -1 when full (AGENT_MAX_ENCLAVES, POLICY_MAX_LABELS), too long or
 * out of memory. */
int agent_add_enclave(struct agent *a, const char *name);
int agent_add_label(struct agent *a, const char *key, const char *value);

/* Free what a holds and zero it. */
void agent_clear(struct agent *a);

/* Load one agent file into a (whatever a held before is overwritten, not
 * freed); 0 or -1 (reported with file and line; a then holds nothing). */
int agent_load(const char *path, struct agent *a);

/* Write DIR/NAME.ini atomically (temp file, fsync, rename). With replace 0 an
 * existing file is an error. 0 or -1. */
int agent_write(const char *dir, const struct agent *a, int replace);

/* Report (with file and line) every enclave of a that p lacks; returns count. */
int agent_check_enclaves(const struct agent *a, const char *path,
    const struct policy *p);

/* The agents of a directory, looked up by key id in O(1). */
struct agentdb;

/* Load every DIR/NAME.ini (hidden and other files are skipped); NULL if any
 * file is bad or two agents share a key id. */
struct agentdb *agentdb_load(const char *dir);
void agentdb_free(struct agentdb *db);
size_t agentdb_count(const struct agentdb *db);
const struct agent *agentdb_at(const struct agentdb *db, size_t i);
const struct agent *agentdb_find(const struct agentdb *db, const uint8_t id[KEY_ID_LEN]);
const struct agent *agentdb_by_name(const struct agentdb *db, const char *name);

#endif
