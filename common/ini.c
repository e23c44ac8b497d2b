/* SPDX-License-Identifier: ISC */
/* INI files read with iniparser, every error with file and line. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dictionary.h>
#include <iniparser.h>
#include <sodium.h>

#include "diag.h"
#include "ini.h"
#include "table.h"
#include "util.h"

#define INI_MAX_SIZE (1024 * 1024)
#define INI_MAX_LINE 1000

/*
 * Entries in file order: a section header, then its keys (sections cannot
 * repeat, so a section's keys are contiguous). A hash index finds an entry by
 * section and key in O(1), so large files load in linear time.
 */
struct ini_entry {
	char *section;		/* lower-case */
	char *key;		/* lower-case; NULL for the section header */
	const char *value;	/* from the iniparser dictionary */
	int line;
	int nkeys;		/* section header: number of keys that follow */
};

struct ini {
	char *path;
	dictionary *dict;
	struct ini_entry *ent;
	size_t nent, cap;
	size_t *sec;		/* indexes of section headers */
	size_t nsec;
	struct table idx;	/* entries by section and key */
};

/* Of "a\0b" (b NULL: of "a\0", told apart). */
static uint64_t
hash2(const char *a, const char *b)
{
	uint64_t h = util_hash(a, strlen(a) + 1, UTIL_HASH_INIT);

	return b == NULL ? h ^ 1 : util_hash(b, strlen(b), h);
}

static int
swallow(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int index_last(struct ini *ini);

static int
add_entry(struct ini *ini, const char *section, const char *key, int line)
{
	struct ini_entry *e;

	if (ini->nent == ini->cap) {
		size_t cap = ini->cap ? ini->cap * 2 : 16;
		e = realloc(ini->ent, cap * sizeof(*e));
		if (e == NULL)
			return -1;
		ini->ent = e;
		ini->cap = cap;
	}
	e = &ini->ent[ini->nent];
	memset(e, 0, sizeof(*e));
	e->section = strdup(section);
	e->key = key ? strdup(key) : NULL;
	e->line = line;
	if (e->section == NULL || (key && e->key == NULL)) {
		free(e->section);
		free(e->key);
		return -1;
	}
	ini->nent++;
	if (key == NULL) {
		size_t *sec = realloc(ini->sec, (ini->nsec + 1) * sizeof(*sec));
		if (sec == NULL)
			return -1;
		ini->sec = sec;
		ini->sec[ini->nsec++] = ini->nent - 1;
	} else {
		ini->ent[ini->sec[ini->nsec - 1]].nkeys++;
	}
	return index_last(ini);
}

static int
same(const struct ini_entry *e, const char *section, const char *key)
{
	return !strcmp(e->section, section) &&
	    (key == NULL ? e->key == NULL : (e->key && !strcmp(e->key, key)));
}

static struct ini_entry *
find(const struct ini *ini, const char *section, const char *key)
{
	size_t at;

	if (ini->idx.slot == NULL)
		return NULL;
	for (uint32_t e = table_first(&ini->idx, hash2(section, key), &at);
	    e != TABLE_END; e = table_next(&ini->idx, &at))
		if (same(&ini->ent[e], section, key))
			return &ini->ent[e];
	return NULL;
}

static uint64_t
hash_of(const struct ini_entry *e)
{
	return hash2(e->section, e->key);
}

/* Put the last entry in the index (rebuilt twice as large when full). */
static int
index_last(struct ini *ini)
{
	if (ini->nent >= TABLE_END)
		return -1;
	if (ini->idx.slot == NULL || table_full(&ini->idx)) {
		struct table t;

		if (table_init(&t, 2 * ini->nent) != 0)
			return -1;
		for (size_t e = 0; e + 1 < ini->nent; e++)
			table_add(&t, hash_of(&ini->ent[e]), (uint32_t)e);
		table_free(&ini->idx);
		ini->idx = t;
	}
	table_add(&ini->idx, hash_of(&ini->ent[ini->nent - 1]),
	    (uint32_t)ini->nent - 1);
	return 0;
}

/* One logical line: validate its syntax and index it. */
static int
scan_line(struct ini *ini, char *s, int line, char *section, size_t seclen)
{
	char *eq, *end;

	s = util_trim(s);
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end == s + 1) {
			diag(ini->path, line, "malformed section header");
			return -1;
		}
		*end = '\0';
		if (*util_trim(end + 1) != '\0' && end[1] != ';' && end[1] != '#') {
			char *rest = util_trim(end + 1);
			if (*rest != ';' && *rest != '#') {
				diag(ini->path, line, "junk after section header");
				return -1;
			}
		}
		s = util_trim(s + 1);
		lower(s);
		if (*s == '\0' || util_strlcpy(section, s, seclen) != 0) {
			diag(ini->path, line, "bad section name");
			return -1;
		}
		if (find(ini, section, NULL) != NULL) {
			diag(ini->path, line, "duplicate section [%s] (first at line %d)",
			    section, find(ini, section, NULL)->line);
			return -1;
		}
		return add_entry(ini, section, NULL, line);
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		diag(ini->path, line, "expected 'key = value' or '[section]'");
		return -1;
	}
	*eq = '\0';
	s = util_trim(s);
	lower(s);
	if (*s == '\0') {
		diag(ini->path, line, "missing key name");
		return -1;
	}
	if (strchr(s, ':') != NULL) {
		diag(ini->path, line, "key names may not contain ':'");
		return -1;
	}
	if (section[0] == '\0') {
		diag(ini->path, line, "key '%s' outside of any section", s);
		return -1;
	}
	if (find(ini, section, s) != NULL) {
		diag(ini->path, line, "duplicate key '%s' (first at line %d)", s,
		    find(ini, section, s)->line);
		return -1;
	}
	return add_entry(ini, section, s, line);
}

