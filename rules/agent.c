/* SPDX-License-Identifier: ISC */
/* Agent files: one agent's public key, enclaves, labels and expiry. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "diag.h"
#include "ini.h"
#include "list.h"
#include "util.h"

/* Longest line agent_write emits: ini.c refuses lines past 1000 characters. */
#define AGENT_LINE_MAX 1000

/* What a standalone agent points to is const to its readers, not to the
 * functions below that allocate and free it. */
static void *
own(const void *p)
{
	return (void *)(uintptr_t)p;
}

static const char *const agent_keys[] = { "public_key", "enclaves", "labels",
	"expires", "revoked", NULL };

/* NAME of DIR/NAME.ini, a valid name. */
static int
agent_name(const char *path, char name[POLICY_NAME_MAX])
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n <= 4 || strcmp(base + n - 4, ".ini") != 0 ||
	    n - 4 >= POLICY_NAME_MAX) {
		diag(path, 0, "agent file name must be NAME.ini");
		return -1;
	}
	memcpy(name, base, n - 4);
	name[n - 4] = '\0';
	if (!util_valid_name(name)) {
		diag(path, 0, "bad agent name '%s' (expected 1..63 of [a-z0-9_.-], "
		    "not starting with . or -)", name);
		return -1;
	}
	return 0;
}

