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
 *   proc      floor: two processes (this thread and a helper forked from
 *             it) ping-ponging on one shared cache line, spin-waiting as
 *             the gate's channel does, neither pinned, as the gate is not;
 *             and beside it a pipe RPC (a helper process reading a request
 *             of the size of a gate message from one pipe and answering
 *             with the size of a gate's results on another), which a gate
 *             must beat by 50x; notes: the same ping-pong carrying a
 *             gate-sized message, and a gate to a peer that went to sleep
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
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "benchlib.h"
#include "measure.h"

#if defined(FLEXOS_BACKEND_PROC) || defined(FLEXOS_BACKEND_MPK)
#include <linux/futex.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>

/* The helper processes of the proc and mpk/hw floors wait on words of
 * memory they share with this one. */
static void futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
	syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}
#endif

#if defined(FLEXOS_BACKEND_PROC)
#include <errno.h>
#include <sys/wait.h>

/* In-tree benchmark only: proc.h is read for two things.  The size of a
 * gate message (struct flexos__gate_frame and GATE_STACK_ARGS, what a gate
 * copies into its channel; the pipe RPC and the message note send as
 * much), and whether the compartment's server thread has gone to sleep
 * (flexos_proc__control->channels[].asleep), so that its spinning after a
 * gate batch never overlaps the floor's (see proc_quiesce). */
#include "proc.h"
#endif

#if defined(FLEXOS_BACKEND_MPK)
/* In-tree benchmark only: internal.h is read to find the ranges the runtime
 * assigned to each compartment (flexos__rt.compartments[c].static_data,
 * arena and FLEXOS__ARENA_SIZE), so that the floor mprotects
 * exactly what a gate mprotects.  Nothing else of it is used.  pkru.h
 * reads the caller's PKRU for the mpk/hw floor. */
#include "internal.h"
#include "pkru.h"
#endif

/* Round trips per sample: enough to dwarf the ~20 ns of clock_gettime. */
#define CALL_BATCH 1000u
#define MPROTECT_BATCH 10u

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
 * that compartment in the order it was assigned (its initialised, then its
 * zero-filled static data, if any, then the arena).  While compartment 0
 * is closed nothing of it may be touched, and main runs on a stack inside
 * compartment 0's arena: so the floor loop runs on a stack of its own (a
 * ucontext), with its state in mmap'd memory outside every compartment. */
#define MAX_RANGES (FLEXOS__STATIC_RANGES + 1)

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
		/* the instruction the emulation's mprotect runs from, the one
		 * the system-call policy lets change compartments' memory */
		if (flexos__runtime_syscall(SYS_mprotect,
					    (long)f->ranges[side][i].start,
					    (long)f->ranges[side][i].len,
					    prot) < 0)
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

	for (unsigned i = 0; i < FLEXOS__STATIC_RANGES; i++) {
		const struct flexos__range *s = &comp->static_data[i];

		if (s->end > s->start)
			r[n++] = (struct range){ s->start,
						 (size_t)(s->end - s->start) };
	}
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

/* The mpk/hw floor: a bare WRPKRU pair with the values a round trip
 * writes (the callee's PKRU, then the caller's again), taken from RDPKRU
 * here and inside the callee.
 *
 * It cannot run in this image: start-up refuses an image with a WRPKRU
 * outside the runtime's gate (libflexos/pkru_sites.c), and the
 * system-call policy maps no code after it.  So a helper process forked
 * before the runtime starts, under neither, copies the loop below (bytes
 * here, not code) to a page of its own and runs it when asked; it times
 * the loop itself, so the hand-over is not counted.  The value WRPKRU
 * writes does not change its cost, and the helper's keys need not be
 * the image's. */
