/* SPDX-License-Identifier: ISC */
/* Tests for gatewayd/config.c: defaults, every key, errors with file:line. */
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "t.h"
#include "tfile.h"

static char dir[] = "/tmp/spa-test-config-XXXXXX";
static char real[PATH_MAX];
static struct gw_config c;

static void
put(const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/gateway.ini", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static int
is(const char *got, const char *rel)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/%s", real, rel);
	return strcmp(got, want) == 0;
}

#define BAD(text, want) do {						\
	put(text);							\
	T_CHECK(config_load(dir, &c) == -1);				\
	T_CHECK(t_has(want));						\
} while (0)

static void
test_defaults(void)
{
	put("[gateway]\ninterface = eth0\n");
	T_CHECK(config_load(dir, &c) == 0);
	T_CHECK(strcmp(c.dir, real) == 0 && is(c.file, "gateway.ini"));
	T_CHECK(c.nifaces == 1 && strcmp(c.ifaces[0], "eth0") == 0);
	T_CHECK(c.port == CONFIG_DEFAULT_PORT && c.clock_skew == 30);
	T_CHECK(strcmp(c.table, "spa_gateway") == 0);
	T_CHECK(c.allow_other_address == 0 && c.user[0] == '\0');
	T_CHECK(c.address[0] == '\0' && c.nallow == 0);
	T_CHECK(is(c.identity, "identity.key") && is(c.policy, "policy.ini") &&
	    is(c.agents, "agents.d") && is(c.state, "state") &&
	    is(c.audit, "audit.log") && is(c.control, "control.sock"));
}

static void
test_full(void)
{
	put("[Gateway]\n"
	    "interface = eth0, veth-k.1 ,wg0\n"
	    "port = 4000\n"
	    "address = gw.example.net\n"
	    "clock_skew = 600\n"
	    "table = spa_test_1\n"
	    "allow_other_address = Yes\n"
	    "user = spa-gateway\n"
	    "[paths]\n"
	    "identity = /var/lib/spa/id.key\n"
	    "policy = conf/policy.ini\n"
	    "control = /run/spa/control.sock\n"
	    "[firewall]\n"
	    "allow = 192.0.2.0/24 tcp/22,\t2001:db8::/32  UDP/53, 198.51.100.7 tcp/2222\n");
	T_CHECK(config_load(dir, &c) == 0);
	T_CHECK(c.nifaces == 3 && strcmp(c.ifaces[1], "veth-k.1") == 0 &&
	    strcmp(c.ifaces[2], "wg0") == 0);
	T_CHECK(c.port == 4000 && c.clock_skew == 600);
	T_CHECK(strcmp(c.address, "gw.example.net") == 0);
	T_CHECK(strcmp(c.table, "spa_test_1") == 0 && c.allow_other_address == 1);
	T_CHECK(strcmp(c.user, "spa-gateway") == 0);
	T_CHECK(strcmp(c.identity, "/var/lib/spa/id.key") == 0);
	T_CHECK(is(c.policy, "conf/policy.ini") && is(c.agents, "agents.d"));
	T_CHECK(strcmp(c.control, "/run/spa/control.sock") == 0);
	T_CHECK(c.nallow == 3);
	T_CHECK(c.allow[0].addr.family == 4 && c.allow[0].plen == 24 &&
	    c.allow[0].proto == IPPROTO_TCP && c.allow[0].port == 22);
	T_CHECK(c.allow[1].addr.family == 6 && c.allow[1].plen == 32 &&
	    c.allow[1].proto == IPPROTO_UDP && c.allow[1].port == 53);
	T_CHECK(c.allow[2].plen == 32 && c.allow[2].port == 2222);

	put("[gateway]\ninterface = eth0\naddress = 2001:db8::1\n"
	    "allow_other_address = false\n[firewall]\nallow =\n");
	T_CHECK(config_load(dir, &c) == 0);
	T_CHECK(strcmp(c.address, "2001:db8::1") == 0 && c.nallow == 0);
}

