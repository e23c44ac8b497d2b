/* SPDX-License-Identifier: ISC */
#ifndef SPA_T_H
#define SPA_T_H

/*
 * A minimal unit test harness: T_CHECK records a failure with file and line
 * and goes on; T_DONE prints "N passed, N failed" and gives the exit code.
 * Each test program is one module's tests; tests/run-unit.sh runs them all.
 */

#include <stdio.h>

static int t_pass, t_fail;

#define T_CHECK(cond) do {						\
	if (cond) {							\
		t_pass++;						\
	} else {							\
		t_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define T_DONE() (printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail), \
	t_fail ? 1 : 0)

#endif