static const unsigned char wrpkru_pair_loop[] = {
	0x41, 0x89, 0xd0,	/* mov %edx, %r8d: the caller's PKRU */
	0x31, 0xc9,		/* xor %ecx, %ecx */
	0x31, 0xd2,		/* xor %edx, %edx */
	0x89, 0xf0,		/* 1: mov %esi, %eax: the callee's */
	0x0f, 0x01, 0xef,	/* wrpkru */
	0x44, 0x89, 0xc0,	/* mov %r8d, %eax */
	0x0f, 0x01, 0xef,	/* wrpkru */
	0x48, 0xff, 0xcf,	/* dec %rdi */
	0x75, 0xf0,		/* jnz 1b */
	0xc3,			/* ret */
};

struct pkru_floor {
	_Atomic uint32_t asked, answered; /* futex words: a round's number */
	unsigned n, caller, callee;
	uint64_t elapsed;
};

/* Shared: the helper's address, set before the runtime starts, kept out
 * of the default compartment's static data that the emulated-key floor
 * mprotects. */
FLEXOS_SHARED static struct pkru_floor *pkru_floor_helper;

static bool cpu_has_pku(void)
{
	unsigned a = 7, b, c = 0, d;

	__asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c & (1u << 4); /* OSPKE: PKU, enabled by the kernel */
}

static void serve_pkru_floor(struct pkru_floor *f)
{
	void (*loop)(unsigned long, unsigned, unsigned);
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t seen = 0;

	if (code == MAP_FAILED)
		_exit(1);
	memcpy(code, wrpkru_pair_loop, sizeof(wrpkru_pair_loop));
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC) != 0)
		_exit(1);
	loop = (void (*)(unsigned long, unsigned, unsigned))(void *)code;
	for (;;) {
		while (atomic_load(&f->asked) == seen)
			futex_wait(&f->asked, seen);
		seen = atomic_load(&f->asked);
		uint64_t start = now_ns();
		loop(f->n, f->callee, f->caller);
		f->elapsed = now_ns() - start;
		atomic_store(&f->answered, seen);
		futex_wake(&f->answered);
	}
}

/* Before the runtime's constructor (priority 101 runs first): only where
 * the CPU has PKU, for the hardware-key row. */
__attribute__((constructor(101))) static void start_pkru_floor(void)
{
	struct pkru_floor *f;

	if (!cpu_has_pku())
		return;
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		return;
	switch (fork()) {
	case -1:
		return;
	case 0:
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve_pkru_floor(f);
	}
	pkru_floor_helper = f;
}