static void
test_bad(void)
{
	char nine[256] = "[gateway]\ninterface = e0";

	for (int i = 1; i < 9; i++)
		snprintf(nine + strlen(nine), sizeof(nine) - strlen(nine), ",e%d", i);
	strcat(nine, "\n");
	BAD(nine, "gateway.ini:2:");
	BAD("[gateway]\ninterface = eth0\n[gatway]\n", "gateway.ini:3:");
	BAD("[paths]\npolicy = p.ini\n", "gateway.ini: [gateway] lacks");
	BAD("[gateway]\nport = 1\n", "gateway.ini:1:");
	BAD("[gateway]\ninterface =\n", "gateway.ini:2:");
	BAD("[gateway]\ninterface = eth0,\n", "gateway.ini:2:");
	BAD("[gateway]\ninterface = eth0, eth0\n", "gateway.ini:2:");
	BAD("[gateway]\ninterface = abcdefghijklmnop\n", "gateway.ini:2:");
	BAD("[gateway]\ninterface = e/0\n", "gateway.ini:2:");
	BAD("[gateway]\ninterface = eth0\nport = 0\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nport = 65536\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nport = 010x\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nclock_skew = 0\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nclock_skew = 601\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\ntable = Spa\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\ntable = spa-gw\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\n"
	    "table = abcdefghijklmnopqrstuvwxyz_abcdef\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nallow_other_address = maybe\n",
	    "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nuser = Root\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\naddress = a b\n", "gateway.ini:3:");
	BAD("[gateway]\ninterface = eth0\nport = 1\ncolour = red\n",
	    "gateway.ini:4:");
	BAD("[gateway]\ninterface = eth0\n[paths]\npolicy =\n", "gateway.ini:4:");
	BAD("[gateway]\ninterface = eth0\n[paths]\nsecrets = x\n",
	    "gateway.ini:4:");
	BAD("[gateway]\ninterface = eth0\n[paths]\ncontrol = /run/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	    "gateway.ini:4:");
#define FW(rule) "[gateway]\ninterface = eth0\n[firewall]\n\nallow = " rule "\n"
	BAD(FW("192.0.2.1/24 tcp/22"), "gateway.ini:5:");
	BAD(FW("192.0.2.0/24 icmp/22"), "gateway.ini:5:");
	BAD(FW("192.0.2.0/24 tcp"), "gateway.ini:5:");
	BAD(FW("192.0.2.0/24 tcp/0"), "gateway.ini:5:");
	BAD(FW("192.0.2.0/24"), "gateway.ini:5:");
	BAD(FW("192.0.2.0/24 tcp/22,"), "gateway.ini:5:");
	BAD(FW("example.com tcp/22"), "gateway.ini:5:");
#undef FW
	T_CHECK(config_load("/nonexistent-spa-dir", &c) == -1);
	T_CHECK(t_has("/nonexistent-spa-dir"));
}

static void
test_dir(void)
{
	unsetenv("SPA_CONFIG_DIR");
	T_CHECK(strcmp(config_dir(NULL), CONFIG_DEFAULT_DIR) == 0);
	T_CHECK(strcmp(config_dir("/x"), "/x") == 0);
	setenv("SPA_CONFIG_DIR", "", 1);
	T_CHECK(strcmp(config_dir(NULL), CONFIG_DEFAULT_DIR) == 0);
	setenv("SPA_CONFIG_DIR", "/env", 1);
	T_CHECK(strcmp(config_dir(NULL), "/env") == 0);
	T_CHECK(strcmp(config_dir("/x"), "/x") == 0);
	unsetenv("SPA_CONFIG_DIR");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL || realpath(dir, real) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_defaults();
	test_full();
	test_bad();
	test_dir();
	t_rm_tree(dir);
	return T_DONE();
}
