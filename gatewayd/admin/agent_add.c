/* SPDX-License-Identifier: ISC */
/* spa-admin agent add: a fresh key pair for one agent. */
/*
 * The credential file is written first and removed again if the agent file
 * cannot be written, so an add either completes or leaves nothing behind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin.h"
#include "diag.h"
#include "keyfile.h"
#include "list.h"
#include "util.h"

static const char usage[] =
    "[--config-dir DIR] agent add NAME [--enclave E]... [--label K=V]...\n"
    "                 [--expires RFC3339] --output CREDFILE";

/*
 * --enclave E (or E1,E2): each must exist in the policy; repeats are merged.
 * An empty item, or a blank flag, is refused (list.h): it names no enclave.
 */
static int
add_enclaves(struct agent *a, const struct policy *p, const char *ppath,
    const char *arg)
{
	char buf[1024], *e;
	struct list l;
	int r, n = 0;

	if (util_strlcpy(buf, arg, sizeof(buf)) != 0) {
		diag(NULL, 0, "agent add: --enclave too long");
		return -1;
	}
	list_init(&l, buf);
	while ((r = list_next(&l, &e)) > 0) {
		size_t i;

		n++;
		if (policy_enclave(p, e) < 0) {
			diag(NULL, 0, "agent add: unknown enclave '%s' (not in %s)",
			    e, ppath);
			return -1;
		}
		for (i = 0; i < a->nenclaves; i++)
			if (strcmp(a->enclaves[i], e) == 0)
				break;
		if (i < a->nenclaves)
			continue;
		if (agent_add_enclave(a, e) != 0) {
			diag(NULL, 0, "agent add: more than %d enclaves",
			    AGENT_MAX_ENCLAVES);
			return -1;
		}
	}
	if (r < 0 || n == 0) {
		diag(NULL, 0, "agent add: bad --enclave '%s': empty enclave name "
		    "(expected E or E1,E2)", arg);
		return -1;
	}
	return 0;
}

/* --label K=V: key and value are names; a key appears once. */
static int
add_label(struct agent *a, const char *arg)
{
	char buf[POLICY_LABEL_KEY_MAX + POLICY_LABEL_VALUE_MAX];
	const char *why = NULL;
	char *v;

	if (util_strlcpy(buf, arg, sizeof(buf)) != 0 || (v = strchr(buf, '=')) == NULL)
		why = "expected KEY=VALUE";
	else {
		*v++ = '\0';
		if (!util_valid_name(buf) || !util_valid_name(v) ||
		    strlen(buf) >= POLICY_LABEL_KEY_MAX ||
		    strlen(v) >= POLICY_LABEL_VALUE_MAX)
			why = "key and value are names of [a-z0-9_.-]";
		else if (a->nlabels == POLICY_MAX_LABELS)
			why = "too many labels";
		for (size_t i = 0; why == NULL && i < a->nlabels; i++)
			if (strcmp(a->labels[i].key, buf) == 0)
				why = "label given twice";
	}
	if (why != NULL) {
		diag(NULL, 0, "agent add: bad --label '%s': %s", arg, why);
		return -1;
	}
	if (agent_add_label(a, buf, v) != 0) {
		diag(NULL, 0, "agent add: out of memory");
		return -1;
	}
	return 0;
}

static int
set_expires(struct agent *a, const char *arg)
{
	if (util_parse_rfc3339(arg, &a->expires) != 0) {
		diag(NULL, 0, "agent add: bad --expires '%s': expected RFC 3339, "
		    "like 2030-01-31T12:00:00Z", arg);
		return -1;
	}
	if (a->expires <= (int64_t)(util_now_ms() / 1000)) {
		diag(NULL, 0, "agent add: --expires '%s' is in the past", arg);
		return -1;
	}
	return 0;
}

