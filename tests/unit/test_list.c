/* SPDX-License-Identifier: ISC */
/* Tests for common/list.c: trimming, blank lists, and empty items refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "t.h"

/*
 * Split s and join what came out as "a|b|c", then "|!" if the list ended on
 * an empty item; returns the number of items.
 */
static int
split(const char *s, char *out, size_t len)
{
	char buf[256], *item;
	struct list l;
	int n = 0, r;

	snprintf(buf, sizeof(buf), "%s", s);
	out[0] = '\0';
	list_init(&l, buf);
	while ((r = list_next(&l, &item)) > 0) {
		/* Items point into buf: split in place, nothing copied. */
		if (item < buf || item >= buf + sizeof(buf))
			return -100;
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    n++ ? "|" : "", item);
	}
	if (r < 0) {
		if (*item != '\0')
			return -100;
		snprintf(out + strlen(out), len - strlen(out), "|!");
	}
	/* The end is sticky, after an empty item too. */
	if (list_next(&l, &item) != 0)
		return -100;
	return n;
}

#define SPLIT(s, n, want) do {						\
	char got_[256];							\
	T_CHECK(split(s, got_, sizeof(got_)) == (n));			\
	T_CHECK(strcmp(got_, want) == 0);				\
} while (0)

static void
test_items(void)
{
	SPLIT("a", 1, "a");
	SPLIT("a,b,c", 3, "a|b|c");
	SPLIT(" a , b\t,\tc ", 3, "a|b|c");
	SPLIT("a,b\r\n", 2, "a|b");
	SPLIT("k = v, k2=v2", 2, "k = v|k2=v2");	/* inner blanks kept */
	SPLIT("a;b c", 1, "a;b c");			/* only commas split */
}

static void
test_blank(void)
{
	SPLIT("", 0, "");
	SPLIT("  ", 0, "");
	SPLIT(" \t\r\n", 0, "");
}

static void
test_empty_items(void)
{
	SPLIT(",", 0, "|!");
	SPLIT(" , ", 0, "|!");
	SPLIT(",a", 0, "|!");
	SPLIT(" ,a", 0, "|!");
	SPLIT("a,", 1, "a|!");
	SPLIT("a, ", 1, "a|!");
	SPLIT("a,,b", 1, "a|!");
	SPLIT("a, ,b", 1, "a|!");
	SPLIT("a,\t,b", 1, "a|!");
	SPLIT("a,b,,", 2, "a|b|!");
	SPLIT(",,", 0, "|!");
}

/* The list sets no limit of its own: counts and lengths are the callers'. */
static void
test_no_limits(void)
{
	size_t n = 5000, len = 2 * n;
	char *buf = malloc(len), *big = malloc(len), *item;
	struct list l;
	size_t got = 0;
	int r;

	if (buf == NULL || big == NULL) {
		perror("malloc");
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = 'x';
		buf[2 * i + 1] = ',';
	}
	buf[len - 1] = '\0';
	list_init(&l, buf);
	while ((r = list_next(&l, &item)) > 0)
		got += strcmp(item, "x") == 0;
	T_CHECK(r == 0 && got == n);

	memset(big, 'y', len - 1);
	big[len - 1] = '\0';
	list_init(&l, big);
	T_CHECK(list_next(&l, &item) == 1 && strlen(item) == len - 1);
	T_CHECK(list_next(&l, &item) == 0);
	free(buf);
	free(big);
}

int
main(void)
{
	test_items();
	test_blank();
	test_empty_items();
	test_no_limits();
	return T_DONE();
}
