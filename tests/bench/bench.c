/* Gate round-trip latency, beside the floor the backend cannot go below,
 * measured in the same run.  One image per backend is built from this file
 * (tests/bench/CMakeLists.txt); run.sh prints their rows as one table.
 *
 *   fcall     floor: the plain call of the same empty function
 *   mpk/emu   floor: the bare mprotect calls one emulated round trip makes,
 *             on the very ranges the runtime assigned to the two
 *             compartments, in the gate's order, with its protections;
 *             and, as a note, the same plus one store into each reopened
 *             stack page, which any switch to a private stack must make
 *             (under shadow paging that first access is what costs)
 *
 * A sample is the mean of a batch of round trips timed with CLOCK_MONOTONIC;
 * the series are interleaved sample by sample so that a noisy neighbour
 * slows gate and floor alike.  Environment: FLEXOS_BENCH_SAMPLES (default
 * 2000).  Exit status 0 when every number is positive; the verdict against
 * the targets is printed, not returned (shared machines are noisy). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "benchlib.h"

#if defined(FLEXOS_BACKEND_MPK)
/* In-tree benchmark only: internal.h is read to find the ranges the runtime
 * assigned to each compartment (flexos__rt.compartments[c].data_start,
 * data_end, arena and FLEXOS__ARENA_SIZE), so that the floor mprotects
 * exactly what a gate mprotects.  Nothing else of it is used. */
#include "internal.h"
#endif

/* Round trips per sample: enough to dwarf the ~20 ns of clock_gettime. */
#define CALL_BATCH 1000u
#define MPROTECT_BATCH 10u

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The bench's own memory comes from mmap, outside every compartment: it
 * must stay writable while the mpk floor has compartment 0 closed, and it
 * must not add populated pages to the ranges whose mprotect is measured.
 * For the same reason this file has no static data: like benchlib, the
 * default compartment owns only its arena. */
static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	return p;
}

/* Timed batches.  noipa keeps each loop a function of its own: under fcall
 * the gate loops and the plain-call loops compile to the same code, and
 * must not be folded into one, or the comparison would be vacuous.  The
 * cache-line alignment puts the same code at the same offsets, so that what
 * differs between them is noise, not code placement. */
#define NOIPA __attribute__((noipa, aligned(64)))

static NOIPA uint64_t gate0(void *unused, unsigned n)
{
	(void)unused;
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		flexos_gate(benchlib, bench_empty0);
	return now_ns() - start;
}

static NOIPA uint64_t gate6(void *unused, unsigned n)
{
	(void)unused;
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		flexos_gate(benchlib, bench_empty6, 1, 2, 3, 4, 5, 6);
	return now_ns() - start;
}

static NOIPA uint64_t plain0(void *unused, unsigned n)
{
	(void)unused;
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		bench_empty0();
	return now_ns() - start;
}

static NOIPA uint64_t plain6(void *unused, unsigned n)
{
	(void)unused;
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		bench_empty6(1, 2, 3, 4, 5, 6);
	return now_ns() - start;
}

#if defined(FLEXOS_BACKEND_MPK)
/* The mpk/emu floor.  A round trip from compartment 0 to 1 and back makes
 * grant(1), revoke(0), grant(0), revoke(1); each mprotects every range of
 * that compartment in the order it was assigned (static data if any, then
 * the arena).  While compartment 0 is closed nothing of it may be touched,
 * and main runs on a stack inside compartment 0's arena: so the floor loop
 * runs on a stack of its own (a ucontext), with its state in mmap'd memory
 * outside every compartment. */
#define MAX_RANGES 2

struct range {
	void *start;
	size_t len;
};

struct floor {
	struct range ranges[2][MAX_RANGES]; /* [0]: source, [1]: destination */
	unsigned nranges[2];
	/* NULL, or a word in the stack page the gate writes first on each
	 * side once it is open again: the caller's frame, the callee's. */
	volatile long *touch[2];
	unsigned n;       /* round trips to make */
	uint64_t elapsed; /* their time */
	ucontext_t bench_ctx, floor_ctx;
};

