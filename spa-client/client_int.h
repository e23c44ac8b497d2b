/* SPDX-License-Identifier: ISC */
#ifndef SPA_CLIENT_INT_H
#define SPA_CLIENT_INT_H

/*
 * Inside libspa-client only (hidden symbols): what the connect and probe code
 * needs from a handle, and the per-thread error detail.
 */

#include <stddef.h>
#include <stdint.h>

struct spa_client;

/* 1 if the gateway has an address of family (AF_INET, AF_INET6). */
int client_has_family(const struct spa_client *c, int family);

/* Build and send one knock to the gateway's address of family (AF_UNSPEC:
 * its first address); SPA_OK or an spa_err code. */
int client_knock_family(struct spa_client *c, const char *const *resources,
    size_t n, uint32_t duration, int family);

/* The wait after a knock: timeout_ms, or the handle's default when 0. */
unsigned client_timeout(const struct spa_client *c, unsigned timeout_ms);

/* Forget the detail of an earlier error (start of each API call). */
void client_clear_detail(void);

#endif
