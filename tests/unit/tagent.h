/* SPDX-License-Identifier: ISC */
#ifndef SPA_TAGENT_H
#define SPA_TAGENT_H

/* Helpers for the tests of rules/agent.c and rules/agentdb.c. */

#include <string.h>

#include "agent.h"

/* 1 if a and b hold the same agent, field by field: name, enclaves and
 * labels live behind pointers (labels are zeroed past their strings, so
 * memcmp compares them). */
static inline int
same_agent(const struct agent *a, const struct agent *b)
{
	if (strcmp(a->name, b->name) || memcmp(a->pk, b->pk, KEY_PK_LEN) ||
	    memcmp(a->key_id, b->key_id, KEY_ID_LEN) || a->expires != b->expires ||
	    a->revoked != b->revoked || a->nenclaves != b->nenclaves ||
	    a->nlabels != b->nlabels || (a->nlabels > 0 &&
	    memcmp(a->labels, b->labels, a->nlabels * sizeof(*a->labels))))
		return 0;
	for (size_t i = 0; i < a->nenclaves; i++)
		if (strcmp(a->enclaves[i], b->enclaves[i]) != 0)
			return 0;
	return 1;
}

#endif