/* "a, b" into a->enclaves: valid names, each once; silent. */
static int
parse_enclaves(const char *s, struct agent *a)
{
	struct list l;
	char *buf, *item;
	int r, ret = -1;

	if ((buf = strdup(s)) == NULL)
		return -1;
	list_init(&l, buf);
	while ((r = list_next(&l, &item)) != 0) {
		if (r < 0 || !util_valid_name(item) ||
		    a->nenclaves == AGENT_MAX_ENCLAVES)
			goto out;
		for (size_t i = 0; i < a->nenclaves; i++)
			if (strcmp(a->enclaves[i], item) == 0)
				goto out;
		if (agent_add_enclave(a, item) != 0)
			goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int
get_time(const struct ini *ini, const char *key, int64_t *t)
{
	const char *v = ini_get(ini, "agent", key);

	if (v == NULL)
		return 0;
	if (util_parse_rfc3339(v, t) != 0 || *t <= 0) {
		diag(ini_path(ini), ini_line(ini, "agent", key), "bad %s '%s' "
		    "(expected RFC 3339, e.g. 2026-01-02T03:04:05Z)", key, v);
		return -1;
	}
	return 0;
}

static int
check_sections(const struct ini *ini)
{
	int n = ini_nsections(ini);

	if (n == 0) {
		diag(ini_path(ini), 0, "missing [agent] section");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *sec = ini_section(ini, i);

		if (strcmp(sec, "agent") != 0) {
			diag(ini_path(ini), ini_line(ini, sec, NULL),
			    "unknown section [%s] (expected [agent])", sec);
			return -1;
		}
	}
	return ini_check_keys(ini, "agent", agent_keys) == 0 ? 0 : -1;
}

static int
load_fields(const struct ini *ini, struct agent *a)
{
	const char *path = ini_path(ini), *v;
	struct label l[POLICY_MAX_LABELS];
	int n;

	if ((v = ini_get(ini, "agent", "public_key")) == NULL) {
		diag(path, ini_line(ini, "agent", NULL),
		    "[agent] lacks required key 'public_key'");
		return -1;
	}
	if (util_b64_decode(v, a->pk, KEY_PK_LEN) != 0) {
		diag(path, ini_line(ini, "agent", "public_key"),
		    "bad public_key (expected %d bytes in base64)", KEY_PK_LEN);
		return -1;
	}
	keys_id(a->pk, a->key_id);
	if ((v = ini_get(ini, "agent", "enclaves")) != NULL &&
	    parse_enclaves(v, a) != 0) {
		diag(path, ini_line(ini, "agent", "enclaves"), "bad enclaves '%s' "
		    "(expected names, each once, at most %d)", v, AGENT_MAX_ENCLAVES);
		return -1;
	}
	if ((v = ini_get(ini, "agent", "labels")) != NULL) {
		if ((n = policy_parse_labels(v, l, POLICY_MAX_LABELS)) < 0) {
			diag(path, ini_line(ini, "agent", "labels"), "bad labels '%s' "
			    "(expected k=v, ... of names, each key once, at most %d)",
			    v, POLICY_MAX_LABELS);
			return -1;
		}
		for (int i = 0; i < n; i++)
			if (agent_add_label(a, l[i].key, l[i].value) != 0) {
				diag(path, 0, "out of memory");
				return -1;
			}
	}
	if (get_time(ini, "expires", &a->expires) != 0 ||
	    get_time(ini, "revoked", &a->revoked) != 0)
		return -1;
	return 0;
}

static int check_writable(const char *path, const struct agent *a);

int
agent_load(const char *path, struct agent *a)
{
	char name[POLICY_NAME_MAX];
	struct ini *ini = NULL;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	if (agent_name(path, name) != 0)
		goto out;
	if (agent_set_name(a, name) != 0) {
		diag(path, 0, "out of memory");
		goto out;
	}
	if ((ini = ini_load(path)) == NULL)
		goto out;
	/* What agent_write cannot write back (spa-admin agent revoke) is
	 * refused here too: lists too long for one line of AGENT_LINE_MAX. */
	if (check_sections(ini) != 0 || load_fields(ini, a) != 0 ||
	    check_writable(path, a) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		agent_clear(a);
	ini_free(ini);
	return ret;
}

int
agent_set_name(struct agent *a, const char *name)
{
	char *s;

	if (strlen(name) >= POLICY_NAME_MAX || (s = strdup(name)) == NULL)
		return -1;
	free(own(a->name));
	a->name = s;
	return 0;
}

int
agent_add_enclave(struct agent *a, const char *name)
{
	const char **v;
	char *s;

	if (a->nenclaves >= AGENT_MAX_ENCLAVES || strlen(name) >= POLICY_NAME_MAX ||
	    (s = strdup(name)) == NULL)
		return -1;
	if ((v = realloc(own(a->enclaves), (a->nenclaves + 1) * sizeof(*v))) == NULL) {
		free(s);
		return -1;
	}
	v[a->nenclaves++] = s;
	a->enclaves = v;
	return 0;
}

int
agent_add_label(struct agent *a, const char *key, const char *value)
{
	struct label *v;

	if (a->nlabels >= POLICY_MAX_LABELS || strlen(key) >= POLICY_LABEL_KEY_MAX ||
	    strlen(value) >= POLICY_LABEL_VALUE_MAX ||
	    (v = realloc(own(a->labels), (a->nlabels + 1) * sizeof(*v))) == NULL)
		return -1;
	a->labels = v;
	/* Zeroed past the strings: equal labels are equal bytes (memcmp, and
	 * agentdb shares equal lists). */
	memset(&v[a->nlabels], 0, sizeof(*v));
	util_strlcpy(v[a->nlabels].key, key, POLICY_LABEL_KEY_MAX);
	util_strlcpy(v[a->nlabels++].value, value, POLICY_LABEL_VALUE_MAX);
	return 0;
}

int
agent_usable(const struct agent *a, uint64_t now_ms)
{
	return a != NULL && a->revoked == 0 &&
	    (a->expires == 0 || (uint64_t)a->expires * 1000 > now_ms);
}

void
agent_clear(struct agent *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nenclaves; i++)
		free(own(a->enclaves[i]));
	free(own(a->enclaves));
	free(own(a->labels));
	free(own(a->name));
	memset(a, 0, sizeof(*a));
}

struct out {
	char buf[4096];
	size_t len;
	int overflow;
};

static void
emit(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->buf) - o->len)
		o->overflow = 1;
	else
		o->len += (size_t)n;
}

