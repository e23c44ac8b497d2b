/* SPDX-License-Identifier: ISC */
#ifndef SPA_POLICY_H
#define SPA_POLICY_H

/*
 * Entitlement policy (policy.ini), loaded once into typed, validated structs.
 *
 *   [resource:NAME]  proto = tcp|udp; port = N or N-M; address = IP (optional:
 *                    a host behind the gateway, reached through forward)
 *   [enclave:NAME]   resources = a, b; max_duration = S; default_duration = S
 *                    (optional, default max_duration); labels = k=v, ...
 *                    (optional: agents carrying all of them are members)
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define POLICY_NAME_MAX 64
#define POLICY_LABEL_KEY_MAX 32
#define POLICY_LABEL_VALUE_MAX 64
#define POLICY_MAX_LABELS 16
#define POLICY_MAX_DURATION 86400u
#define POLICY_MAX_PORT_SPAN 1024u	/* ports in one range */

struct label {
	char key[POLICY_LABEL_KEY_MAX];
	char value[POLICY_LABEL_VALUE_MAX];
};

struct resource {
	char name[POLICY_NAME_MAX];
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port_lo, port_hi;	/* equal for a single port */
	struct spa_addr addr;		/* family 0: on the gateway itself */
};

struct enclave {
	char name[POLICY_NAME_MAX];
	uint32_t *res;			/* indexes into policy->res, ascending */
	size_t nres;
	uint32_t max_duration;		/* seconds, 1..POLICY_MAX_DURATION */
	uint32_t default_duration;	/* seconds, 1..max_duration */
	struct label labels[POLICY_MAX_LABELS];
	size_t nlabels;
};

struct policy_index;

struct policy {
	struct resource *res;
	size_t nres;
	struct enclave *enc;
	size_t nenc;
	struct policy_index *idx;	/* private: name lookup built by
					   policy_load; NULL: linear search */
};

/* Load and validate policy.ini; NULL on error (reported with file and line). */
struct policy *policy_load(const char *path);
void policy_free(struct policy *p);

/* Index of the named resource or enclave, -1 if none. */
int policy_resource(const struct policy *p, const char *name);
int policy_enclave(const struct policy *p, const char *name);

/*
 * Parse "k=v, k2=v2" into labels (at most max); returns the count or -1.
 * Keys and values are names as util_valid_name accepts (keys shorter than
 * POLICY_LABEL_KEY_MAX), each key once; "" is no labels. Reports nothing: the
 * caller knows file and line.
 */
int policy_parse_labels(const char *s, struct label *labels, size_t max);

#endif
