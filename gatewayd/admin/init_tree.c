/* SPDX-License-Identifier: ISC */
/* The tree spa-admin init creates, all inside one directory. */
/*
 * The tree spa-admin init creates: everything inside one directory, so tests
 * and the demo need no system path. gateway.ini is written last: its
 * presence marks a complete tree. On error, whatever this run created is
 * removed again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "diag.h"
#include "init.h"
#include "keyfile.h"
#include "util.h"

#define MAX_MADE 8

struct made {
	char path[MAX_MADE][PATH_MAX];
	int isdir[MAX_MADE];
	size_t n;
};

static const char policy_text[] =
    "# spa-gateway policy: which agents may open which resources, and for how\n"
    "# long. Check it with: spa-admin check. A running daemon picks up changes.\n"
    "#\n"
    "# [resource:NAME]     a service on the gateway, or behind it\n"
    "#   proto = tcp | udp\n"
    "#   port = N or N-M\n"
    "#   address = IP      optional: a host behind the gateway (forwarded)\n"
    "#\n"
    "# [enclave:NAME]      resources opened together, and who may open them\n"
    "#   resources = a, b\n"
    "#   max_duration = SECONDS       at most 86400\n"
    "#   default_duration = SECONDS   optional; default max_duration\n"
    "#   labels = k=v, ...            optional: agents with all of them are in\n"
    "#\n"
    "# An agent may open a resource when one of its enclaves holds it; enclaves\n"
    "# are given by spa-admin agent add --enclave E (or --label K=V).\n"
    "#\n"
    "# Example:\n"
    "#\n"
    "# [resource:ssh]\n"
    "# proto = tcp\n"
    "# port = 22\n"
    "#\n"
    "# [resource:db]\n"
    "# proto = tcp\n"
    "# port = 5432\n"
    "# address = 10.0.0.5\n"
    "#\n"
    "# [enclave:ops]\n"
    "# resources = ssh, db\n"
    "# max_duration = 300\n"
    "# labels = team=ops\n";

/*
 * The packaged layout: a tree in the system directory keeps its replay state,
 * audit log and control socket where the packaged systemd unit lets the
 * daemon write (ProtectSystem=strict, ReadWritePaths=). Any other directory
 * holds all of them itself.
 */
struct layout {
	char state[PATH_MAX], audit[PATH_MAX], control[PATH_MAX];
	const char *logdir;		/* NULL: the audit log lives in DIR */
};

static int
layout_of(const struct init_params *p, struct layout *l)
{
	memset(l, 0, sizeof(*l));
	if (strcmp(p->dir, CONFIG_DEFAULT_DIR) == 0) {
		util_strlcpy(l->state, "/var/lib/spa-gateway", sizeof(l->state));
		util_strlcpy(l->audit, "/var/log/spa-gateway/audit.log",
		    sizeof(l->audit));
		util_strlcpy(l->control, "/run/spa-gateway/control.sock",
		    sizeof(l->control));
		l->logdir = "/var/log/spa-gateway";
		return 0;
	}
	if (snprintf(l->state, PATH_MAX, "%s/state", p->dir) >= PATH_MAX ||
	    snprintf(l->audit, PATH_MAX, "%s/audit.log", p->dir) >= PATH_MAX ||
	    snprintf(l->control, PATH_MAX, "%s/control.sock", p->dir) >= PATH_MAX) {
		diag(p->dir, 0, "path too long");
		return -1;
	}
	return 0;
}

static int
gateway_text(const struct init_params *p, const struct layout *l, char *buf,
    size_t len)
{
	char user[96];
	int n;

	if (p->user[0] != '\0')
		snprintf(user, sizeof(user), "user = %s", p->user);
	else
		snprintf(user, sizeof(user), "# user = spa-gateway");
	n = snprintf(buf, len,
	    "# spa-gateway settings, written by spa-admin init.\n"
	    "# Check changes with: spa-admin --config-dir %s check\n"
	    "\n"
	    "[gateway]\n"
	    "# Interfaces knocks arrive on (comma-separated).\n"
	    "interface = %s\n"
	    "# UDP port knocks are sent to. Nothing ever answers on it.\n"
	    "port = %u\n"
	    "# What credential files tell agents to knock at.\n"
	    "address = %s\n"
	    "# Seconds a knock's clock may differ from ours.\n"
	    "clock_skew = 30\n"
	    "# The nftables inet table the daemon owns; it touches no other.\n"
	    "table = spa_gateway\n"
	    "# yes: a knock may name an address other than its source (NAT).\n"
	    "# allow_other_address = no\n"
	    "# Unprivileged user for the parts that handle packets.\n"
	    "%s\n"
	    "\n"
	    "[paths]\n"
	    "identity = %s/identity.key\n"
	    "policy = %s/policy.ini\n"
	    "agents = %s/agents.d\n"
	    "state = %s\n"
	    "audit = %s\n"
	    "control = %s\n"
	    "\n"
	    "# Operator allow-list, so that an admin's own access stays open:\n"
	    "# [firewall]\n"
	    "# allow = 192.0.2.0/24 tcp/22, 2001:db8::/32 tcp/22\n",
	    p->dir, p->ifaces, (unsigned)p->port, p->address, user, p->dir, p->dir,
	    p->dir, l->state, l->audit, l->control);
	if (n < 0 || (size_t)n >= len) {
		diag(p->dir, 0, "gateway.ini would be too long");
		return -1;
	}
	return n;
}

