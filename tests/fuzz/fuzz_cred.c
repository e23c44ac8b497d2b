/* SPDX-License-Identifier: ISC */
/* Fuzz target: secret key files (common/keyfile.c). */
/*
 * Secret key files (common/keyfile.c): the input is written to a file of
 * mode 0600 and loaded as an agent's credential file and as the gateway's
 * identity. Oracle: a loaded credential's key pair and key id agree.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "keyfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cred c;
	uint8_t sk[KEY_SK_LEN], pk[KEY_PK_LEN], id[KEY_ID_LEN];
	const char *path;
	uintptr_t acc = 0;

	path = fuzz_write("fuzz.cred", data, size, 0600);
	if (keyfile_load_cred(path, &c) == 0) {
		keys_id(c.pk, id);
		if (memcmp(c.sk + 32, c.pk, 32) != 0 || memcmp(id, c.key_id, 8) != 0 ||
		    c.gw_port == 0 || c.gw_host[0] == '\0' || c.name[0] == '\0')
			fuzz_fail("keyfile_load_cred accepted a bad credential");
		acc += c.gw_port + strlen(c.gw_host) + strlen(c.name);
	}
	if (keyfile_load_identity(path, sk, pk) == 0) {
		if (memcmp(sk + 32, pk, 32) != 0)
			fuzz_fail("identity key pair");
		acc += pk[0];
	}
	sodium_memzero(sk, sizeof(sk));
	fuzz_sink = acc;
	return 0;
}
