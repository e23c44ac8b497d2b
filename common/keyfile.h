/* SPDX-License-Identifier: ISC */
#ifndef SPA_KEYFILE_H
#define SPA_KEYFILE_H

/*
 * Secret key files: the agent's credential file and the gateway's identity.
 * Both are INI files of mode 0600; a file readable or writable by group or
 * others is refused, like ssh does. Secrets are wiped on every path.
 */

#include <stdint.h>

#include "keys.h"

#define KEYFILE_HOST_MAX 256
#define KEYFILE_DEFAULT_PORT 62201

struct cred {
	char name[64];
	uint8_t sk[KEY_SK_LEN];		/* seed || public key */
	uint8_t pk[KEY_PK_LEN];
	uint8_t key_id[KEY_ID_LEN];
	char gw_host[KEYFILE_HOST_MAX];
	uint16_t gw_port;
	uint8_t gw_pk[KEY_PK_LEN];
};

/* Load a credential file; 0 or -1 (reported with file and line). */
int keyfile_load_cred(const char *path, struct cred *c);
/* Write a new credential file (mode 0600, never replacing one); 0 or -1. */
int keyfile_write_cred(const char *path, const struct cred *c);

/* Load the gateway identity (secret key file); 0 or -1. */
int keyfile_load_identity(const char *path, uint8_t sk[KEY_SK_LEN],
    uint8_t pk[KEY_PK_LEN]);
/* Write a new identity file (mode 0600, never replacing one); 0 or -1. */
int keyfile_write_identity(const char *path, const uint8_t sk[KEY_SK_LEN]);

/* 0 if path is a regular file not accessible by group or others, else -1. */
int keyfile_check_private(const char *path);

#endif
