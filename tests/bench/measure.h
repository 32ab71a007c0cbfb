/* What the programs of tests/bench share: their clock, the median of a
 * series, and their way out on a setup error. */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Monotonic nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline int bench_by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n), which it sorts. */
static inline double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "<program>: <what>" on stderr, exit status 1. */
static inline __attribute__((noreturn)) void bench_die(const char *program,
							const char *what)
{
	fprintf(stderr, "%s: %s\n", program, what);
	exit(1);
}

#endif
