/* What syscall_bench_run.c and its worker image (syscall_bench.c) say to
 * each other through two pipes. */
#ifndef SYSCALL_BENCH_H
#define SYSCALL_BENCH_H

#define SYSCALL_BENCH_READ 4096u      /* bytes per timed read */
#define SYSCALL_BENCH_READ_BATCH 256u /* reads per sample, pipe permitting */
#define SYSCALL_BENCH_GETPID_BATCH 1000u
#define SYSCALL_BENCH_SIGNAL_BATCH 200u /* signals, sigactions per sample */
#define SYSCALL_BENCH_SPAWN_BATCH 10u   /* programs started per sample */

enum syscall_bench_kind {
	SYSCALL_BENCH_GETPID,
	SYSCALL_BENCH_READ_PIPE,
	SYSCALL_BENCH_SIGNAL,	    /* raise() with a handler installed */
	SYSCALL_BENCH_SIGACTION,    /* sigaction() installing one */
	SYSCALL_BENCH_SIGACTION_RAW, /* rt_sigaction asking, not wrapped */
	SYSCALL_BENCH_SPAWN,	     /* posix_spawn of /bin/true, waitpid */
	SYSCALL_BENCH_SPAWN_LIBC     /* the same with the C library's own */
};

/* The worker's first answer. */
struct syscall_bench_hello {
	int seccomp_filters; /* Seccomp_filters of its /proc/self/status */
	unsigned max_reads;  /* 4 KiB pages its pipe holds */
};

/* Time n calls of the kind; the answer is their total in ns (uint64_t). */
struct syscall_bench_command {
	enum syscall_bench_kind kind;
	unsigned n;
};

#endif
