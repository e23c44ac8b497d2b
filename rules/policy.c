/* SPDX-License-Identifier: ISC */
/* policy.ini: resources and enclaves parsed, validated and indexed by name. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "ini.h"
#include "list.h"
#include "policy.h"
#include "table.h"
#include "util.h"

/*
 * Names are looked up through two hashes of indexes (table.h) so that
 * resolving an enclave's resources, and the daemon's lookups per knock, stay
 * O(1) however large the policy grows.
 */
struct policy_index {
	struct table res, enc;
};

static const char *const resource_keys[] = { "proto", "port", "address", NULL };
static const char *const enclave_keys[] = { "resources", "max_duration",
	"default_duration", "labels", NULL };

static uint64_t
name_hash(const char *s)
{
	return table_hash(s, strlen(s));
}

/* Names are the first member of struct resource and struct enclave. */
#define NAME_AT(base, stride, i) ((const char *)(base) + (size_t)(i) * (stride))

static int
name_get(const struct table *t, const void *base, size_t stride, size_t n,
    const char *name)
{
	size_t at;

	if (t == NULL) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(NAME_AT(base, stride, i), name) == 0)
				return (int)i;
		return -1;
	}
	for (uint32_t x = table_first(t, name_hash(name), &at); x != TABLE_END;
	    x = table_next(t, &at))
		if (strcmp(NAME_AT(base, stride, x), name) == 0)
			return (int)x;
	return -1;
}

int
policy_resource(const struct policy *p, const char *name)
{
	return name_get(p->idx ? &p->idx->res : NULL, p->res, sizeof(*p->res),
	    p->nres, name);
}

int
policy_enclave(const struct policy *p, const char *name)
{
	return name_get(p->idx ? &p->idx->enc : NULL, p->enc, sizeof(*p->enc),
	    p->nenc, name);
}

int
policy_parse_labels(const char *s, struct label *labels, size_t max)
{
	struct list l;
	char *buf, *item, *k, *v;
	int n = 0, r, ret = -1;

	if ((buf = strdup(s)) == NULL)
		return -1;
	list_init(&l, buf);
	while ((r = list_next(&l, &item)) != 0) {
		if (r < 0 || (v = strchr(item, '=')) == NULL)
			goto out;
		*v++ = '\0';
		k = util_trim(item);
		v = util_trim(v);
		if ((size_t)n == max || !util_valid_name(k) ||
		    strlen(k) >= POLICY_LABEL_KEY_MAX || !util_valid_name(v))
			goto out;
		for (int i = 0; i < n; i++)
			if (strcmp(labels[i].key, k) == 0)
				goto out;
		memcpy(labels[n].key, k, strlen(k) + 1);
		memcpy(labels[n].value, v, strlen(v) + 1);
		n++;
	}
	ret = n;
out:
	free(buf);
	return ret;
}

/* The value of a required key, or NULL after reporting its absence. */
static const char *
need(const struct ini *ini, const char *sec, const char *key)
{
	const char *v = ini_get(ini, sec, key);

	if (v == NULL)
		diag(ini_path(ini), ini_line(ini, sec, NULL),
		    "[%s] lacks required key '%s'", sec, key);
	return v;
}

static int
parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[32], *dash;
	uint64_t a, b;

	if (util_strlcpy(buf, s, sizeof(buf)) != 0)
		return -1;
	if ((dash = strchr(buf, '-')) != NULL)
		*dash++ = '\0';
	if (util_parse_u64(util_trim(buf), 1, 65535, &a) != 0)
		return -1;
	b = a;
	if (dash != NULL && util_parse_u64(util_trim(dash), 1, 65535, &b) != 0)
		return -1;
	if (b < a || b - a + 1 > POLICY_MAX_PORT_SPAN)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int
