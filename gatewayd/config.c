/* SPDX-License-Identifier: ISC */
/* gateway.ini parsed once into a typed, validated struct. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config.h"
#include "diag.h"
#include "ini.h"
#include "list.h"
#include "util.h"

#define CONFIG_DEFAULT_SKEW 30
#define CONFIG_MAX_SKEW 600
#define CONFIG_DEFAULT_TABLE "spa_gateway"

static const char *const gateway_keys[] = { "interface", "port", "address",
	"clock_skew", "table", "allow_other_address", "user", NULL };
static const char *const path_keys[] = { "identity", "policy", "agents",
	"state", "audit", "control", NULL };
static const char *const firewall_keys[] = { "allow", NULL };

/*
 * Hand each item of a comma-separated list to fn (list.h: trimmed; a blank
 * value is no items, an empty item is an error).
 */
typedef int (*item_fn)(struct gw_config *c, char *item);

static int
each_item(const struct ini *ini, const char *sec, const char *key,
    struct gw_config *c, item_fn fn, const char *expect)
{
	const char *v = ini_get(ini, sec, key);
	struct list l;
	char *buf, *item;
	int r, ret = -1;

	if (v == NULL)
		return 0;
	if ((buf = strdup(v)) == NULL) {
		diag(ini_path(ini), 0, "out of memory");
		return -1;
	}
	list_init(&l, buf);
	while ((r = list_next(&l, &item)) != 0) {
		if (r < 0 || fn(c, item) != 0) {
			diag(ini_path(ini), ini_line(ini, sec, key), "bad %s '%s' "
			    "(expected %s)", key, item, expect);
			goto out;
		}
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int
add_iface(struct gw_config *c, char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || c->nifaces == CONFIG_MAX_IFACES ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.:-") != n)
		return -1;
	for (size_t i = 0; i < c->nifaces; i++)
		if (strcmp(c->ifaces[i], s) == 0)
			return -1;
	memcpy(c->ifaces[c->nifaces++], s, n + 1);
	return 0;
}

/* "PREFIX PROTO/PORT", e.g. "192.0.2.0/24 tcp/22". */
static int
add_allow(struct gw_config *c, char *s)
{
	struct fw_allow *r = &c->allow[c->nallow];
	char *sp, *slash;
	uint64_t port;

	if (c->nallow == CONFIG_MAX_ALLOW || (sp = strpbrk(s, " \t")) == NULL)
		return -1;
	*sp++ = '\0';
	sp = util_trim(sp);
	if (addr_parse_prefix(s, &r->addr, &r->plen) != 0 ||
	    (slash = strchr(sp, '/')) == NULL)
		return -1;
	*slash++ = '\0';
	if (strcasecmp(sp, "tcp") == 0)
		r->proto = IPPROTO_TCP;
	else if (strcasecmp(sp, "udp") == 0)
		r->proto = IPPROTO_UDP;
	else
		return -1;
	if (util_parse_u64(slash, 1, 65535, &port) != 0)
		return -1;
	r->port = (uint16_t)port;
	c->nallow++;
	return 0;
}

static int
get_u64(const struct ini *ini, const char *sec, const char *key, uint64_t min,
    uint64_t max, uint64_t *out)
{
	const char *v = ini_get(ini, sec, key);

	if (v == NULL)
		return 0;
	if (util_parse_u64(v, min, max, out) != 0) {
		diag(ini_path(ini), ini_line(ini, sec, key), "bad %s '%s' "
		    "(expected %llu..%llu)", key, v, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int
valid_table(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < CONFIG_TABLE_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* An IP literal or a DNS name. */
static int
valid_address(const char *s)
{
	struct spa_addr a;
	size_t n = strlen(s);

	if (addr_parse(s, &a) == 0)
		return 1;
	return n > 0 && n < 254 && s[0] != '-' && s[0] != '.' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-") == n;
}

static int
get_bool(const struct ini *ini, const char *sec, const char *key, int *out)
{
	const char *v = ini_get(ini, sec, key);

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		*out = 0;
	else {
		diag(ini_path(ini), ini_line(ini, sec, key),
		    "bad %s '%s' (expected yes or no)", key, v);
		return -1;
	}
	return 0;
}

static int
load_gateway(const struct ini *ini, struct gw_config *c)
{
	const char *path = ini_path(ini), *v;
	uint64_t n;

	if (each_item(ini, "gateway", "interface", c, add_iface, "at most "
	    "8 distinct names of 1..15 of [A-Za-z0-9_.:-]") != 0)
		return -1;
	if (c->nifaces == 0) {
		diag(path, ini_line(ini, "gateway", "interface"), "[gateway] %s",
		    ini_get(ini, "gateway", "interface") ? "interface is empty" :
		    "lacks required key 'interface'");
		return -1;
	}
	n = CONFIG_DEFAULT_PORT;
	if (get_u64(ini, "gateway", "port", 1, 65535, &n) != 0)
		return -1;
	c->port = (uint16_t)n;
	n = CONFIG_DEFAULT_SKEW;
	if (get_u64(ini, "gateway", "clock_skew", 1, CONFIG_MAX_SKEW, &n) != 0)
		return -1;
	c->clock_skew = (uint32_t)n;
	if ((v = ini_get(ini, "gateway", "address")) != NULL &&
	    (!valid_address(v) ||
	    util_strlcpy(c->address, v, sizeof(c->address)) != 0)) {
		diag(path, ini_line(ini, "gateway", "address"), "bad address '%s' "
		    "(expected an IP address or a DNS name)", v);
		return -1;
	}
	v = ini_get(ini, "gateway", "table");
	if (v != NULL && !valid_table(v)) {
		diag(path, ini_line(ini, "gateway", "table"), "bad table '%s' "
		    "(expected 1..%d of [a-z0-9_])", v, CONFIG_TABLE_MAX - 1);
		return -1;
	}
	memcpy(c->table, v ? v : CONFIG_DEFAULT_TABLE,
	    strlen(v ? v : CONFIG_DEFAULT_TABLE) + 1);
	if (get_bool(ini, "gateway", "allow_other_address",
	    &c->allow_other_address) != 0)
		return -1;
	if ((v = ini_get(ini, "gateway", "user")) != NULL && (!util_valid_name(v) ||
	    util_strlcpy(c->user, v, sizeof(c->user)) != 0)) {
		diag(path, ini_line(ini, "gateway", "user"), "bad user '%s'", v);
		return -1;
	}
	return 0;
}

/* [paths] key (or its default), relative to the config dir. */
static int
get_path(const struct ini *ini, const struct gw_config *c, const char *key,
    const char *def, char out[PATH_MAX])
{
	const char *v = ini_get(ini, "paths", key);
	int n;

	if (v == NULL)
		v = def;
	if (*v == '\0') {
		diag(ini_path(ini), ini_line(ini, "paths", key), "empty %s", key);
		return -1;
	}
	if (*v == '/')
		n = snprintf(out, PATH_MAX, "%s", v);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", c->dir, v);
	if (n < 0 || n >= PATH_MAX) {
		diag(ini_path(ini), ini_line(ini, "paths", key),
		    "%s path too long", key);
		return -1;
	}
	return 0;
}

static int
load_paths(const struct ini *ini, struct gw_config *c)
{
	struct sockaddr_un sun;

	if (get_path(ini, c, "identity", "identity.key", c->identity) != 0 ||
	    get_path(ini, c, "policy", "policy.ini", c->policy) != 0 ||
	    get_path(ini, c, "agents", "agents.d", c->agents) != 0 ||
	    get_path(ini, c, "state", "state", c->state) != 0 ||
	    get_path(ini, c, "audit", "audit.log", c->audit) != 0 ||
	    get_path(ini, c, "control", "control.sock", c->control) != 0)
		return -1;
	if (strlen(c->control) >= sizeof(sun.sun_path)) {
		diag(ini_path(ini), ini_line(ini, "paths", "control"), "control "
		    "socket path longer than %zu characters: %s",
		    sizeof(sun.sun_path) - 1, c->control);
		return -1;
	}
	return 0;
}

static int
check_sections(const struct ini *ini)
{
	const char *sec;
	int bad = 0;

	for (int i = 0; i < ini_nsections(ini); i++) {
		sec = ini_section(ini, i);
		if (strcmp(sec, "gateway") && strcmp(sec, "paths") &&
		    strcmp(sec, "firewall")) {
			diag(ini_path(ini), ini_line(ini, sec, NULL), "unknown section "
			    "[%s] (expected [gateway], [paths] or [firewall])", sec);
			return -1;
		}
	}
	bad += ini_check_keys(ini, "gateway", gateway_keys);
	bad += ini_check_keys(ini, "paths", path_keys);
	bad += ini_check_keys(ini, "firewall", firewall_keys);
	return bad ? -1 : 0;
}

int
config_load(const char *dir, struct gw_config *c)
{
	struct ini *ini = NULL;
	char *real = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if ((real = realpath(dir, NULL)) == NULL) {
		diag(dir, 0, "cannot use config directory: %s", strerror(errno));
		goto out;
	}
	if (util_strlcpy(c->dir, real, sizeof(c->dir)) != 0 ||
	    snprintf(c->file, sizeof(c->file), "%s/gateway.ini", real) >=
	    (int)sizeof(c->file)) {
		diag(dir, 0, "path too long");
		goto out;
	}
	if ((ini = ini_load(c->file)) == NULL || check_sections(ini) != 0 ||
	    load_gateway(ini, c) != 0 || load_paths(ini, c) != 0)
		goto out;
	if (each_item(ini, "firewall", "allow", c, add_allow, "PREFIX "
	    "tcp|udp/PORT, e.g. 192.0.2.0/24 tcp/22, at most 32") != 0)
		goto out;
	for (size_t i = 0; i < c->nallow; i++) {
		if (c->allow[i].proto == IPPROTO_UDP && c->allow[i].port == c->port) {
			diag(c->file, ini_line(ini, "firewall", "allow"), "allow: "
			    "udp/%u is the knock port; allowing it would let the "
			    "host answer knocks (the daemon reads them from the "
			    "capture)",
			    (unsigned)c->port);
			goto out;
		}
	}
	ret = 0;
out:
	ini_free(ini);
	free(real);
	return ret;
}

const char *
config_dir(const char *arg)
{
	const char *env;

	if (arg != NULL)
		return arg;
	env = getenv("SPA_CONFIG_DIR");
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_DIR;
}
