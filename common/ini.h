/* SPDX-License-Identifier: ISC */
#ifndef SPA_INI_H
#define SPA_INI_H

/*
 * INI files read with iniparser, plus what iniparser lacks: the line of every
 * section and key, so each error names file and line, and a refusal of files
 * that are too large, not regular, or contain NUL bytes or over-long lines.
 * Section and key names are lower-case (iniparser folds them).
 */

struct ini;

/* Load path; NULL on error (reported with file and line). */
struct ini *ini_load(const char *path);
void ini_free(struct ini *ini);

const char *ini_path(const struct ini *ini);
/* Value of section:key, NULL if absent. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);
/* Line of section:key (key NULL: of the section header); 0 if unknown. */
int ini_line(const struct ini *ini, const char *section, const char *key);

int ini_nsections(const struct ini *ini);
const char *ini_section(const struct ini *ini, int i);
/* Number of keys in section and the i-th key name (without "section:"). */
int ini_nkeys(const struct ini *ini, const char *section);
const char *ini_key(const struct ini *ini, const char *section, int i);

/*
 * Report every key of section that is not in allowed (NULL-terminated);
 * returns the number of unknown keys.
 */
int ini_check_keys(const struct ini *ini, const char *section,
    const char *const *allowed);

#endif