load_resource(const struct ini *ini, const char *sec, struct resource *r)
{
	const char *path = ini_path(ini), *v;

	if (ini_check_keys(ini, sec, resource_keys) != 0)
		return -1;
	if ((v = need(ini, sec, "proto")) == NULL)
		return -1;
	if (strcasecmp(v, "tcp") == 0)
		r->proto = IPPROTO_TCP;
	else if (strcasecmp(v, "udp") == 0)
		r->proto = IPPROTO_UDP;
	else {
		diag(path, ini_line(ini, sec, "proto"),
		    "proto must be tcp or udp, not '%s'", v);
		return -1;
	}
	if ((v = need(ini, sec, "port")) == NULL)
		return -1;
	if (parse_ports(v, &r->port_lo, &r->port_hi) != 0) {
		diag(path, ini_line(ini, sec, "port"), "bad port '%s' (expected N "
		    "or N-M in 1..65535, at most %u ports)", v, POLICY_MAX_PORT_SPAN);
		return -1;
	}
	if ((v = ini_get(ini, sec, "address")) != NULL &&
	    addr_parse(v, &r->addr) != 0) {
		diag(path, ini_line(ini, sec, "address"),
		    "bad address '%s' (expected an IPv4 or IPv6 literal)", v);
		return -1;
	}
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Resolve the resources list of enclave ei; mark[] holds ei + 1 once seen. */
static int
enclave_resources(const struct ini *ini, const char *sec, struct policy *p,
    size_t ei, uint32_t *mark)
{
	struct enclave *e = &p->enc[ei];
	int line = ini_line(ini, sec, "resources");
	const char *v;
	struct list l;
	char *buf = NULL, *item;
	size_t max = 1;
	int more, r, ret = -1;

	if ((v = need(ini, sec, "resources")) == NULL)
		return -1;
	for (const char *c = v; *c; c++)
		max += *c == ',';
	if ((buf = strdup(v)) == NULL ||
	    (e->res = calloc(max, sizeof(*e->res))) == NULL) {
		diag(ini_path(ini), line, "out of memory");
		goto out;
	}
	list_init(&l, buf);
	while ((more = list_next(&l, &item)) > 0) {
		if ((r = policy_resource(p, item)) < 0) {
			diag(ini_path(ini), line, "unknown resource '%s'", item);
			goto out;
		}
		if (mark[r] == ei + 1) {
			diag(ini_path(ini), line, "resource '%s' listed twice", item);
			goto out;
		}
		mark[r] = (uint32_t)(ei + 1);
		e->res[e->nres++] = (uint32_t)r;
	}
	/* A blank list as well: an enclave must grant something. */
	if (more < 0 || e->nres == 0) {
		diag(ini_path(ini), line, "empty item in resources");
		goto out;
	}
	/* Sorted, so that decide can search an enclave in O(log n). */
	qsort(e->res, e->nres, sizeof(*e->res), cmp_u32);
	ret = 0;
out:
	free(buf);
	return ret;
}

static int
load_enclave(const struct ini *ini, const char *sec, struct policy *p,
    size_t ei, uint32_t *mark)
{
	struct enclave *e = &p->enc[ei];
	const char *path = ini_path(ini), *v;
	uint64_t d;
	int n;

	if (ini_check_keys(ini, sec, enclave_keys) != 0 ||
	    enclave_resources(ini, sec, p, ei, mark) != 0)
		return -1;
	if ((v = need(ini, sec, "max_duration")) == NULL)
		return -1;
	if (util_parse_u64(v, 1, POLICY_MAX_DURATION, &d) != 0) {
		diag(path, ini_line(ini, sec, "max_duration"), "bad max_duration "
		    "'%s' (expected seconds, 1..%u)", v, POLICY_MAX_DURATION);
		return -1;
	}
	e->max_duration = e->default_duration = (uint32_t)d;
	if ((v = ini_get(ini, sec, "default_duration")) != NULL) {
		if (util_parse_u64(v, 1, e->max_duration, &d) != 0) {
			diag(path, ini_line(ini, sec, "default_duration"),
			    "bad default_duration '%s' (expected seconds, 1..%u)",
			    v, e->max_duration);
			return -1;
		}
		e->default_duration = (uint32_t)d;
	}
	if ((v = ini_get(ini, sec, "labels")) != NULL) {
		if ((n = policy_parse_labels(v, e->labels, POLICY_MAX_LABELS)) < 0) {
			diag(path, ini_line(ini, sec, "labels"), "bad labels '%s' "
			    "(expected k=v, ... of names, each key once, at most %d)",
			    v, POLICY_MAX_LABELS);
			return -1;
		}
		e->nlabels = (size_t)n;
	}
	return 0;
}

/* The name after "resource:" or "enclave:", or NULL after reporting. */
static const char *
section_name(const struct ini *ini, const char *sec, int *is_res)
{
	const char *name;

	if (strncmp(sec, "resource:", 9) == 0) {
		name = sec + 9;
		*is_res = 1;
	} else if (strncmp(sec, "enclave:", 8) == 0) {
		name = sec + 8;
		*is_res = 0;
	} else {
		diag(ini_path(ini), ini_line(ini, sec, NULL), "unknown section "
		    "[%s] (expected [resource:NAME] or [enclave:NAME])", sec);
		return NULL;
	}
	if (!util_valid_name(name)) {
		diag(ini_path(ini), ini_line(ini, sec, NULL), "bad name '%s' "
		    "(expected 1..63 of [a-z0-9_.-], not starting with . or -)",
		    name);
		return NULL;
	}
	return name;
}

/* Validate section names and allocate both arrays and their indexes. */
static int
alloc_policy(const struct ini *ini, struct policy *p, int nsec)
{
	int is_res;

	for (int i = 0; i < nsec; i++) {
		if (section_name(ini, ini_section(ini, i), &is_res) == NULL)
			return -1;
		if (is_res)
			p->nres++;
		else
			p->nenc++;
	}
	p->res = calloc(p->nres ? p->nres : 1, sizeof(*p->res));
	p->enc = calloc(p->nenc ? p->nenc : 1, sizeof(*p->enc));
	if (p->res == NULL || p->enc == NULL ||
	    table_init(&p->idx->res, p->nres) != 0 ||
	    table_init(&p->idx->enc, p->nenc) != 0) {
		diag(ini_path(ini), 0, "out of memory");
		return -1;
	}
	p->nres = p->nenc = 0;
	return 0;
}

/* Resources first, so that enclaves may name resources defined after them. */
static int
load_sections(const struct ini *ini, struct policy *p, int nsec, int want_res)
{
	uint32_t *mark = NULL;
	const char *sec, *name;
	int is_res, ret = -1;

	if (!want_res && (mark = calloc(p->nres + 1, sizeof(*mark))) == NULL) {
		diag(ini_path(ini), 0, "out of memory");
		return -1;
	}
	for (int i = 0; i < nsec; i++) {
		sec = ini_section(ini, i);
		name = section_name(ini, sec, &is_res);
		if (is_res != want_res)
			continue;
		if (is_res) {
			memcpy(p->res[p->nres].name, name, strlen(name) + 1);
			if (load_resource(ini, sec, &p->res[p->nres]) != 0)
				goto out;
			table_add(&p->idx->res, name_hash(name), (uint32_t)p->nres);
			p->nres++;
		} else {
			memcpy(p->enc[p->nenc].name, name, strlen(name) + 1);
			p->nenc++;	/* counted now: policy_free frees its res */
			if (load_enclave(ini, sec, p, p->nenc - 1, mark) != 0)
				goto out;
			table_add(&p->idx->enc, name_hash(name),
			    (uint32_t)(p->nenc - 1));
		}
	}
	ret = 0;
out:
	free(mark);
	return ret;
}

struct policy *
policy_load(const char *path)
{
	struct policy *p = NULL;
	struct ini *ini = NULL;
	int nsec;

	if ((ini = ini_load(path)) == NULL)
		goto fail;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->idx = calloc(1, sizeof(*p->idx))) == NULL) {
		diag(path, 0, "out of memory");
		goto fail;
	}
	nsec = ini_nsections(ini);
	if (alloc_policy(ini, p, nsec) != 0 ||
	    load_sections(ini, p, nsec, 1) != 0 ||
	    load_sections(ini, p, nsec, 0) != 0)
		goto fail;
	ini_free(ini);
	return p;
fail:
	ini_free(ini);
	policy_free(p);
	return NULL;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->enc != NULL && i < p->nenc; i++)
		free(p->enc[i].res);
	if (p->idx != NULL) {
		table_free(&p->idx->res);
		table_free(&p->idx->enc);
		free(p->idx);
	}
	free(p->res);
	free(p->enc);
	free(p);
}
