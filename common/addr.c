/* SPDX-License-Identifier: ISC */
/* Network addresses: parsed, formatted, compared (IPv4 and IPv6). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int
addr_parse(const char *s, struct spa_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

int
addr_parse_prefix(const char *s, struct spa_addr *a, uint8_t *plen)
{
	char buf[64];
	char *slash;
	uint64_t len;
	unsigned max;

	if (util_strlcpy(buf, s, sizeof(buf)) != 0)
		return -1;
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (addr_parse(buf, a) != 0)
		return -1;
	max = a->family == 4 ? 32 : 128;
	if (slash == NULL)
		len = max;
	else if (util_parse_u64(slash, 0, max, &len) != 0)
		return -1;
	for (unsigned bit = (unsigned)len; bit < max; bit++)
		if (a->bytes[bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	*plen = (uint8_t)len;
	return 0;
}

const char *
addr_fmt(const struct spa_addr *a, char *buf)
{
	if (a->family == 4)
		inet_ntop(AF_INET, a->bytes, buf, SPA_ADDR_STRLEN);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->bytes, buf, SPA_ADDR_STRLEN);
	else
		snprintf(buf, SPA_ADDR_STRLEN, "-");
	return buf;
}

int
addr_eq(const struct spa_addr *a, const struct spa_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}
