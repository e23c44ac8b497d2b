/* SPDX-License-Identifier: ISC */
/* spa-admin init: the request validated in full before anything is created. */
/*
 * spa-admin init: validate the request completely, refuse an existing tree,
 * then let init_tree.c create it. Nothing is created before every check
 * passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "diag.h"
#include "init.h"
#include "list.h"
#include "util.h"

#define SYSTEM_USER "spa-gateway"

static const char usage[] =
    "[--config-dir DIR] init --interface IF[,IF...] [--port N]\n"
    "                 [--address HOST] [--user NAME]";

/* A value gateway.ini can hold verbatim: no comment, quote or escape
 * characters, no control characters, no blanks at either end. */
static int
ini_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr(";#\"'\\", *s))
			return 0;
	return 1;
}

static int
charset(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* "eth0,eth1" into names and "eth0, eth1" into p->ifaces. */
static int
parse_ifaces(const char *arg, struct init_params *p,
    char names[CONFIG_MAX_IFACES][IF_NAMESIZE], size_t *n)
{
	char buf[sizeof(p->ifaces)];
	struct list l;
	char *tok;
	int r;

	*n = 0;
	if (util_strlcpy(buf, arg, sizeof(buf)) != 0)
		goto bad;
	list_init(&l, buf);
	while ((r = list_next(&l, &tok)) > 0) {
		if (*n == CONFIG_MAX_IFACES || !charset(tok, "_.:-") ||
		    util_strlcpy(names[*n], tok, IF_NAMESIZE) != 0)
			goto bad;
		for (size_t i = 0; i < *n; i++)
			if (strcmp(names[i], tok) == 0)
				goto bad;
		if (*n > 0)
			strcat(p->ifaces, ", ");
		strcat(p->ifaces, names[(*n)++]);
	}
	if (r == 0 && *n > 0)
		return 0;
bad:
	diag(NULL, 0, "init: bad --interface '%s': give 1 to %d distinct interface "
	    "names, comma-separated", arg, CONFIG_MAX_IFACES);
	return -1;
}

/* The first IPv4 address on the first of the interfaces that has one. */
static int
detect_address(char names[][IF_NAMESIZE], size_t n, char *out, size_t len)
{
	struct ifaddrs *all = NULL;
	int ret = -1;

	if (getifaddrs(&all) != 0) {
		diag(NULL, 0, "init: cannot list interfaces: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n && ret != 0; i++) {
		for (struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
			if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET ||
			    strcmp(a->ifa_name, names[i]) != 0)
				continue;
			if (inet_ntop(AF_INET, &((struct sockaddr_in *)
			    a->ifa_addr)->sin_addr, out, (socklen_t)len) != NULL) {
				ret = 0;
				break;
			}
		}
	}
	freeifaddrs(all);
	if (ret != 0)
		diag(NULL, 0, "init: no IPv4 address found on %s: pass --address "
		    "HOST (what agents knock at)", names[0]);
	return ret;
}

static int
set_address(const char *arg, struct init_params *p)
{
	struct spa_addr a;

	/* As config_load accepts it: an IP literal or a DNS name. */
	if (addr_parse(arg, &a) != 0 && (!charset(arg, ".-") || arg[0] == '-' ||
	    arg[0] == '.' || strlen(arg) >= 254)) {
		diag(NULL, 0, "init: bad --address '%s': give an IP address or a "
		    "host name", arg);
		return -1;
	}
	util_strlcpy(p->address, arg, sizeof(p->address));
	return 0;
}

/*
 * The user the daemon's packet-handling engine runs as, which must read
 * policy.ini and agents.d: --user NAME (must exist); without it the packaged
 * system user, else "nobody".
 */
static int
set_user(const char *arg, struct init_params *p)
{
	const char *name = arg ? arg :
	    getpwnam(SYSTEM_USER) != NULL ? SYSTEM_USER : "nobody";
	struct passwd *pw;

	if (!util_valid_name(name) || util_strlcpy(p->user, name, sizeof(p->user))) {
		diag(NULL, 0, "init: bad --user '%s'", name);
		return -1;
	}
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		p->user[0] = '\0';
		if (arg == NULL)
			return 0;
		diag(NULL, 0, "init: no such user '%s'", name);
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	p->chown_user = geteuid() == 0;
	return 0;
}

/* Drop "." and "" components and resolve ".." of an absolute path, in place
 * (for a DIR that does not exist yet, so realpath cannot). */
static void
normalize(char *path)
{
	char *out = path, *s = path, *e;

	while (*s != '\0') {
		while (*s == '/')
			s++;
		e = s + strcspn(s, "/");
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else if (e > s && !(e - s == 1 && s[0] == '.')) {
			*out++ = '/';
			memmove(out, s, (size_t)(e - s));
			out += e - s;
		}
		s = e;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* DIR as an absolute path (resolved if it exists), short enough for the
 * control socket inside it and safe to write into gateway.ini. */
static int
set_dir(const char *dir, struct init_params *p)
{
	struct sockaddr_un sun;
	char abs[PATH_MAX], real[PATH_MAX];
	const char *d = abs;
	int n;

	if (dir[0] == '/')
		n = snprintf(abs, sizeof(abs), "%s", dir);
	else if (getcwd(real, sizeof(real)) != NULL)
		n = snprintf(abs, sizeof(abs), "%s/%s", real, dir);
	else
		n = -1;
	if (n > 0 && (size_t)n < sizeof(abs)) {
		normalize(abs);
		if (realpath(abs, real) != NULL)
			d = real;
	}
	if (n < 0 || (size_t)n >= sizeof(abs) ||
	    util_strlcpy(p->dir, d, sizeof(p->dir)) != 0 ||
	    strlen(p->dir) + sizeof("/control.sock") > sizeof(sun.sun_path) ||
	    !ini_safe(p->dir)) {
		diag(dir, 0, "unusable config directory: DIR/control.sock must fit "
		    "in %zu characters, without ; # quotes or backslashes",
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

/* Refuse to touch an existing tree: nothing is created. */
static int
refuse_existing(const struct init_params *p)
{
	static const char *const files[] = { "gateway.ini", "identity.key" };
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, files[i]);
		if (access(path, F_OK) == 0) {
			diag(path, 0, "already exists: refusing to overwrite an "
			    "existing tree");
			return -1;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			diag(path, 0, "cannot check: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
print_done(const struct init_params *p, const uint8_t pk[KEY_PK_LEN])
{
	char pk64[sodium_base64_ENCODED_LEN(KEY_PK_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];

	util_b64_encode(pk, KEY_PK_LEN, pk64, sizeof(pk64));
	printf("initialised %s\n"
	    "gateway public key: %s\n"
	    "knock address: %s port %u (interface %s)\n"
	    "next steps:\n"
	    "  1. describe resources and enclaves in %s/policy.ini\n"
	    "  2. spa-admin --config-dir %s check\n"
	    "  3. spa-admin --config-dir %s agent add NAME --enclave ENCLAVE "
	    "--output NAME.cred\n"
	    "  4. spa-gatewayd --config-dir %s\n",
	    p->dir, pk64, p->address, (unsigned)p->port, p->ifaces, p->dir, p->dir,
	    p->dir, p->dir);
	if (p->user[0] != '\0' && !p->chown_user)
		printf("note: not root, so identity.key, state/ and agents.d/ still "
		    "belong to you, not to '%s'\n", p->user);
}

int
init_main(int argc, char **argv, const char *dir_arg)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct init_params p;
	const char *ifarg = NULL, *addr = NULL, *user = NULL;
	uint8_t pk[KEY_PK_LEN];
	uint64_t port = CONFIG_DEFAULT_PORT;
	char names[CONFIG_MAX_IFACES][IF_NAMESIZE];
	size_t n;
	int c;

	memset(&p, 0, sizeof(p));
	while ((c = getopt_long(argc, argv, ":c:i:p:a:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': dir_arg = optarg; break;
		case 'i': ifarg = optarg; break;
		case 'a': addr = optarg; break;
		case 'u': user = optarg; break;
		case 'h': return admin_usage(usage, 1);
		case 'p':
			if (util_parse_u64(optarg, 1, 65535, &port) != 0) {
				diag(NULL, 0, "init: bad --port '%s': give a number "
				    "from 1 to 65535", optarg);
				return EXIT_FAILURE;
			}
			break;
		default:
			return admin_bad_option(c, "init", argv, usage);
		}
	}
	if (optind < argc) {
		diag(NULL, 0, "init: unexpected argument '%s'", argv[optind]);
		return admin_usage(usage, 0);
	}
	if (ifarg == NULL) {
		diag(NULL, 0, "init: --interface is required");
		return admin_usage(usage, 0);
	}
	p.port = (uint16_t)port;
	if (set_dir(config_dir(dir_arg), &p) != 0 ||
	    parse_ifaces(ifarg, &p, names, &n) != 0 ||
	    (addr ? set_address(addr, &p) :
	    detect_address(names, n, p.address, sizeof(p.address))) != 0 ||
	    set_user(user, &p) != 0 || refuse_existing(&p) != 0 ||
	    init_tree_create(&p, pk) != 0)
		return EXIT_FAILURE;
	print_done(&p, pk);
	return EXIT_SUCCESS;
}