static NOIPA uint64_t wrpkru_floor(void *arg, unsigned n)
{
	struct pkru_floor *f = arg;
	uint32_t round = atomic_load(&f->asked) + 1;

	f->n = n;
	atomic_store(&f->asked, round);
	futex_wake(&f->asked);
	while (atomic_load(&f->answered) != round)
		futex_wait(&f->answered, atomic_load(&f->answered));
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

#if defined(FLEXOS_BACKEND_PROC)
/* The proc floor and the pipe RPC, each against a helper process forked
 * from this one.  The helpers keep all their state in MAP_SHARED memory
 * made before fork, call nothing but system calls (this process has other
 * threads: the proc backend's monitors) and leave with _exit, so that they
 * run none of the image's atexit handlers. */
#define PIPE_BATCH 20u
#define MSG_IN (sizeof(struct flexos__gate_frame) + GATE_STACK_ARGS)
#define MSG_OUT (2 * sizeof(uint64_t) + 2 * 16) /* rax, rdx, xmm0, xmm1 */

/* Ping-pong.  `ball` is the one shared cache line: 1 while it is the
 * helper's turn, 0 while it is ours; each side spins on it with `pause`,
 * as a gate's channel does.  Between batches the helper sleeps on `go`
 * (a line of its own), so that it spins only while it is measured; like a
 * gate sample, a sample starts once the peer is awake and spinning. */
struct pingpong {
	_Alignas(64) _Atomic uint32_t ball;
	_Alignas(64) _Atomic uint32_t go;   /* bumped to start a batch */
	_Atomic uint32_t ready;             /* the helper is spinning */
	_Atomic uint32_t quit;
	unsigned n;                         /* round trips of the batch */
	unsigned message;                   /* copy gate-sized messages */
	pid_t pid;
	/* The message variant: a request and an answer copied in and out of
	 * shared lines, as a gate and its server copy frame and results. */
	_Alignas(64) char in[MSG_IN];
	_Alignas(64) char out[MSG_OUT];
};

static void pingpong_helper(struct pingpong *p)
{
	_Alignas(16) char req[MSG_IN], ans[MSG_OUT];
	uint32_t seen = 0;

	memset(ans, 0, sizeof(ans));
	for (;;) {
		while (atomic_load(&p->go) == seen)
			futex_wait(&p->go, seen);
		seen = atomic_load(&p->go);
		if (atomic_load(&p->quit))
			_exit(0);
		unsigned n = p->n, message = p->message;
		atomic_store(&p->ready, 1);
		for (unsigned i = 0; i < n; i++) {
			while (!atomic_load_explicit(&p->ball,
						     memory_order_acquire))
				__builtin_ia32_pause();
			if (message) {
				memcpy(req, p->in, sizeof(req));
				__asm__ volatile("" : : "r"(req) : "memory");
				memcpy(p->out, ans, sizeof(ans));
			}
			atomic_store_explicit(&p->ball, 0,
					      memory_order_release);
		}
	}
}

static struct pingpong *pingpong_start(unsigned message)
{
	struct pingpong *p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t parent = getpid();

	if (p == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	p->message = message;
	p->pid = fork();
	if (p->pid < 0) {
		perror("bench: fork");
		exit(1);
	}
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		pingpong_helper(p);
	}
	return p;
}

/* Wakes the helper for a batch of n and waits until it spins. */
static void pingpong_prepare(void *arg, unsigned n)
{
	struct pingpong *p = arg;

	p->n = n;
	atomic_store(&p->ready, 0);
	atomic_fetch_add(&p->go, 1);
	futex_wake(&p->go);
	while (!atomic_load(&p->ready))
		__builtin_ia32_pause();
}

static NOIPA uint64_t pingpong(void *arg, unsigned n)
{
	struct pingpong *p = arg;
	_Alignas(16) char req[MSG_IN], ans[MSG_OUT];
	unsigned message = p->message;

	memset(req, 1, sizeof(req));
	uint64_t start = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (message)
			memcpy(p->in, req, sizeof(req));
		atomic_store_explicit(&p->ball, 1, memory_order_release);
		while (atomic_load_explicit(&p->ball, memory_order_acquire))
			__builtin_ia32_pause();
		if (message) {
			memcpy(ans, p->out, sizeof(ans));
			__asm__ volatile("" : : "r"(ans) : "memory");
		}
	}
	return now_ns() - start;
}

static void pingpong_stop(struct pingpong *p)
{
	atomic_store(&p->quit, 1);
	atomic_fetch_add(&p->go, 1);
	futex_wake(&p->go);
	waitpid(p->pid, NULL, 0);
}

/* Pipe RPC: a request of a gate message's size on one pipe, an answer of a
 * gate's results' size on the other; the helper blocks in read(2) between
 * requests, as the server of a process sandbox does. */
struct pipe_rpc {
	int req, ans; /* our ends */
	pid_t pid;
};

