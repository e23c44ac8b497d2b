/* SPDX-License-Identifier: ISC */
/* The knock-to-open latency histogram, written for Prometheus. */
#include "hist.h"
#include "util.h"

/* Bucket bounds in microseconds, and as Prometheus' le label in seconds. */
static const struct {
	uint64_t us;
	const char *le;
} bounds[] = {
	{ 100, "0.0001" }, { 200, "0.0002" }, { 300, "0.0003" },
	{ 500, "0.0005" }, { 1000, "0.001" }, { 2000, "0.002" },
	{ 5000, "0.005" }, { 10000, "0.01" }, { 100000, "0.1" },
};

_Static_assert(ARRAY_LEN(bounds) + 1 == ARRAY_LEN(((struct hist *)0)->bucket),
    "one bucket per bound and one beyond");

void
hist_observe(struct hist *h, uint64_t from_us, uint64_t to_us)
{
	uint64_t d = to_us > from_us ? to_us - from_us : 0;
	size_t i = 0;

	while (i < ARRAY_LEN(bounds) && d > bounds[i].us)
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += d;
}

void
hist_write(const struct hist *h, FILE *f, const char *name, const char *help)
{
	uint64_t n = 0;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < ARRAY_LEN(bounds); i++) {
		n += h->bucket[i];
		fprintf(f, "%s_bucket{le=\"%s\"} %llu\n", name, bounds[i].le,
		    (unsigned long long)n);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %llu.%06llu\n"
	    "%s_count %llu\n", name, (unsigned long long)h->count, name,
	    (unsigned long long)(h->sum_us / 1000000),
	    (unsigned long long)(h->sum_us % 1000000), name,
	    (unsigned long long)h->count);
}
