/* SPDX-License-Identifier: ISC */
/* Comma-separated lists, split in place: see list.h for the rule. */
#include <stddef.h>
#include <string.h>

#include "list.h"
#include "util.h"

void
list_init(struct list *l, char *s)
{
	s = util_trim(s);
	/* Blank is no items; anything else is at least one (maybe empty). */
	l->cur = *s != '\0' ? s : NULL;
}

int
list_next(struct list *l, char **item)
{
	if (l->cur == NULL)
		return 0;
	*item = util_trim(strsep(&l->cur, ","));
	if (**item == '\0') {
		l->cur = NULL;
		return -1;
	}
	return 1;
}