static void protect(const struct floor *f, unsigned side, int prot)
{
	for (unsigned i = 0; i < f->nranges[side]; i++)
		if (mprotect(f->ranges[side][i].start, f->ranges[side][i].len,
			     prot) != 0)
			_exit(3); /* nothing else is safe with a side closed */
}

/* Runs on the floor stack; the pointer to its state comes in two halves,
 * as makecontext passes ints. */
static void floor_loop(unsigned hi, unsigned lo)
{
	struct floor *f = (struct floor *)(((uintptr_t)hi << 32) | lo);

	for (;;) {
		uint64_t start = now_ns();
		for (unsigned i = 0; i < f->n; i++) {
			protect(f, 1, PROT_READ | PROT_WRITE); /* open dest */
			if (f->touch[1])
				*f->touch[1] = *f->touch[1];
			protect(f, 0, PROT_NONE);              /* close source */
			protect(f, 0, PROT_READ | PROT_WRITE); /* reopen source */
			if (f->touch[0])
				*f->touch[0] = *f->touch[0];
			protect(f, 1, PROT_NONE);              /* close dest */
		}
		f->elapsed = now_ns() - start;
		swapcontext(&f->floor_ctx, &f->bench_ctx);
	}
}

static unsigned collect_ranges(unsigned c, struct range *r)
{
	const struct flexos__compartment *comp = &flexos__rt.compartments[c];
	unsigned n = 0;

	if (comp->data_end > comp->data_start)
		r[n++] = (struct range){ comp->data_start,
					 (size_t)(comp->data_end -
						  comp->data_start) };
	r[n++] = (struct range){ comp->arena, FLEXOS__ARENA_SIZE };
	return n;
}

static struct floor *floor_setup(void)
{
	const size_t stack_size = 64u << 10;
	struct floor *f = map(sizeof(*f));
	uintptr_t self = (uintptr_t)f;

	f->nranges[0] = collect_ranges(0, f->ranges[0]);
	f->nranges[1] = collect_ranges(1, f->ranges[1]);
	if (getcontext(&f->floor_ctx) != 0) {
		perror("bench: getcontext");
		exit(1);
	}
	f->floor_ctx.uc_stack.ss_sp = map(stack_size);
	f->floor_ctx.uc_stack.ss_size = stack_size;
	f->floor_ctx.uc_link = NULL; /* floor_loop never returns */
	makecontext(&f->floor_ctx, (void (*)(void))floor_loop, 2,
		    (unsigned)(self >> 32), (unsigned)self);
	return f;
}

static NOIPA uint64_t mprotect_floor(void *arg, unsigned n)
{
	struct floor *f = arg;

	f->n = n;
	swapcontext(&f->bench_ctx, &f->floor_ctx);
	return f->elapsed;
}