/* The gateway half of the credentials: where to knock, and whose key. */
static int
gateway_cred(const struct gw_config *cfg, struct cred *c)
{
	uint8_t sk[KEY_SK_LEN];
	int ret;

	if (cfg->address[0] == '\0') {
		diag(cfg->file, 0, "no 'address' in [gateway]: credential files "
		    "need the address agents knock at");
		return -1;
	}
	util_strlcpy(c->gw_host, cfg->address, sizeof(c->gw_host));
	c->gw_port = cfg->port;
	ret = keyfile_load_identity(cfg->identity, sk, c->gw_pk);
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

static int
add(const struct gw_config *cfg, struct agent *a, const char *out)
{
	struct cred c;
	char path[PATH_MAX], hex[2 * KEY_ID_LEN + 1];
	int ret = -1;

	memset(&c, 0, sizeof(c));
	if (admin_agent_path(cfg, a->name, path, sizeof(path)) != 0)
		goto out;
	if (access(path, F_OK) == 0) {
		diag(path, 0, "agent '%s' already exists", a->name);
		goto out;
	}
	if (gateway_cred(cfg, &c) != 0)
		goto out;
	util_strlcpy(c.name, a->name, sizeof(c.name));
	crypto_sign_keypair(c.pk, c.sk);
	keys_id(c.pk, c.key_id);
	memcpy(a->pk, c.pk, KEY_PK_LEN);
	memcpy(a->key_id, c.key_id, KEY_ID_LEN);
	if (keyfile_write_cred(out, &c) != 0)
		goto out;
	if (agent_write(cfg->agents, a, 0) != 0) {
		unlink(out);
		goto out;
	}
	util_hex(a->key_id, KEY_ID_LEN, hex);
	printf("added agent %s, key id %s\n"
	    "credentials: %s (secret: hand it to the agent, keep mode 0600)\n",
	    a->name, hex, out);
	ret = 0;
out:
	sodium_memzero(&c, sizeof(c));
	return ret;
}

int
agent_add_main(int argc, char **argv, const char *dir_arg)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "enclave", required_argument, NULL, 'e' },
		{ "label", required_argument, NULL, 'l' },
		{ "expires", required_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gw_config cfg;
	struct policy *pol = NULL;
	struct agent a;
	const char *out = NULL, *expires = NULL;
	char *enclaves[64], *labels[POLICY_MAX_LABELS + 1];
	size_t nenc = 0, nlab = 0;
	int c, ret = EXIT_FAILURE;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, ":c:e:l:x:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dir_arg = optarg;
			break;
		case 'e':
		case 'l':
			if ((c == 'e' && nenc == ARRAY_LEN(enclaves)) ||
			    (c == 'l' && nlab == ARRAY_LEN(labels))) {
				diag(NULL, 0, "agent add: too many --%s options",
				    c == 'e' ? "enclave" : "label");
				return EXIT_FAILURE;
			}
			if (c == 'e')
				enclaves[nenc++] = optarg;
			else
				labels[nlab++] = optarg;
			break;
		case 'x':
			expires = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			return admin_usage(usage, 1);
		default:
			return admin_bad_option(c, "agent add", argv, usage);
		}
	}
	if (argc - optind != 1 || out == NULL) {
		diag(NULL, 0, "agent add: %s", out == NULL ?
		    "--output CREDFILE is required" : "give exactly one NAME");
		return admin_usage(usage, 0);
	}
	if (admin_check_name(argv[optind]) != 0)
		return EXIT_FAILURE;
	if (agent_set_name(&a, argv[optind]) != 0) {
		diag(NULL, 0, "out of memory");
		goto out;
	}
	if (config_load(config_dir(dir_arg), &cfg) != 0)
		goto out;
	if (nenc > 0 && (pol = policy_load(cfg.policy)) == NULL)
		goto out;
	for (size_t i = 0; i < nenc; i++)
		if (add_enclaves(&a, pol, cfg.policy, enclaves[i]) != 0)
			goto out;
	for (size_t i = 0; i < nlab; i++)
		if (add_label(&a, labels[i]) != 0)
			goto out;
	if ((expires != NULL && set_expires(&a, expires) != 0) ||
	    add(&cfg, &a, out) != 0)
		goto out;
	ret = EXIT_SUCCESS;
out:
	agent_clear(&a);
	policy_free(pol);
	return ret;
}
