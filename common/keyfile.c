/* SPDX-License-Identifier: ISC */
/* Secret key files: mode 0600 enforced, secrets wiped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "diag.h"
#include "ini.h"
#include "keyfile.h"
#include "util.h"

#define B64_32 sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

int
keyfile_check_private(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		diag(path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag(path, 0, "not a regular file");
		return -1;
	}
	if (st.st_mode & 077) {
		diag(path, 0, "secret key file is accessible by group or others "
		    "(mode %04o); run: chmod 600 %s", (unsigned)(st.st_mode & 07777),
		    path);
		return -1;
	}
	return 0;
}

/* A base64 field of exactly 32 bytes. */
static int
get_key32(const struct ini *ini, const char *sec, const char *key, uint8_t out[32])
{
	const char *v = ini_get(ini, sec, key);

	if (v == NULL) {
		diag(ini_path(ini), ini_line(ini, sec, NULL), "[%s] lacks '%s'",
		    sec, key);
		return -1;
	}
	if (util_b64_decode(v, out, 32) != 0) {
		diag(ini_path(ini), ini_line(ini, sec, key),
		    "'%s' is not 32 bytes of base64", key);
		return -1;
	}
	return 0;
}

static int
seed_to_keys(const uint8_t seed[32], uint8_t sk[KEY_SK_LEN], uint8_t pk[KEY_PK_LEN])
{
	return crypto_sign_seed_keypair(pk, sk, seed);
}

int
keyfile_load_cred(const char *path, struct cred *c)
{
	static const char *const agent_keys[] = { "name", "secret_key", NULL };
	static const char *const gw_keys[] = { "address", "port", "public_key", NULL };
	struct ini *ini = NULL;
	uint8_t seed[KEY_SEED_LEN];
	const char *v;
	uint64_t port;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (keyfile_check_private(path) != 0 || (ini = ini_load(path)) == NULL)
		goto out;
	for (int i = 0; i < ini_nsections(ini); i++) {
		const char *s = ini_section(ini, i);
		if (strcmp(s, "agent") != 0 && strcmp(s, "gateway") != 0) {
			diag(path, ini_line(ini, s, NULL), "unknown section [%s]", s);
			goto out;
		}
	}
	if (ini_check_keys(ini, "agent", agent_keys) ||
	    ini_check_keys(ini, "gateway", gw_keys))
		goto out;
	v = ini_get(ini, "agent", "name");
	if (v == NULL || !util_valid_name(v)) {
		diag(path, ini_line(ini, "agent", "name"),
		    "[agent] needs a valid 'name' ([a-z0-9_.-], at most 63)");
		goto out;
	}
	util_strlcpy(c->name, v, sizeof(c->name));
	if (get_key32(ini, "agent", "secret_key", seed) != 0)
		goto out;
	seed_to_keys(seed, c->sk, c->pk);
	keys_id(c->pk, c->key_id);
	v = ini_get(ini, "gateway", "address");
	if (v == NULL || *v == '\0' ||
	    util_strlcpy(c->gw_host, v, sizeof(c->gw_host)) != 0) {
		diag(path, ini_line(ini, "gateway", "address"),
		    "[gateway] needs an 'address'");
		goto out;
	}
	v = ini_get(ini, "gateway", "port");
	port = KEYFILE_DEFAULT_PORT;
	if (v != NULL && util_parse_u64(v, 1, 65535, &port) != 0) {
		diag(path, ini_line(ini, "gateway", "port"),
		    "'port' must be a number from 1 to 65535");
		goto out;
	}
	c->gw_port = (uint16_t)port;
	if (get_key32(ini, "gateway", "public_key", c->gw_pk) != 0)
		goto out;
	ret = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	if (ret != 0)
		sodium_memzero(c, sizeof(*c));
	ini_free(ini);
	return ret;
}

int
keyfile_write_cred(const char *path, const struct cred *c)
{
	char seed64[B64_32], gw64[B64_32];
	char buf[1024];
	int n, ret;

	util_b64_encode(c->sk, KEY_SEED_LEN, seed64, sizeof(seed64));
	util_b64_encode(c->gw_pk, KEY_PK_LEN, gw64, sizeof(gw64));
	n = snprintf(buf, sizeof(buf),
	    "# spa-gateway credentials of agent '%s'. Secret: keep mode 0600.\n"
	    "[agent]\nname = %s\nsecret_key = %s\n\n"
	    "[gateway]\naddress = %s\nport = %u\npublic_key = %s\n",
	    c->name, c->name, seed64, c->gw_host, (unsigned)c->gw_port, gw64);
	ret = n > 0 && (size_t)n < sizeof(buf) ?
	    util_write_atomic(path, buf, (size_t)n, 0600, 0) : -1;
	sodium_memzero(seed64, sizeof(seed64));
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int
keyfile_load_identity(const char *path, uint8_t sk[KEY_SK_LEN],
    uint8_t pk[KEY_PK_LEN])
{
	static const char *const keys[] = { "secret_key", NULL };
	struct ini *ini = NULL;
	uint8_t seed[KEY_SEED_LEN];
	int ret = -1;

	if (keyfile_check_private(path) != 0 || (ini = ini_load(path)) == NULL)
		goto out;
	if (ini_nsections(ini) != 1 || ini_line(ini, "identity", NULL) == 0) {
		diag(path, 0, "expected exactly one section, [identity]");
		goto out;
	}
	if (ini_check_keys(ini, "identity", keys) ||
	    get_key32(ini, "identity", "secret_key", seed) != 0)
		goto out;
	seed_to_keys(seed, sk, pk);
	ret = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	ini_free(ini);
	return ret;
}

int
keyfile_write_identity(const char *path, const uint8_t sk[KEY_SK_LEN])
{
	char seed64[B64_32], pk64[B64_32];
	char buf[512];
	int n, ret;

	util_b64_encode(sk, KEY_SEED_LEN, seed64, sizeof(seed64));
	util_b64_encode(sk + KEY_SEED_LEN, KEY_PK_LEN, pk64, sizeof(pk64));
	n = snprintf(buf, sizeof(buf),
	    "# spa-gateway identity. Secret: keep mode 0600.\n"
	    "# public key: %s\n[identity]\nsecret_key = %s\n", pk64, seed64);
	ret = n > 0 && (size_t)n < sizeof(buf) ?
	    util_write_atomic(path, buf, (size_t)n, 0600, 0) : -1;
	sodium_memzero(seed64, sizeof(seed64));
	sodium_memzero(buf, sizeof(buf));
	return ret;
}