static int
scan(struct ini *ini, char *buf, size_t len)
{
	char section[256] = "";
	char logical[INI_MAX_LINE * 4 + 1];
	size_t llen = 0;
	int line = 0, start = 0;
	char *p = buf, *nl;

	while (p < buf + len) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(buf + len - p));
		n = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
		line++;
		if (n > INI_MAX_LINE) {
			diag(ini->path, line, "line longer than %d characters",
			    INI_MAX_LINE);
			return -1;
		}
		if (llen == 0)
			start = line;
		if (llen + n >= sizeof(logical)) {
			diag(ini->path, start, "continued line too long");
			return -1;
		}
		memcpy(logical + llen, p, n);
		llen += n;
		while (llen > 0 && (logical[llen - 1] == '\r' ||
		    logical[llen - 1] == ' ' || logical[llen - 1] == '\t'))
			llen--;
		p += n + 1;
		if (llen > 0 && logical[llen - 1] == '\\') {
			llen--;
			continue;
		}
		logical[llen] = '\0';
		llen = 0;
		if (scan_line(ini, logical, start, section, sizeof(section)) != 0) {
			sodium_memzero(logical, sizeof(logical));
			return -1;
		}
	}
	sodium_memzero(logical, sizeof(logical));
	if (llen > 0) {
		diag(ini->path, start, "continuation at end of file");
		return -1;
	}
	return 0;
}

/* One pass over the dictionary: "section:key" splits at its last ':' (key
 * names hold none), and the value is attached to the indexed entry. */
static void
attach_values(struct ini *ini)
{
	char buf[2048];

	for (ssize_t i = 0; i < ini->dict->size; i++) {
		const char *k = ini->dict->key[i];
		struct ini_entry *e;
		char *colon;

		if (k == NULL || ini->dict->val[i] == NULL ||
		    util_strlcpy(buf, k, sizeof(buf)) != 0 ||
		    (colon = strrchr(buf, ':')) == NULL)
			continue;
		*colon = '\0';
		e = find(ini, buf, colon + 1);
		if (e != NULL)
			e->value = ini->dict->val[i];
	}
}

/*
 * iniparser opens files by name only. Give it the file already read and
 * scanned (through /proc/self/fd), not whatever the path names now: a file
 * replaced by rename in between (agents.d) must not have its values taken
 * from a version that was never checked. Without /proc, the path. Whether
 * /proc is there is asked once: asking for every file took a sixth of the
 * time to load 100,000 agents.
 */
