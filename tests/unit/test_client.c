/* SPDX-License-Identifier: ISC */
/* Tests of libspa-client through its exported API only. */
/*
 * libspa-client as a program sees it: the shipped build/libspa-client.so.1
 * is dlopen()ed, so only its exported spa_* API is used (and anything else
 * must be hidden). A UDP socket on loopback plays the gateway: every knock
 * that threads and processes send through one credential file is opened and
 * verified with the gateway's own code (common/knock.c). spa_connect() and
 * spa_knock_wait() are checked against loopback listeners.
 *
 * With arguments it is the load generator of tests/e2e/24-threads.sh:
 *   test_client knock CRED GATEWAY THREADS KNOCKS RESOURCE
 * knocks KNOCKS times from each of THREADS threads through one handle.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "keys.h"
#include "knock.h"
#include "spa.h"
#include "t.h"
#include "util.h"

#define FN(name) static __typeof__(name) *p_##name
FN(spa_client_open); FN(spa_client_close); FN(spa_client_set_gateway);
FN(spa_knock); FN(spa_knock_wait); FN(spa_connect); FN(spa_strerror);
FN(spa_error_detail); FN(spa_client_agent); FN(spa_client_key_id);

static char dir[] = "/tmp/spa-test-client-XXXXXX";
static char cred_path[PATH_MAX];
static struct cred cred;
static uint8_t gw_sk[KEY_SK_LEN], session[KEY_SESSION_LEN];
static int udp = -1;			/* the stand-in gateway */

