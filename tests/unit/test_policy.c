/* SPDX-License-Identifier: ISC */
/* Tests for rules/policy.c: parsing, validation with file:line, lookups. */
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "policy.h"
#include "t.h"
#include "tfile.h"

static char dir[] = "/tmp/spa-test-policy-XXXXXX";
static char ppath[PATH_MAX];

static void
put(const char *text)
{
	FILE *f = fopen(ppath, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(ppath);
		exit(2);
	}
}

/* Loading text must fail, with want (e.g. "policy.ini:4:") in the message. */
#define BAD(text, want) do {						\
	struct policy *bad_;						\
	put(text);							\
	bad_ = policy_load(ppath);					\
	T_CHECK(bad_ == NULL);						\
	T_CHECK(t_has(want));						\
	policy_free(bad_);						\
} while (0)

static const char good[] =
	"; a comment\n"
	"[enclave:ops]\n"
	"resources = ssh, web\n"
	"max_duration = 600\n"
	"\n"
	"[resource:ssh]\n"
	"proto = tcp\n"
	"port = 22\n"
	"[resource:web]\n"
	"proto = tcp\n"
	"port = 8000-8010\n"
	"address = 10.0.0.5\n"
	"[resource:dns]\n"
	"proto = UDP\n"
	"port = 53\n"
	"address = 2001:db8::53\n"
	"[enclave:data]\n"
	"resources = dns, ssh\n"
	"max_duration = 3600\n"
	"default_duration = 300\n"
	"labels = team=data, env=prod\n";

static void
test_good(void)
{
	struct policy *p;
	const struct enclave *e;
	int ssh, web, dns;

	put(good);
	p = policy_load(ppath);
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	T_CHECK(p->nres == 3 && p->nenc == 2);
	ssh = policy_resource(p, "ssh");
	web = policy_resource(p, "web");
	dns = policy_resource(p, "dns");
	T_CHECK(ssh >= 0 && web >= 0 && dns >= 0);
	T_CHECK(policy_resource(p, "nope") == -1);
	T_CHECK(policy_resource(p, "ops") == -1);
	T_CHECK(p->res[ssh].proto == IPPROTO_TCP);
	T_CHECK(p->res[ssh].port_lo == 22 && p->res[ssh].port_hi == 22);
	T_CHECK(p->res[ssh].addr.family == 0);
	T_CHECK(p->res[web].port_lo == 8000 && p->res[web].port_hi == 8010);
	T_CHECK(p->res[web].addr.family == 4 && p->res[web].addr.bytes[3] == 5);
	T_CHECK(p->res[dns].proto == IPPROTO_UDP);
	T_CHECK(p->res[dns].addr.family == 6);

	T_CHECK(policy_enclave(p, "ops") >= 0 && policy_enclave(p, "data") >= 0);
	T_CHECK(policy_enclave(p, "ssh") == -1);
	e = &p->enc[policy_enclave(p, "ops")];
	T_CHECK(e->nres == 2 && e->max_duration == 600 &&
	    e->default_duration == 600 && e->nlabels == 0);
	e = &p->enc[policy_enclave(p, "data")];
	T_CHECK(e->nres == 2 && e->res[0] < e->res[1]);
	T_CHECK(e->max_duration == 3600 && e->default_duration == 300);
	T_CHECK(e->nlabels == 2 && !strcmp(e->labels[0].key, "team") &&
	    !strcmp(e->labels[0].value, "data") &&
	    !strcmp(e->labels[1].key, "env"));
	policy_free(p);

	/* A hand-built policy (no index) is searched linearly. */
	{
		struct resource r[2] = { { .name = "a" }, { .name = "b" } };
		struct policy hp = { .res = r, .nres = 2 };

		T_CHECK(policy_resource(&hp, "b") == 1);
		T_CHECK(policy_resource(&hp, "c") == -1);
		T_CHECK(policy_enclave(&hp, "a") == -1);
	}
}

static void
test_empty(void)
{
	struct policy *p;

	put("");
	p = policy_load(ppath);
	T_CHECK(p != NULL && p->nres == 0 && p->nenc == 0);
	T_CHECK(p != NULL && policy_resource(p, "x") == -1);
	policy_free(p);
	put("; only comments\n\n# here\n");
	p = policy_load(ppath);
	T_CHECK(p != NULL && p->nres == 0);
	policy_free(p);
	policy_free(NULL);
}