static int
path_in(const struct init_params *p, const char *name, char *buf)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", p->dir, name) >= PATH_MAX) {
		diag(p->dir, 0, "path too long");
		return -1;
	}
	return 0;
}

static void
remember(struct made *m, const char *path, int isdir)
{
	if (m->n < MAX_MADE) {
		util_strlcpy(m->path[m->n], path, PATH_MAX);
		m->isdir[m->n++] = isdir;
	}
}

static void
undo(struct made *m)
{
	while (m->n > 0) {
		m->n--;
		if (m->isdir[m->n])
			rmdir(m->path[m->n]);
		else
			unlink(m->path[m->n]);
	}
}

/* mkdir -p: each directory this creates is remembered (and can be undone). */
static int
make_dir(struct made *m, const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		diag(path, 0, "exists and is not a directory");
		return -1;
	}
	util_strlcpy(tmp, path, sizeof(tmp));
	for (char *s = strchr(tmp + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(tmp, 0755) == 0)
			remember(m, tmp, 1);
		else if (errno != EEXIST) {
			diag(tmp, 0, "cannot create: %s", strerror(errno));
			return -1;
		}
		*s = '/';
	}
	/* chmod: the umask must not change the modes the daemon relies on. */
	if (mkdir(path, mode) != 0 || chmod(path, mode) != 0) {
		diag(path, 0, "cannot create: %s", strerror(errno));
		return -1;
	}
	remember(m, path, 1);
	return 0;
}

static int
write_identity(struct made *m, const char *path, uint8_t pk[KEY_PK_LEN])
{
	uint8_t sk[KEY_SK_LEN];
	int ret;

	crypto_sign_keypair(pk, sk);
	ret = keyfile_write_identity(path, sk);
	sodium_memzero(sk, sizeof(sk));
	if (ret == 0)
		remember(m, path, 0);
	return ret;
}

static int
write_text(struct made *m, const char *path, const char *text, size_t len)
{
	if (util_write_atomic(path, text, len, 0644, 0) != 0)
		return -1;
	remember(m, path, 0);
	return 0;
}

/*
 * An unprivileged daemon owns its key and state and may read agents.d. The
 * setgid bit on agents.d makes every agent file written there (0640) belong
 * to the daemon's group from the moment it appears, so a reload triggered by
 * its creation can read it.
 */
static int
hand_over(const struct init_params *p, const char *identity, const char *state,
    const char *agents, const char *logdir)
{
	if (chown(identity, p->uid, p->gid) != 0 ||
	    chown(state, p->uid, p->gid) != 0 ||
	    (logdir != NULL && chown(logdir, p->uid, p->gid) != 0) ||
	    chown(agents, (uid_t)-1, p->gid) != 0 || chmod(agents, 02750) != 0) {
		diag(p->dir, 0, "cannot hand files to user '%s': %s", p->user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
init_tree_create(const struct init_params *p, uint8_t pk[KEY_PK_LEN])
{
	char identity[PATH_MAX], policy[PATH_MAX], agents[PATH_MAX];
	char gateway[PATH_MAX], text[8192];
	struct made m = { .n = 0 };
	struct gw_config cfg;
	struct layout l;
	int len;

	if (path_in(p, "identity.key", identity) || path_in(p, "policy.ini", policy) ||
	    path_in(p, "agents.d", agents) || path_in(p, "gateway.ini", gateway) ||
	    layout_of(p, &l) != 0 ||
	    (len = gateway_text(p, &l, text, sizeof(text))) < 0)
		return -1;
	if (make_dir(&m, p->dir, 0755) != 0 || make_dir(&m, agents, 0750) != 0 ||
	    make_dir(&m, l.state, 0700) != 0 ||
	    (l.logdir != NULL && make_dir(&m, l.logdir, 0750) != 0) ||
	    write_identity(&m, identity, pk) != 0)
		goto fail;
	if (access(policy, F_OK) == 0)
		printf("kept the existing %s\n", policy);
	else if (write_text(&m, policy, policy_text, sizeof(policy_text) - 1) != 0)
		goto fail;
	if ((p->chown_user && hand_over(p, identity, l.state, agents, l.logdir) != 0) ||
	    write_text(&m, gateway, text, (size_t)len) != 0)
		goto fail;
	/* What init writes, the daemon must accept. */
	if (config_load(p->dir, &cfg) != 0)
		goto fail;
	return 0;
fail:
	undo(&m);
	return -1;
}