static dictionary *
load_same_file(int fd, const char *path)
{
	static int have_proc = -1;
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (have_proc < 0)
		have_proc = access(self, R_OK) == 0;
	return iniparser_load(have_proc ? self : path);
}

struct ini *
ini_load(const char *path)
{
	struct ini *ini = NULL;
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diag(path, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag(path, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size > INI_MAX_SIZE) {
		diag(path, 0, "larger than %d bytes", INI_MAX_SIZE);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto nomem;
	while (got < st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)(st.st_size - got));
		if (r <= 0) {
			diag(path, 0, "cannot read: %s", r < 0 ? strerror(errno) :
			    "file changed while reading");
			goto fail;
		}
		got += r;
	}
	if (memchr(buf, '\0', (size_t)got) != NULL) {
		diag(path, 0, "contains a NUL byte");
		goto fail;
	}
	ini = calloc(1, sizeof(*ini));
	if (ini == NULL || (ini->path = strdup(path)) == NULL)
		goto nomem;
	if (scan(ini, buf, (size_t)got) != 0)
		goto fail;
	iniparser_set_error_callback(swallow);
	ini->dict = load_same_file(fd, path);
	if (ini->dict == NULL) {
		diag(path, 0, "cannot parse");
		goto fail;
	}
	attach_values(ini);
	sodium_memzero(buf, (size_t)got);
	free(buf);
	close(fd);
	return ini;
nomem:
	diag(path, 0, "out of memory");
fail:
	if (buf != NULL)
		sodium_memzero(buf, (size_t)got);
	free(buf);
	if (fd >= 0)
		close(fd);
	ini_free(ini);
	return NULL;
}

void
ini_free(struct ini *ini)
{
	if (ini == NULL)
		return;
	for (size_t i = 0; i < ini->nent; i++) {
		free(ini->ent[i].section);
		free(ini->ent[i].key);
	}
	free(ini->ent);
	free(ini->sec);
	table_free(&ini->idx);
	if (ini->dict) {
		/* Values may be secrets (credential files): wipe before free. */
		for (ssize_t i = 0; i < ini->dict->size; i++)
			if (ini->dict->val[i] != NULL)
				sodium_memzero(ini->dict->val[i],
				    strlen(ini->dict->val[i]));
		iniparser_freedict(ini->dict);
	}
	free(ini->path);
	free(ini);
}

const char *
ini_path(const struct ini *ini)
{
	return ini->path;
}

const char *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = key ? find(ini, section, key) : NULL;

	return e ? (e->value ? e->value : "") : NULL;
}

int
ini_line(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = find(ini, section, key);

	if (e == NULL && key != NULL)
		e = find(ini, section, NULL);
	return e ? e->line : 0;
}

int
ini_nsections(const struct ini *ini)
{
	return (int)ini->nsec;
}

const char *
ini_section(const struct ini *ini, int idx)
{
	return idx >= 0 && (size_t)idx < ini->nsec ?
	    ini->ent[ini->sec[idx]].section : NULL;
}

int
ini_nkeys(const struct ini *ini, const char *section)
{
	const struct ini_entry *h = find(ini, section, NULL);

	return h ? h->nkeys : 0;
}

const char *
ini_key(const struct ini *ini, const char *section, int idx)
{
	const struct ini_entry *h = find(ini, section, NULL);

	return h && idx >= 0 && idx < h->nkeys ? h[1 + idx].key : NULL;
}

int
ini_check_keys(const struct ini *ini, const char *section,
    const char *const *allowed)
{
	const struct ini_entry *h = find(ini, section, NULL);
	int bad = 0;

	for (int i = 0; h != NULL && i < h->nkeys; i++) {
		const struct ini_entry *e = &h[1 + i];
		size_t k;

		for (k = 0; allowed[k] != NULL; k++)
			if (!strcmp(allowed[k], e->key))
				break;
		if (allowed[k] == NULL) {
			diag(ini->path, e->line, "unknown key '%s' in [%s]", e->key,
			    section);
			bad++;
		}
	}
	return bad;
}
