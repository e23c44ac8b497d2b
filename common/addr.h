/* SPDX-License-Identifier: ISC */
#ifndef SPA_ADDR_H
#define SPA_ADDR_H

#include <stdint.h>

/* An IPv4 or IPv6 address; IPv4 occupies the first 4 bytes, the rest zero. */
struct spa_addr {
	uint8_t family;		/* 4 or 6; 0 for none */
	uint8_t bytes[16];
};

#define SPA_ADDR_STRLEN 46

/* Parse a literal IPv4 or IPv6 address (no names, no prefix). */
int addr_parse(const char *s, struct spa_addr *a);
/* Parse "ADDR/LEN" (LEN optional: full length); host bits must be zero. */
int addr_parse_prefix(const char *s, struct spa_addr *a, uint8_t *plen);
/* Format into buf (SPA_ADDR_STRLEN bytes); returns buf. */
const char *addr_fmt(const struct spa_addr *a, char *buf);
/* 1 if equal (family and bytes). */
int addr_eq(const struct spa_addr *a, const struct spa_addr *b);

#endif
