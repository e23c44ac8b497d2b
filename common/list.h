/* SPDX-License-Identifier: ISC */
/* Comma-separated lists: one splitting rule for config files and CLI flags. */
#ifndef SPA_LIST_H
#define SPA_LIST_H

/*
 * A list is items separated by commas, split in place in a buffer the caller
 * owns. Each item is trimmed of ASCII white space (space, tab, CR, LF, as
 * util_trim). A value that is empty or only white space is a list of no
 * items. An empty item (",,", a comma at either end, or an item of only white
 * space) is an error, never skipped: a stray comma in a policy or on a command
 * line is a typo to report, not a gap to close silently. How many items, how
 * long, and what each may hold are the caller's to check.
 *
 *	list_init(&l, buf);
 *	while ((r = list_next(&l, &item)) > 0)
 *		take(item);
 *	if (r < 0)
 *		report the empty item;
 */
struct list {
	char *cur;		/* what is left to split; NULL: the end */
};

/* Start on s, which is split in place and must outlive the iteration. */
void list_init(struct list *l, char *s);

/* The next item, trimmed, in *item: 1; 0 past the last item; -1 when that
 * item is empty (*item is then ""), which also ends the list. */
int list_next(struct list *l, char **item);

#endif