static int full(ssize_t (*io)(int, void *, size_t), int fd, void *buf,
		size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = io(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static ssize_t write_(int fd, void *buf, size_t len)
{
	return write(fd, buf, len);
}

static struct pipe_rpc *pipe_start(void)
{
	struct pipe_rpc *r = map(sizeof(*r));
	int to[2], from[2];
	pid_t parent = getpid();

	if (pipe(to) != 0 || pipe(from) != 0) {
		perror("bench: pipe");
		exit(1);
	}
	r->pid = fork();
	if (r->pid < 0) {
		perror("bench: fork");
		exit(1);
	}
	if (r->pid == 0) {
		_Alignas(16) char req[MSG_IN], ans[MSG_OUT];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		close(to[1]);
		close(from[0]);
		memset(ans, 0, sizeof(ans));
		while (full(read, to[0], req, sizeof(req)) == 0)
			if (full(write_, from[1], ans, sizeof(ans)) != 0)
				break;
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	r->req = to[1];
	r->ans = from[0];
	return r;
}

static NOIPA uint64_t pipe_rt(void *arg, unsigned n)
{
	struct pipe_rpc *r = arg;
	_Alignas(16) char req[MSG_IN], ans[MSG_OUT];

	memset(req, 1, sizeof(req));
	uint64_t start = now_ns();
	for (unsigned i = 0; i < n; i++)
		if (full(write_, r->req, req, sizeof(req)) != 0 ||
		    full(read, r->ans, ans, sizeof(ans)) != 0) {
			fprintf(stderr, "bench: the pipe RPC helper is gone\n");
			exit(1);
		}
	return now_ns() - start;
}

static void pipe_prepare(void *arg, unsigned n)
{
	(void)n;
	pipe_rt(arg, 1);
}

static void pipe_stop(struct pipe_rpc *r)
{
	close(r->req);
	close(r->ans);
	waitpid(r->pid, NULL, 0);
}

/* A gate sample starts, as a floor sample does, with the peer awake: one
 * round trip first, untimed. */
static void gate_prepare(void *arg, unsigned n)
{
	(void)arg;
	(void)n;
	flexos_gate(benchlib, bench_empty0);
}

/* After a gate batch the compartment's server spins (SPINS pauses, see
 * backends/proc/proc_channel.c) before it sleeps: wait until it sleeps, so
 * that the floor never runs beside a third spinner on two CPUs.  Gives up
 * after 100 ms (the note counts how often). */
static unsigned quiesce_timeouts;

static void proc_quiesce(void)
{
	struct proc_control *control = flexos_proc__control;
	struct timespec tick = { 0, 50000 };

	for (int i = 0; i < 2000; i++) {
		int spinning = 0;
		for (unsigned k = 0; k < PROC_CHANNELS; k++)
			for (unsigned c = 1; c < flexos_compartment_count(); c++)
				spinning |= atomic_load(&control->channels[k]
								.server[c]) ==
						    SERVER_RUNNING &&
					    !atomic_load(&control->channels[k]
								 .asleep[c]);
		if (!spinning)
			return;
		nanosleep(&tick, NULL);
	}
	quiesce_timeouts++;
}
#endif

struct series {
	uint64_t (*run)(void *arg, unsigned n);
	void *arg;
	unsigned batch;
	/* Optional: runs untimed before each batch; quiesce after it. */
	void (*prepare)(void *arg, unsigned n);
	int quiesce;
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

static void print_header(void)
{
	printf("%-8s %4s %10s %10s  %-41s %12s %10s %7s  %-8s %-7s  %12s "
	       "%10s %9s  %-6s %s\n",
	       "backend", "args", "median ns", "p99 ns", "floor",
	       "floor median", "floor p99", "ratio", "target", "verdict",
	       "pipe RPC med", "pipe p99", "pipe/gate", "target", "verdict");
}

int main(void)
{
	const char *backend = flexos_backend_name();
	const char *env = getenv("FLEXOS_BENCH_SAMPLES");
	unsigned samples = env ? (unsigned)strtoul(env, NULL, 10) : 2000;
	unsigned warmup = samples / 10 + 10;
	/* s[0], s[1]: the gate with 0 and 6 arguments.  s[2], s[3]: under
	 * fcall the floors of the 0- and 6-argument rows; under mpk/emu the
	 * floor of both rows (it does not depend on the arguments) and the
	 * floor with first touches; under proc the floor of both rows and the
	 * pipe RPC.  s[4], s[5] (proc only): the ping-pong carrying a gate
	 * message, and a single gate to a peer that went to sleep. */
	struct series s[6] = { { .run = gate0 }, { .run = gate6 },
			       { .run = plain0 }, { .run = plain6 } };
	unsigned nseries = 4;
	unsigned batch = CALL_BATCH;
	char floor_name[48] = "plain call";
	int mpk = 0, proc = 0, ok = 1;

	if (samples < 1 || samples > 10000000) {
		fprintf(stderr, "bench: FLEXOS_BENCH_SAMPLES must be 1..1e7\n");
		return 2;
	}
#if defined(FLEXOS_BACKEND_MPK)
	struct floor *bare = NULL, *touched;
	volatile long probe = 0; /* on the caller's stack, like a gate's frame */
#endif
#if defined(FLEXOS_BACKEND_PROC)
	struct pingpong *line = NULL, *message = NULL;
	struct pipe_rpc *rpc = NULL;
#endif
	for (unsigned k = 0; k < 4; k++)
		s[k].batch = CALL_BATCH;
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
		for (unsigned k = 0; k < 4; k++)
			s[k].batch = batch;
		snprintf(floor_name, sizeof(floor_name), "%u x mprotect",
			 2 * (bare->nranges[0] + bare->nranges[1]));
#endif
	} else if (!strcmp(backend, "mpk/hw")) {
#if defined(FLEXOS_BACKEND_MPK)
		struct pkru_floor *pf = pkru_floor_helper;

		if (!pf) {
			fprintf(stderr, "bench: no helper process for the "
				"WRPKRU floor (could not fork one before "
				"start-up)\n");
			return 2;
		}
		pf->caller = flexos__rdpkru();
		pf->callee = flexos_gate(benchlib, bench_pkru);
		mpk = 2;
		s[2] = (struct series){ .run = wrpkru_floor, .arg = pf,
					.batch = CALL_BATCH };
		s[3] = s[2];
		snprintf(floor_name, sizeof(floor_name), "WRPKRU pair");
#endif
	} else if (!strcmp(backend, "proc")) {
#if defined(FLEXOS_BACKEND_PROC)
		proc = 1;
		line = pingpong_start(0);
		message = pingpong_start(1);
		rpc = pipe_start();
		/* One round: [cold gate] gate0 gate6 | quiesce | floor,
		 * floor with message, pipe RPC.  The cold gate comes after the
		 * quiescence of the previous round: its peer is asleep. */
		s[5] = (struct series){ .run = gate0, .batch = 1 };
		s[0] = (struct series){ .run = gate0, .batch = CALL_BATCH,
					.prepare = gate_prepare };
		s[1] = (struct series){ .run = gate6, .batch = CALL_BATCH,
					.prepare = gate_prepare,
					.quiesce = 1 };
		s[2] = (struct series){ .run = pingpong, .arg = line,
					.batch = CALL_BATCH,
					.prepare = pingpong_prepare };
		s[4] = (struct series){ .run = pingpong, .arg = message,
					.batch = CALL_BATCH,
					.prepare = pingpong_prepare };
		s[3] = (struct series){ .run = pipe_rt, .arg = rpc,
					.batch = PIPE_BATCH,
					.prepare = pipe_prepare };
		nseries = 6;
		snprintf(floor_name, sizeof(floor_name),
			 "shared cache line ping-pong (2 processes)");
#endif
	} else if (strcmp(backend, "fcall") != 0) {
		fprintf(stderr, "bench: no floor for backend '%s'\n", backend);
		return 2;
	}
	for (unsigned k = 0; k < nseries; k++)
		s[k].ns = map(samples * sizeof(double));

	/* The order in which the series run within a round. */
	static const unsigned order_plain[] = { 0, 1, 2, 3 };
	static const unsigned order_proc[] = { 5, 0, 1, 2, 4, 3 };
	const unsigned *order = proc ? order_proc : order_plain;

	for (long i = -(long)warmup; i < (long)samples; i++)
		for (unsigned j = 0; j < nseries; j++) {
			struct series *x = &s[order[j]];
			if (x->prepare)
				x->prepare(x->arg, x->batch);
			uint64_t t = x->run(x->arg, x->batch);
			if (i >= 0)
				x->ns[i] = (double)t / x->batch;
#if defined(FLEXOS_BACKEND_PROC)
			if (x->quiesce)
				proc_quiesce();
#endif
		}
	for (unsigned k = 0; k < nseries; k++) {
		summarize(&s[k], samples);
		ok &= s[k].median > 0 && s[k].p99 > 0;
	}

	print_header();
	for (unsigned row = 0; row < 2; row++) {
		const struct series *gate = &s[row];
		const struct series *base = &s[mpk || proc ? 2 : 2 + row];
		double ratio = gate->median / base->median;
		int pass;
		const char *target;

		if (mpk == 2) {
			target = "<=1.3x";
			pass = ratio <= 1.3;
		} else if (mpk) {
			target = "<=1.15x";
			pass = ratio <= 1.15;
		} else if (proc) {
			target = "<=1.5x";
			pass = ratio <= 1.5;
		} else { /* within noise of the plain call */
			target = "~1x";
			pass = ratio <= 1.05 || gate->median - base->median <= 1;
		}
		printf("%-8s %4u %10.1f %10.1f  %-41s %12.1f %10.1f %6.2fx  "
		       "%-8s %-7s",
		       backend, row ? 6u : 0u, gate->median, gate->p99,
		       floor_name, base->median, base->p99, ratio, target,
		       pass < 0 ? "-" : pass ? "PASS" : "FAIL");
		if (proc) {
			const struct series *pipe = &s[3];
			double speedup = pipe->median / gate->median;
			printf("  %12.1f %10.1f %8.1fx  %-6s %s\n", pipe->median,
			       pipe->p99, speedup, ">=50x",
			       speedup >= 50 ? "PASS" : "FAIL");
		} else {
			printf("  %12s %10s %9s  %-6s %s\n", "-", "-", "-", "-",
			       "-");
		}
	}
	printf("# %s: %u samples of %u round trips each (+%u warm-up), "
	       "interleaved with the floor\n",
	       backend, samples, batch, warmup);
#if defined(FLEXOS_BACKEND_MPK)
	if (mpk == 1) {
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
#if defined(FLEXOS_BACKEND_PROC)
	if (proc) {
		printf("# %s: pipe RPC: %u round trips per sample, %zu bytes "
		       "out and %zu back (a gate message: frame + stack "
		       "arguments; results)\n",
		       backend, PIPE_BATCH, MSG_IN, MSG_OUT);
		printf("# %s: floor carrying a gate message (%zu bytes copied "
		       "in and out, %zu back): median %.1f ns, p99 %.1f ns; "
		       "gate/that: 0 args %.2fx, 6 args %.2fx\n",
		       backend, MSG_IN, MSG_OUT, s[4].median, s[4].p99,
		       s[0].median / s[4].median, s[1].median / s[4].median);
		printf("# %s: one gate to a peer that went to sleep (futex "
		       "wake-up): median %.1f ns, p99 %.1f ns\n",
		       backend, s[5].median, s[5].p99);
		if (quiesce_timeouts)
			printf("# %s: the server was still spinning 100 ms "
			       "after a gate batch %u times\n",
			       backend, quiesce_timeouts);
		pingpong_stop(line);
		pingpong_stop(message);
		pipe_stop(rpc);
	}
#endif
	if (!ok) {
		fprintf(stderr, "bench: a median or p99 is not positive\n");
		return 1;
	}
	return 0;
}