/* Everything agent_write emits must load again: check what agent_load checks. */
static int
check_writable(const char *path, const struct agent *a)
{
	struct agent tmp;
	size_t len = 0;

	memset(&tmp, 0, sizeof(tmp));
	if (a->nenclaves > AGENT_MAX_ENCLAVES || a->nlabels > POLICY_MAX_LABELS ||
	    a->expires < 0 || a->revoked < 0)
		goto bad;
	for (size_t i = 0; i < a->nenclaves; i++) {
		if (strnlen(a->enclaves[i], POLICY_NAME_MAX) == POLICY_NAME_MAX ||
		    !util_valid_name(a->enclaves[i]) ||
		    parse_enclaves(a->enclaves[i], &tmp) != 0)	/* dups */
			goto bad;
		len += strlen(a->enclaves[i]) + 2;
	}
	if (len + 12 > AGENT_LINE_MAX)
		goto bad;
	len = 0;
	for (size_t i = 0; i < a->nlabels; i++) {
		const struct label *l = &a->labels[i];

		if (strnlen(l->key, sizeof(l->key)) == sizeof(l->key) ||
		    strnlen(l->value, sizeof(l->value)) == sizeof(l->value) ||
		    !util_valid_name(l->key) || !util_valid_name(l->value))
			goto bad;
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->labels[j].key, l->key) == 0)
				goto bad;
		len += strlen(l->key) + strlen(l->value) + 3;
	}
	if (len + 10 > AGENT_LINE_MAX)
		goto bad;
	agent_clear(&tmp);
	return 0;
bad:
	agent_clear(&tmp);
	diag(path, 0, "agent '%s' has invalid or too many enclaves, labels or "
	    "times (each list must fit on one line of %d characters when "
	    "written as 'k = a, b')", a->name, AGENT_LINE_MAX);
	return -1;
}

static void
emit_fields(struct out *o, const struct agent *a)
{
	char b64[64], t[32];

	util_b64_encode(a->pk, KEY_PK_LEN, b64, sizeof(b64));
	emit(o, "[agent]\npublic_key = %s\n", b64);
	for (size_t i = 0; i < a->nenclaves; i++)
		emit(o, "%s%s", i ? ", " : "enclaves = ", a->enclaves[i]);
	if (a->nenclaves)
		emit(o, "\n");
	for (size_t i = 0; i < a->nlabels; i++)
		emit(o, "%s%s=%s", i ? ", " : "labels = ", a->labels[i].key,
		    a->labels[i].value);
	if (a->nlabels)
		emit(o, "\n");
	if (a->expires)
		emit(o, "expires = %s\n", util_fmt_rfc3339(a->expires, t));
	if (a->revoked)
		emit(o, "revoked = %s\n", util_fmt_rfc3339(a->revoked, t));
}

int
agent_write(const char *dir, const struct agent *a, int replace)
{
	char path[PATH_MAX];
	struct out *o = NULL;
	int ret = -1;

	if (a->name == NULL || strnlen(a->name, POLICY_NAME_MAX) == POLICY_NAME_MAX ||
	    !util_valid_name(a->name)) {
		diag(dir, 0, "bad agent name");
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/%s.ini", dir, a->name) >=
	    (int)sizeof(path)) {
		diag(dir, 0, "path too long");
		return -1;
	}
	if (check_writable(path, a) != 0)
		return -1;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		diag(path, 0, "out of memory");
		return -1;
	}
	emit_fields(o, a);
	if (o->overflow)
		diag(path, 0, "agent file too large");
	else
		ret = util_write_atomic(path, o->buf, o->len, 0640, replace);
	free(o);
	return ret;
}

/* Line of "enclaves =" in path, 0 if not found: only read on the error path. */
static int
enclaves_line(const char *path)
{
	FILE *f;
	char *buf = NULL, *s;
	size_t cap = 0;
	int line = 0, found = 0;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && getline(&buf, &cap, f) > 0) {
		line++;
		s = util_trim(buf);
		if (strncasecmp(s, "enclaves", 8) == 0 &&
		    *util_trim(s + 8) == '=')
			found = 1;
	}
	free(buf);
	fclose(f);
	return found ? line : 0;
}

int
agent_check_enclaves(const struct agent *a, const char *path,
    const struct policy *p)
{
	int bad = 0, line = -1;

	for (size_t i = 0; i < a->nenclaves; i++) {
		if (policy_enclave(p, a->enclaves[i]) >= 0)
			continue;
		if (line < 0)
			line = enclaves_line(path);
		diag(path, line, "agent '%s': unknown enclave '%s'", a->name,
		    a->enclaves[i]);
		bad++;
	}
	return bad;
}
