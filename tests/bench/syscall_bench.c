/* The image whose system calls syscall_bench_run.c times: an mpk image, so
 * that the system-call policy is installed before main, as in any image of
 * a Linux backend.  The runner starts it twice, once as it is and once with
 * FLEXOS_SYSCALL_POLICY=off (the floor); it cannot start the floor from an
 * image itself, as seccomp filters and Landlock domains are inherited
 * across fork and execve and never removed.
 *
 *   syscall_bench          returns at once: the runner times its start-up
 *   syscall_bench worker   times batches of system calls on command: it
 *                          reads commands (struct syscall_bench_command)
 *                          on fd 0 and answers each batch's nanoseconds
 *                          (uint64_t) on fd 1, after a struct
 *                          syscall_bench_hello
 *   syscall_bench worker allow-all
 *                          the same, under one seccomp filter of a single
 *                          "allow" (run with FLEXOS_SYSCALL_POLICY=off):
 *                          what any filter costs a call the kernel's
 *                          action cache answers, the least a policy can
 *                          cost
 * A worker also starts /bin/true on command, with the image's posix_spawn
 * or (without the policy) the C library's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "syscall_bench.h"

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static void write_all(int fd, const void *data, size_t len)
{
	if (write(fd, data, len) != (ssize_t)len)
		fail("syscall_bench: write to the runner");
}

/* The raw call: a C library could answer getpid from a cache. */
static uint64_t time_getpid(unsigned n)
{
	for (unsigned i = 0; i < n / 10; i++) /* warm, untimed */
		syscall(SYS_getpid);
	uint64_t start = now_ns();
	for (unsigned i = 0; i < n; i++)
		syscall(SYS_getpid);
	return now_ns() - start;
}

/* Only the reads are timed: the pipe is filled with n pages beforehand,
 * which is why it is made large (see main). */
static uint64_t time_read(const int pipe_fd[2], unsigned n)
{
	static char page[SYSCALL_BENCH_READ];

	for (unsigned i = 0; i < n; i++)
		write_all(pipe_fd[1], page, sizeof(page));
	uint64_t start = now_ns();
	for (unsigned i = 0; i < n; i++)
		if (read(pipe_fd[0], page, sizeof(page)) != (ssize_t)sizeof(page))
			fail("syscall_bench: read from the pipe");
	return now_ns() - start;
}

static volatile sig_atomic_t signals_handled;

static void on_signal(int sig)
{
	(void)sig;
	signals_handled++;
}

/* A signal raised and handled: with the policy, through the runtime's
 * entry and restorer (libflexos/signal.c). */
static uint64_t time_signal(unsigned n)
{
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		raise(SIGUSR1);
	return now_ns() - start;
}

/* Installing a handler: the image's sigaction is the runtime's. */
static uint64_t time_sigaction(unsigned n)
{
	struct sigaction act = { .sa_handler = on_signal };
	uint64_t start = now_ns();

	sigemptyset(&act.sa_mask);
	for (unsigned i = 0; i < n; i++)
		if (sigaction(SIGUSR2, &act, NULL) != 0)
			fail("syscall_bench: sigaction");
	return now_ns() - start;
}

/* An rt_sigaction that no wrapper sees (a shared library's, the C
 * library's own): with the policy it traps and is answered. */
static uint64_t time_sigaction_raw(unsigned n)
{
	unsigned long old[4];
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++)
		if (syscall(SYS_rt_sigaction, SIGUSR1, NULL, old, 8) != 0)
			fail("syscall_bench: rt_sigaction");
	return now_ns() - start;
}

/* The C library's posix_spawn, which the image's link wraps (a child in
 * the parent's memory, CLONE_VM|CLONE_VFORK): only the worker without
 * the policy can use it, as the policy kills its child (decision 40). */
int __real_posix_spawn(pid_t *, const char *,
		       const posix_spawn_file_actions_t *,
		       const posix_spawnattr_t *, char *const[], char *const[]);
extern char **environ;

/* Starting a program and waiting for it: with the image's posix_spawn
 * (the runtime's, spawn.c), or the C library's. */
static uint64_t time_spawn(unsigned n, bool libc)
{
	char *argv[] = { "true", NULL };
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++) {
		pid_t child;
		int status;
		int error = (libc ? __real_posix_spawn : posix_spawn)(
			&child, "/bin/true", NULL, NULL, argv, environ);
		if (error != 0) {
			errno = error;
			fail("syscall_bench: posix_spawn of /bin/true");
		}
		if (waitpid(child, &status, 0) != child ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail("syscall_bench: /bin/true");
	}
	return now_ns() - start;
}

/* Seccomp_filters of /proc/self/status: the runner checks that the floor
 * really runs without the policy's filters. */
static int seccomp_filters(void)
{
	FILE *status = fopen("/proc/self/status", "r");
	char line[256];
	int filters = -1;

	if (!status)
		return -1;
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "Seccomp_filters: %d", &filters) == 1)
			break;
	fclose(status);
	return filters;
}

/* One filter that allows every call on the number alone: the kernel
 * caches it for every number (Linux >= 5.11), so what is left is the
 * seccomp path of system-call entry itself. */
static void allow_all_filter(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		fail("syscall_bench: the allow-all filter");
}

int main(int argc, char **argv)
{
	struct syscall_bench_hello hello;
	struct syscall_bench_command command;
	int pipe_fd[2];

	if (argc < 2)
		return 0;
	if (strcmp(argv[1], "worker") != 0 ||
	    (argc > 2 && strcmp(argv[2], "allow-all") != 0) || argc > 3) {
		fprintf(stderr, "usage: %s [worker [allow-all]]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		allow_all_filter();
	if (pipe(pipe_fd) != 0)
		fail("syscall_bench: pipe");
	/* As many pages as a read batch, so that the reads never wait for
	 * a writer; the default 64 KiB holds 16. */
	fcntl(pipe_fd[1], F_SETPIPE_SZ, SYSCALL_BENCH_READ_BATCH *
					       SYSCALL_BENCH_READ);
	hello.seccomp_filters = seccomp_filters();
	hello.max_reads = (unsigned)fcntl(pipe_fd[1], F_GETPIPE_SZ) /
			  SYSCALL_BENCH_READ;
	if (signal(SIGUSR1, on_signal) == SIG_ERR)
		fail("syscall_bench: signal");
	write_all(1, &hello, sizeof(hello));
	while (read(0, &command, sizeof(command)) == (ssize_t)sizeof(command)) {
		uint64_t ns;

		if (command.kind == SYSCALL_BENCH_GETPID)
			ns = time_getpid(command.n);
		else if (command.kind == SYSCALL_BENCH_SIGNAL)
			ns = time_signal(command.n);
		else if (command.kind == SYSCALL_BENCH_SIGACTION)
			ns = time_sigaction(command.n);
		else if (command.kind == SYSCALL_BENCH_SIGACTION_RAW)
			ns = time_sigaction_raw(command.n);
		else if (command.kind == SYSCALL_BENCH_SPAWN ||
			 command.kind == SYSCALL_BENCH_SPAWN_LIBC)
			ns = time_spawn(command.n,
					command.kind == SYSCALL_BENCH_SPAWN_LIBC);
		else if (command.n <= hello.max_reads)
			ns = time_read(pipe_fd, command.n);
		else
			break;
		write_all(1, &ns, sizeof(ns));
	}
	return 0;
}