static void
test_bad(void)
{
	const char *r = "[resource:ssh]\nproto = tcp\nport = 22\n";	/* 3 lines */
	char buf[1024];

	BAD("[resource:ssh]\nproto = tcp\nport = 22\n[other]\nx = 1\n",
	    "policy.ini:4:");
	BAD("\n[resource:Bad!]\nproto = tcp\nport = 22\n", "policy.ini:2:");
	BAD("[resource:]\nproto = tcp\nport = 22\n", "policy.ini:1:");
	BAD("[resource:ssh]\nport = 22\n", "policy.ini:1:");
	BAD("[resource:ssh]\nproto = tcp\n", "policy.ini:1:");
	BAD("[resource:ssh]\nport = 22\nproto = icmp\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 0\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 65536\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 10-5\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 1-1025\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22x\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = +22\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 0x16\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22-\n", "policy.ini:3:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22\naddress = host.example\n",
	    "policy.ini:4:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22\naddress = 10.0.0.0/8\n",
	    "policy.ini:4:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22\ncolour = red\n",
	    "policy.ini:4:");
	BAD("[resource:ssh]\nproto = tcp\nport = 22\n[resource:ssh]\n",
	    "policy.ini:4:");
	BAD("[resource:ssh]\nproto = tcp\nproto = udp\n", "policy.ini:3:");
	/* Enclaves: lines counted after the 3 lines of r. */
#define ENC(body) (snprintf(buf, sizeof(buf), "%s[enclave:e]\n%s", r, body), buf)
	BAD(ENC("resources = ssh, nope\nmax_duration = 60\n"), "policy.ini:5:");
	BAD(ENC("max_duration = 60\nresources = ssh,ssh\n"), "policy.ini:6:");
	BAD(ENC("resources = ssh,,\nmax_duration = 60\n"), "policy.ini:5:");
	BAD(ENC("max_duration = 60\n"), "policy.ini:4:");
	BAD(ENC("resources = ssh\n"), "policy.ini:4:");
	BAD(ENC("resources = ssh\nmax_duration = 0\n"), "policy.ini:6:");
	BAD(ENC("resources = ssh\nmax_duration = 86401\n"), "policy.ini:6:");
	BAD(ENC("resources = ssh\nmax_duration = 60\ndefault_duration = 61\n"),
	    "policy.ini:7:");
	BAD(ENC("resources = ssh\nmax_duration = 60\ndefault_duration = 0\n"),
	    "policy.ini:7:");
	BAD(ENC("resources = ssh\nmax_duration = 60\nlabels = team\n"),
	    "policy.ini:7:");
	BAD(ENC("resources = ssh\nmax_duration = 60\nlabels = a=b, a=c\n"),
	    "policy.ini:7:");
	BAD(ENC("resources = ssh\nmax_duration = 60\nlabels = a=B\n"),
	    "policy.ini:7:");
	BAD(ENC("resources = ssh\nmax_duration = 60\nport = 22\n"),
	    "policy.ini:7:");
#undef ENC
	BAD("[enclave:e]\nresources = ssh\nmax_duration = 60\n", "policy.ini:2:");
}

static void
test_labels(void)
{
	struct label l[POLICY_MAX_LABELS];
	char many[2048] = "";

	T_CHECK(policy_parse_labels("", l, POLICY_MAX_LABELS) == 0);
	T_CHECK(policy_parse_labels("  ", l, POLICY_MAX_LABELS) == 0);
	T_CHECK(policy_parse_labels("a=b", l, POLICY_MAX_LABELS) == 1);
	T_CHECK(policy_parse_labels(" k = v ,k2=v2", l, POLICY_MAX_LABELS) == 2);
	T_CHECK(!strcmp(l[0].key, "k") && !strcmp(l[0].value, "v"));
	T_CHECK(!strcmp(l[1].key, "k2") && !strcmp(l[1].value, "v2"));
	T_CHECK(policy_parse_labels("a=b,", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("a", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("a=", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("=b", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("a=b=c", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("a=b,a=b", l, POLICY_MAX_LABELS) == -1);
	T_CHECK(policy_parse_labels("a=b,c=d", l, 1) == -1);
	/* Keys must fit POLICY_LABEL_KEY_MAX with their NUL. */
	T_CHECK(policy_parse_labels("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b", l, 1) == 1);
	T_CHECK(policy_parse_labels("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b", l, 1) == -1);
	for (int i = 0; i <= POLICY_MAX_LABELS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "%sk%d=v", i ? "," : "", i);
	T_CHECK(policy_parse_labels(many, l, POLICY_MAX_LABELS) == -1);
}

/*
 * A larger policy loads and resolves. (Kept at 2,000 resources: common/ini.c
 * and iniparser look keys up linearly, so load time grows quadratically with
 * the number of entries, about 5 s for 10,000 resources.)
 */
static void
test_large(void)
{
	struct policy *p;
	struct timespec t0, t1;
	FILE *f = fopen(ppath, "w");
	double ms;

	if (f == NULL)
		exit(2);
	for (int i = 0; i < 20; i++) {
		fprintf(f, "[enclave:e%d]\nmax_duration = 60\nresources = ", i);
		for (int j = 0; j < 20; j++)
			fprintf(f, "%sr%d", j ? ", " : "", i * 100 + j);
		fprintf(f, "\n");
	}
	for (int i = 0; i < 2000; i++)
		fprintf(f, "[resource:r%d]\nproto = tcp\nport = %d\n", i, 1 + i);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = policy_load(ppath);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("policy_load: 2000 resources, 20 enclaves: %.0f ms\n", ms);
	T_CHECK(p != NULL && p->nres == 2000 && p->nenc == 20);
	T_CHECK(p != NULL && policy_resource(p, "r1999") >= 0);
	T_CHECK(p != NULL && p->res[policy_resource(p, "r1999")].port_lo == 2000);
	T_CHECK(p != NULL && policy_enclave(p, "e19") >= 0);
	T_CHECK(p != NULL && p->enc[policy_enclave(p, "e19")].nres == 20);
	policy_free(p);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(ppath, sizeof(ppath), "%s/policy.ini", dir);
	test_good();
	test_empty();
	test_bad();
	test_labels();
	test_large();
	t_rm_tree(dir);
	return T_DONE();
}
