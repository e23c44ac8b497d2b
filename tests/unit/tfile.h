/* SPDX-License-Identifier: ISC */
#ifndef SPA_TFILE_H
#define SPA_TFILE_H

/* Helpers for unit tests that load files: remove a scratch tree, and check
 * that the last diagnostic says what it should (file and line). */

#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

static int
t_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

/* Remove dir and everything below it. */
static inline void
t_rm_tree(const char *dir)
{
	nftw(dir, t_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* 1 if the last diagnostic contains want; else say what it was. */
static inline int
t_has(const char *want)
{
	if (strstr(diag_last(), want) != NULL)
		return 1;
	fprintf(stderr, "  want \"%s\" in: %s\n", want, diag_last());
	return 0;
}

#endif
