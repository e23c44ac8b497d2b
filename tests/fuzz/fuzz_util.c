/* SPDX-License-Identifier: ISC */
/* Helpers shared by the fuzz targets: see fuzz.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"

volatile uintptr_t fuzz_sink;

static char tmpdir[PATH_MAX];

const struct fuzz_agent fuzz_agents[FUZZ_NAGENTS] = {
	{ 0x01, "alice", "dev", "", 0, 0 },
	{ 0x03, "bob", "", "team=ops", 0, 0 },
	{ 0x04, "carol", "dev", "", 1, 0 },
	{ 0x05, "dave", "ops", "", 0, 1 },
	{ 0x06, "erin", "dev, ops, all", "team=ops, tier=1", 0, 0 },
	{ 0x07, "stranger", "all", "", 0, 0 },	/* not registered */
};

const char fuzz_policy[] =
    "[resource:web]\nproto = tcp\nport = 8080\n"
    "[resource:db]\nproto = tcp\nport = 5432\n"
    "[resource:dns]\nproto = udp\nport = 53\naddress = 10.0.0.53\n"
    "[resource:v6svc]\nproto = tcp\nport = 443\naddress = 2001:db8::1\n"
    "[resource:range]\nproto = tcp\nport = 6000-6100\n"
    "[enclave:dev]\nresources = web, range\nmax_duration = 60\n"
    "[enclave:ops]\nresources = db, dns, v6svc\nmax_duration = 3600\n"
    "default_duration = 600\nlabels = team=ops\n"
    "[enclave:all]\nresources = web, db, dns, v6svc, range\n"
    "max_duration = 86400\n";

void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: oracle failed: %s\n", what);
	abort();
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base;

	if (tmpdir[0] != '\0')
		return tmpdir;
	base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/spa-fuzz-XXXXXX", base) >=
	    (int)sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "fuzz: cannot make a temporary directory in %s: %s\n",
		    base, strerror(errno));
		abort();
	}
	atexit(cleanup);
	return tmpdir;
}

const char *
fuzz_write(const char *name, const uint8_t *data, size_t size, mode_t mode)
{
	static char path[PATH_MAX];
	size_t off = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name) >=
	    (int)sizeof(path))
		fuzz_fail("path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0)
		fuzz_fail("cannot create the input file");
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			fuzz_fail("cannot write the input file");
		off += (size_t)n;
	}
	close(fd);
	return path;
}

void
fuzz_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0)
		fuzz_fail("keypair");
}