/* Pages with a page table entry, which is what mprotect's cost grows with. */
static size_t populated(const struct range *r)
{
	size_t pages = r->len / 4096, count = 0;
	unsigned char *vec = map(pages);

	if (mincore(r->start, r->len, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			count += vec[i] & 1;
	munmap(vec, pages);
	return count;
}
#endif

struct series {
	uint64_t (*run)(void *arg, unsigned n);
	void *arg;
	unsigned batch;
	double *ns; /* per round trip, one per sample */
	double median, p99;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarize(struct series *s, unsigned samples)
{
	qsort(s->ns, samples, sizeof(double), cmp_double);
	s->median = samples % 2 ? s->ns[samples / 2]
				: (s->ns[samples / 2 - 1] + s->ns[samples / 2]) / 2;
	s->p99 = s->ns[(samples * 99 + 99) / 100 - 1]; /* ceil(.99 n)-th */
}

int main(void)
{
	const char *backend = flexos_backend_name();
	const char *env = getenv("FLEXOS_BENCH_SAMPLES");
	unsigned samples = env ? (unsigned)strtoul(env, NULL, 10) : 2000;
	unsigned warmup = samples / 10 + 10;
	struct series s[4] = { { .run = gate0 }, { .run = gate6 },
			       { .run = plain0 }, { .run = plain6 } };
	unsigned batch = CALL_BATCH;
	char floor_name[32] = "plain call";
	int mpk = 0, ok = 1;

	if (samples < 1 || samples > 10000000) {
		fprintf(stderr, "bench: FLEXOS_BENCH_SAMPLES must be 1..1e7\n");
		return 2;
	}
	/* s[2], s[3]: under fcall the floors of the 0- and 6-argument rows;
	 * under mpk/emu the floor of both rows (it does not depend on the
	 * arguments) and the floor with first touches. */
#if defined(FLEXOS_BACKEND_MPK)
	struct floor *bare = NULL, *touched;
	volatile long probe = 0; /* on the caller's stack, like a gate's frame */
#endif
	if (!strcmp(backend, "mpk/emu")) {
#if defined(FLEXOS_BACKEND_MPK)
		mpk = 1;
		bare = floor_setup();
		touched = floor_setup();
		touched->touch[0] = &probe;
		touched->touch[1] = flexos_gate(benchlib, bench_frame);
		s[2] = (struct series){ .run = mprotect_floor, .arg = bare };
		s[3] = (struct series){ .run = mprotect_floor, .arg = touched };
		batch = MPROTECT_BATCH;
		snprintf(floor_name, sizeof(floor_name), "%u x mprotect",
			 2 * (bare->nranges[0] + bare->nranges[1]));
#endif
	} else if (strcmp(backend, "fcall") != 0) {
		fprintf(stderr, "bench: no floor for backend '%s'\n", backend);
		return 2;
	}
	for (unsigned k = 0; k < 4; k++) {
		s[k].batch = batch;
		s[k].ns = map(samples * sizeof(double));
	}

	for (long i = -(long)warmup; i < (long)samples; i++)
		for (unsigned k = 0; k < 4; k++) {
			uint64_t t = s[k].run(s[k].arg, s[k].batch);
			if (i >= 0)
				s[k].ns[i] = (double)t / s[k].batch;
		}
	for (unsigned k = 0; k < 4; k++) {
		summarize(&s[k], samples);
		ok &= s[k].median > 0 && s[k].p99 > 0;
	}

	printf("%-8s %4s %10s %10s  %-14s %12s %10s %7s  %-8s %s\n", "backend",
	       "args", "median ns", "p99 ns", "floor", "floor median",
	       "floor p99", "ratio", "target", "verdict");
	for (unsigned row = 0; row < 2; row++) {
		const struct series *gate = &s[row];
		const struct series *base = &s[mpk ? 2 : 2 + row];
		double ratio = gate->median / base->median;
		int pass;
		const char *target;

		if (mpk) {
			target = "<=1.15x";
			pass = ratio <= 1.15;
		} else { /* within noise of the plain call */
			target = "~1x";
			pass = ratio <= 1.05 || gate->median - base->median <= 1;
		}
		printf("%-8s %4u %10.1f %10.1f  %-14s %12.1f %10.1f %6.2fx  %-8s "
		       "%s\n",
		       backend, row ? 6u : 0u, gate->median, gate->p99,
		       floor_name, base->median, base->p99, ratio, target,
		       pass ? "PASS" : "FAIL");
	}
	printf("# %s: %u samples of %u round trips each (+%u warm-up), "
	       "interleaved with the floor\n",
	       backend, samples, batch, warmup);
#if defined(FLEXOS_BACKEND_MPK)
	if (mpk) {
		printf("# %s: floor + first store into each reopened stack "
		       "page: median %.1f ns, p99 %.1f ns; gate/that: 0 args "
		       "%.2fx, 6 args %.2fx\n",
		       backend, s[3].median, s[3].p99, s[0].median / s[3].median,
		       s[1].median / s[3].median);
		for (unsigned side = 0; side < 2; side++)
			for (unsigned i = 0; i < bare->nranges[side]; i++) {
				const struct range *r = &bare->ranges[side][i];
				printf("# %s: compartment '%s' range %u: %zu KiB, "
				       "%zu pages populated\n",
				       backend, flexos_compartment_name(side), i,
				       r->len >> 10, populated(r));
			}
	}
#endif
	if (!ok) {
		fprintf(stderr, "bench: a median or p99 is not positive\n");
		return 1;
	}
	return 0;
}
