/* What syscall_bench_run.c and its worker image (syscall_bench.c) say to
 * each other through two pipes. */
#ifndef SYSCALL_BENCH_H
#define SYSCALL_BENCH_H

#define SYSCALL_BENCH_READ 4096u      /* bytes per timed read */
#define SYSCALL_BENCH_READ_BATCH 256u /* reads per sample, pipe permitting */
#define SYSCALL_BENCH_GETPID_BATCH 1000u

enum syscall_bench_kind { SYSCALL_BENCH_GETPID, SYSCALL_BENCH_READ_PIPE };

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
