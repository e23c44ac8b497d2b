/* SPDX-License-Identifier: ISC */
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
 * The daemon holds one struct per agent (100,000 agents must fit its memory
 * budget), so everything of variable size is behind a pointer. A standalone
 * agent (agent_load, or built with agent_set_name, agent_add_enclave and
 * agent_add_label) owns what they point to: a zeroed struct is an empty
 * agent, and agent_clear frees what one holds. The agents of an agentdb point
 * into the table's own storage (agents with equal lists share one copy): they
 * are read-only and freed with the table.
 */
struct agent {
	const char *name;
	uint8_t pk[KEY_PK_LEN];
	uint8_t key_id[KEY_ID_LEN];
	int64_t expires;		/* seconds since the epoch; 0: never */
	int64_t revoked;		/* seconds since the epoch; 0: not revoked */
	const char *const *enclaves;	/* nenclaves names */
	const struct label *labels;	/* nlabels labels */
	uint8_t nenclaves;		/* at most AGENT_MAX_ENCLAVES */
	uint8_t nlabels;		/* at most POLICY_MAX_LABELS */
};

/* Set the name (copied, not validated beyond length: agent_write checks it);
 * 0, or -1 when too long (POLICY_NAME_MAX) or out of memory. */
int agent_set_name(struct agent *a, const char *name);

/* Append an enclave name or a label (copied, not validated beyond length);
 * 0, or -1 when full (AGENT_MAX_ENCLAVES, POLICY_MAX_LABELS), too long or
 * out of memory. */
int agent_add_enclave(struct agent *a, const char *name);
int agent_add_label(struct agent *a, const char *key, const char *value);

/* Free what a standalone agent holds and zero it. */
void agent_clear(struct agent *a);

/* 1 if a (NULL: none) may knock at now_ms: neither revoked nor expired. */
int agent_usable(const struct agent *a, uint64_t now_ms);

/* Load one agent file into a (whatever a held before is overwritten, not
 * freed); 0 or -1 (reported with file and line; a then holds nothing). */
int agent_load(const char *path, struct agent *a);

/* Write DIR/NAME.ini atomically (temp file, fsync, rename). With replace 0 an
 * existing file is an error. 0 or -1. */
int agent_write(const char *dir, const struct agent *a, int replace);

/* Report (with file and line) every enclave of a that p lacks; returns count. */
int agent_check_enclaves(const struct agent *a, const char *path,
    const struct policy *p);

#endif
