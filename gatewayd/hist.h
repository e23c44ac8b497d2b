/* SPDX-License-Identifier: ISC */
/* The knock-to-open latency histogram, in Prometheus' text format. */
#ifndef SPA_HIST_H
#define SPA_HIST_H

#include <stdint.h>
#include <stdio.h>

/* Fixed buckets from 100 us to 100 ms; zeroed is empty. */
struct hist {
	uint64_t bucket[10];		/* the last: beyond every bound */
	uint64_t count, sum_us;
};

/* Count one duration from from_us to to_us (a clock stepped back: 0). */
void hist_observe(struct hist *h, uint64_t from_us, uint64_t to_us);

/* Write it as histogram name (seconds) with its HELP text. */
void hist_write(const struct hist *h, FILE *f, const char *name, const char *help);

#endif