static void *
load(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("SPA_CLIENT_LIB");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h;

	if (env == NULL) {
		exe[n > 0 ? n : 0] = '\0';
		snprintf(path, sizeof(path), "%s/../libspa-client.so.1", dirname(exe));
		env = path;
	}
	if ((h = dlopen(env, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
#define LOAD(name) T_CHECK((p_##name = (__typeof__(p_##name))dlsym(h, #name)) != NULL)
	LOAD(spa_client_open); LOAD(spa_client_close); LOAD(spa_client_set_gateway);
	LOAD(spa_knock); LOAD(spa_knock_wait); LOAD(spa_connect);
	LOAD(spa_strerror); LOAD(spa_error_detail); LOAD(spa_client_agent);
	LOAD(spa_client_key_id);
	return h;
}

/* A UDP socket on 127.0.0.1 and an agent credential file pointing at it. */
static void
setup(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	uint8_t gw_pk[KEY_PK_LEN];
	int big = 1 << 20;

	T_CHECK(mkdtemp(dir) != NULL);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	T_CHECK(bind(udp, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	getsockname(udp, (struct sockaddr *)&sin, &len);
	crypto_sign_keypair(gw_pk, gw_sk);
	memset(&cred, 0, sizeof(cred));
	snprintf(cred.name, sizeof(cred.name), "tester");
	crypto_sign_keypair(cred.pk, cred.sk);
	keys_id(cred.pk, cred.key_id);
	snprintf(cred.gw_host, sizeof(cred.gw_host), "127.0.0.1");
	cred.gw_port = ntohs(sin.sin_port);
	memcpy(cred.gw_pk, gw_pk, KEY_PK_LEN);
	snprintf(cred_path, sizeof(cred_path), "%s/agent.cred", dir);
	T_CHECK(keyfile_write_cred(cred_path, &cred) == 0);
	T_CHECK(keys_session(gw_sk, cred.pk, cred.pk, gw_pk, session) == 0);
}

/* Receive up to max knocks (1 s of quiet ends it); count those the gateway
 * would accept up to the policy step, with distinct nonces. */
static int
collect(int max, const char *resource)
{
	static uint8_t nonces[512][KNOCK_NONCE_LEN];
	uint8_t pkt[2048], plain[KNOCK_BODY_MAX];
	struct timeval tv = { 1, 0 };
	struct knock_hdr h;
	struct knock_body b;
	int good = 0, dup = 0;
	ssize_t n;

	setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (good + dup < max && (n = recv(udp, pkt, sizeof(pkt), 0)) > 0) {
		if (knock_parse_header(pkt, (size_t)n, &h) != 0 ||
		    knock_open(pkt, (size_t)n, &h, session, plain) != 0 ||
		    knock_verify_sig(pkt, (size_t)n, cred.pk) != 0 ||
		    knock_parse_body(plain, h.body_len, &b) != 0)
			continue;
		if (resource && (b.nres != 1 || strcmp(b.res[0], resource) != 0))
			continue;
		for (int i = 0; i < good && good < 512; i++)
			if (memcmp(nonces[i], h.nonce, KNOCK_NONCE_LEN) == 0)
				dup++;
		if (good < 512)
			memcpy(nonces[good], h.nonce, KNOCK_NONCE_LEN);
		good++;
	}
	return dup ? -dup : good;
}

static int
pending(void)
{
	uint8_t pkt[2048];
	int n = 0;

	while (recv(udp, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

struct job {
	struct spa_client *c;
	const char *resource;
	int knocks, sent;
};

static void *
knocker(void *arg)
{
	struct job *j = arg;

	for (int i = 0; i < j->knocks; i++) {
		int err = p_spa_knock(j->c, &j->resource, 1, 5);

		if (err == SPA_OK)
			j->sent++;
		else
			fprintf(stderr, "knock: %s: %s\n", p_spa_strerror(err),
			    p_spa_error_detail());
	}
	return NULL;
}

/* Knock from nthreads threads through c; the number of knocks sent. */
static int
knock_threads(struct spa_client *c, int nthreads, int knocks, const char *res)
{
	pthread_t tid[64];
	struct job jobs[64];
	int sent = 0;

	for (int i = 0; i < nthreads && i < 64; i++) {
		jobs[i] = (struct job){ c, res, knocks, 0 };
		pthread_create(&tid[i], NULL, knocker, &jobs[i]);
	}
	for (int i = 0; i < nthreads && i < 64; i++) {
		pthread_join(tid[i], NULL);
		sent += jobs[i].sent;
	}
	return sent;
}

static void
test_open(void)
{
	struct spa_client *c = NULL;
	char key_id[2 * KEY_ID_LEN + 1];

	T_CHECK(p_spa_client_open(&c, "/nonexistent/agent.cred") == SPA_ERR_CREDENTIALS);
	T_CHECK(c == NULL);
	T_CHECK(strstr(p_spa_error_detail(), "/nonexistent/agent.cred") != NULL);
	setenv("SPA_CREDENTIALS", cred_path, 1);
	T_CHECK(p_spa_client_open(&c, NULL) == SPA_OK);
	T_CHECK(strcmp(p_spa_error_detail(), "") == 0);
	util_hex(cred.key_id, KEY_ID_LEN, key_id);
	T_CHECK(c && strcmp(p_spa_client_agent(c), "tester") == 0);
	T_CHECK(c && strcmp(p_spa_client_key_id(c), key_id) == 0);
	p_spa_client_close(c);
	c = NULL;
	setenv("SPA_TIMEOUT_MS", "soon", 1);
	T_CHECK(p_spa_client_open(&c, NULL) == SPA_ERR_ARG);
	T_CHECK(strstr(p_spa_error_detail(), "SPA_TIMEOUT_MS") != NULL);
	unsetenv("SPA_TIMEOUT_MS");
	setenv("SPA_GATEWAY", "[::1", 1);
	T_CHECK(p_spa_client_open(&c, NULL) == SPA_ERR_ARG);
	unsetenv("SPA_GATEWAY");
	unsetenv("SPA_CREDENTIALS");
	p_spa_client_close(NULL);
	for (int e = 0; e >= SPA_ERR_HOST - 1; e--)
		T_CHECK(p_spa_strerror(e) != NULL && *p_spa_strerror(e));
	T_CHECK(strcmp(p_spa_strerror(SPA_ERR_HOST), p_spa_strerror(SPA_ERR_HOST - 1)));
}

static void
test_threads_and_processes(void)
{
	struct spa_client *c = NULL;
	pid_t kids[4];
	int st, ok = 1;

	T_CHECK(p_spa_client_open(&c, cred_path) == SPA_OK);
	pending();
	T_CHECK(knock_threads(c, 8, 25, "web") == 200);
	T_CHECK(collect(200, "web") == 200);	/* all valid, nonces distinct */
	for (int i = 0; i < 4; i++) {
		if ((kids[i] = fork()) == 0) {
			struct spa_client *k = NULL;

			if (p_spa_client_open(&k, cred_path) != SPA_OK)
				_exit(1);
			_exit(knock_threads(k, 3, 10, "db") == 30 ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++)
		ok &= waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0;
	T_CHECK(ok);
	T_CHECK(collect(120, "db") == 120);
	p_spa_client_close(c);
}

/* A listener on loopback (family AF_INET or AF_INET6); its port in *port. */
static int
listener(int family, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int fd = socket(family, SOCK_STREAM, 0);

	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		s6->sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

static void
test_connect(void)
{
	struct spa_client *c = NULL;
	const char *res = "web", *targets[2];
	char t1[64], t2[64];
	uint16_t port = 0, port6 = 0, closed = 0;
	int l4 = listener(AF_INET, &port), l6 = listener(AF_INET6, &port6);
	int tmp = listener(AF_INET, &closed), fd = -1, flags;
	uint64_t t0;

	close(tmp);			/* nothing listens on "closed" now */
	T_CHECK(l4 >= 0);
	T_CHECK(p_spa_client_open(&c, cred_path) == SPA_OK);
	pending();
	T_CHECK(p_spa_connect(c, "web", "127.0.0.1", port, 0, 2000, &fd) == SPA_OK);
	T_CHECK(fd >= 0);
	flags = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
	T_CHECK(fd >= 0 && !(flags & O_NONBLOCK));
	T_CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close(fd);
	T_CHECK(collect(1, "web") == 1);
	if (l6 >= 0) {			/* IPv6 (if the host has ::1) */
		T_CHECK(p_spa_connect(c, "web", "::1", port6, 0, 2000, &fd) == SPA_OK);
		if (fd >= 0)
			close(fd);
		pending();
	}
	t0 = util_mono_ms();
	T_CHECK(p_spa_connect(c, NULL, "127.0.0.1", closed, 0, 2000, &fd) ==
	    SPA_ERR_REFUSED);
	T_CHECK(fd == -1);
	T_CHECK(util_mono_ms() - t0 < 1000);	/* a refusal ends the wait */
	T_CHECK(strstr(p_spa_error_detail(), "127.0.0.1:") != NULL);
	pending();
	T_CHECK(p_spa_connect(c, "web", "no-such-host.invalid", 80, 0, 500, &fd) ==
	    SPA_ERR_HOST);
	T_CHECK(pending() == 0);		/* no knock wasted on a typo */
	T_CHECK(p_spa_connect(c, "web", "127.0.0.1", 0, 0, 500, &fd) == SPA_ERR_ARG);
	T_CHECK(p_spa_connect(c, "Bad Name", "127.0.0.1", port, 0, 500, &fd) ==
	    SPA_ERR_ARG);
	snprintf(t1, sizeof(t1), "127.0.0.1:%u", port);
	snprintf(t2, sizeof(t2), "[::1]:%u", port6);
	targets[0] = t1;
	targets[1] = t2;
	T_CHECK(p_spa_knock_wait(c, &res, 1, 0, targets, l6 >= 0 ? 2 : 1, 2000) ==
	    SPA_OK);
	T_CHECK(collect(1, "web") == 1);
	pending();
	targets[0] = "127.0.0.1";
	T_CHECK(p_spa_knock_wait(c, &res, 1, 0, targets, 1, 500) == SPA_ERR_ARG);
	T_CHECK(strstr(p_spa_error_detail(), "HOST:PORT") != NULL);
	T_CHECK(p_spa_knock_wait(c, &res, 1, 0, NULL, 0, 0) == SPA_OK);
	T_CHECK(collect(1, "web") == 1);
	/* 16 names of 15 characters fill a knock; one more character is
	 * refused before anything is sent, with a reason. */
	{
		static char names[16][17];
		const char *list[16];

		for (int i = 0; i < 16; i++) {
			memset(names[i], 'a' + i, 15);
			list[i] = names[i];
		}
		T_CHECK(p_spa_knock(c, list, 16, 0) == SPA_OK);
		T_CHECK(collect(1, NULL) == 1);
		names[9][15] = 'x';
		T_CHECK(p_spa_knock(c, list, 16, 0) == SPA_ERR_ARG);
		T_CHECK(strstr(p_spa_error_detail(), "256 bytes") != NULL);
		T_CHECK(pending() == 0);
	}
	p_spa_client_close(c);
	close(l4);
	if (l6 >= 0)
		close(l6);
}

static void
test_exports(void *h)
{
	/* The library carries common/ inside, hidden. */
	T_CHECK(dlsym(h, "knock_build") == NULL);
	T_CHECK(dlsym(h, "diag") == NULL);
	T_CHECK(dlsym(h, "client_knock_family") == NULL);
	T_CHECK(dlsym(h, "probe_connect") == NULL);
}

/* test_client knock CRED GATEWAY THREADS KNOCKS RESOURCE */
static int
load_mode(char **argv)
{
	struct spa_client *c = NULL;
	int err, threads = atoi(argv[4]), knocks = atoi(argv[5]), sent;

	if ((err = p_spa_client_open(&c, argv[2])) != SPA_OK ||
	    (err = p_spa_client_set_gateway(c, argv[3])) != SPA_OK) {
		fprintf(stderr, "test_client: %s: %s\n", p_spa_strerror(err),
		    p_spa_error_detail());
		return 1;
	}
	sent = knock_threads(c, threads, knocks, argv[6]);
	p_spa_client_close(c);
	printf("sent %d of %d\n", sent, threads * knocks);
	return sent == threads * knocks ? 0 : 1;
}

int
main(int argc, char **argv)
{
	void *h;

	if (sodium_init() < 0)
		return 1;
	h = load();
	if (argc == 7 && strcmp(argv[1], "knock") == 0)
		return load_mode(argv);
	setup();
	test_exports(h);
	test_open();
	test_threads_and_processes();
	test_connect();
	close(udp);
	T_CHECK(unlink(cred_path) == 0 && rmdir(dir) == 0);
	return T_DONE();
}
