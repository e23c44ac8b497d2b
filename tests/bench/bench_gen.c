/* SPDX-License-Identifier: ISC */
/* bench_gen: register many agents at once. */
/*
 * bench_gen: register many agents at once, far faster than running spa-admin
 * for each. Writes DIR/agents.d/PREFIX%06zu.ini with the product's own
 * agent_write() (enclave "dev"), and the first --sessions agents' secret
 * keys and knock keys to a credentials file for the senders.
 *
 *   bench_gen --config-dir DIR --count N [--sessions M --creds FILE]
 *             [--prefix NAME] [--jobs J]
 *
 * J worker processes share the work (the keys go through a shared mapping).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "benchlib.h"
#include "keyfile.h"

static int
work(const char *agents, const char *prefix, const uint8_t gw_pk[KEY_PK_LEN],
    size_t from, size_t to, size_t sessions, struct bench_agent *out)
{
	struct bench_agent k;
	struct agent a;
	char name[POLICY_NAME_MAX];

	for (size_t i = from; i < to; i++) {
		crypto_sign_keypair(k.pk, k.sk);
		keys_id(k.pk, k.id);
		memset(k.key, 0, sizeof(k.key));
		if (i < sessions && keys_session(k.sk, gw_pk, k.pk, gw_pk, k.key) != 0)
			return -1;
		memset(&a, 0, sizeof(a));
		snprintf(name, sizeof(name), "%s%06zu", prefix, i);
		memcpy(a.pk, k.pk, KEY_PK_LEN);
		memcpy(a.key_id, k.id, KEY_ID_LEN);
		if (agent_set_name(&a, name) != 0 ||
		    agent_add_enclave(&a, "dev") != 0 ||
		    agent_write(agents, &a, 1) != 0) {
			agent_clear(&a);
			return -1;
		}
		agent_clear(&a);
		if (i < sessions)
			out[i] = k;
	}
	sodium_memzero(&k, sizeof(k));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "sessions", required_argument, NULL, 's' },
		{ "creds", required_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *creds = NULL, *prefix = "bench";
	size_t count = 0, sessions = 0, jobs = 2;
	char agents[PATH_MAX], idpath[PATH_MAX];
	uint8_t *gw_sk = NULL, gw_pk[KEY_PK_LEN];
	struct bench_agent *shared = MAP_FAILED;
	uint64_t t0 = bench_ns();
	int ch, ret = 1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': count = bench_num(optarg, "count"); break;
		case 's': sessions = bench_num(optarg, "sessions"); break;
		case 'c': creds = optarg; break;
		case 'p': prefix = optarg; break;
		case 'j': jobs = bench_num(optarg, "jobs"); break;
		default: return 2;
		}
	}
	if (dir == NULL || count == 0 || jobs == 0 || jobs > 64 ||
	    sessions > count || (sessions > 0 && creds == NULL)) {
		fprintf(stderr, "usage: bench_gen --config-dir DIR --count N "
		    "[--sessions M --creds FILE] [--prefix P] [--jobs J]\n");
		return 2;
	}
	if (sodium_init() < 0 || (gw_sk = sodium_malloc(KEY_SK_LEN)) == NULL)
		return 1;
	snprintf(agents, sizeof(agents), "%s/agents.d", dir);
	snprintf(idpath, sizeof(idpath), "%s/identity.key", dir);
	if (keyfile_load_identity(idpath, gw_sk, gw_pk) != 0)
		goto out;
	shared = mmap(NULL, (sessions ? sessions : 1) * sizeof(*shared),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		goto out;
	}
	for (size_t j = 0; j < jobs; j++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			goto out;
		}
		if (pid == 0)
			_exit(work(agents, prefix, gw_pk, count * j / jobs,
			    count * (j + 1) / jobs, sessions, shared) ? 1 : 0);
	}
	ret = 0;
	for (size_t j = 0; j < jobs; j++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ret = 1;
	}
	if (ret == 0 && sessions > 0)
		ret = bench_creds_save(creds, gw_pk, shared, sessions) ? 1 : 0;
	if (ret == 0)
		printf("generated=%zu sessions=%zu seconds=%.3f\n", count, sessions,
		    (double)(bench_ns() - t0) / 1e9);
out:
	if (shared != MAP_FAILED) {
		sodium_memzero(shared, (sessions ? sessions : 1) * sizeof(*shared));
		munmap(shared, (sessions ? sessions : 1) * sizeof(*shared));
	}
	sodium_free(gw_sk);
	return ret;
}
