/* proc: one process per compartment, gates as calls over shared memory.
 *
 * At start-up the image forks one process per compartment besides the
 * default one.  Each process then unmaps every other compartment's private
 * memory, so a stray pointer faults instead of reading a stale copy left by
 * fork.  The shared heap and FLEXOS_SHARED data are MAP_SHARED and sit at
 * the same address everywhere.  The default process watches the others:
 * when one dies, the image stops with its status (or, with
 * FLEXOS_PROC_ON_CRASH=error, gates to it fail).  When main exits, every
 * compartment process exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Static data (initialised, zero-filled) and the arena. */
#define MAX_RANGES (FLEXOS__STATIC_RANGES + 1)

struct proc_control *flexos_proc__control;
bool flexos_proc__errors_on_crash;

extern int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
				 void *(*start)(void *), void *arg);

static struct {
	void *start;
	size_t len;
} ranges[FLEXOS_MAX_COMPARTMENTS][MAX_RANGES];
static unsigned nranges[FLEXOS_MAX_COMPARTMENTS];
static _Atomic unsigned monitors_running;
/* The compartment processes, as the default process forked them: in its
 * own memory, for the signals it sends (a pid in the control block, which
 * every compartment writes, would let one aim the default process's
 * SIGKILL at any process of the user). */
static pid_t pids[FLEXOS_MAX_COMPARTMENTS];
/* The default process's own record (flexos_proc__dead). */
static bool in_default_process;
static _Atomic uint32_t dead[FLEXOS_MAX_COMPARTMENTS];
static _Atomic bool ending;

uint32_t flexos_proc__dead(unsigned c)
{
	return in_default_process ? atomic_load(&dead[c])
				  : atomic_load(&flexos_proc__control->dead[c]);
}

bool flexos_proc__ending(void)
{
	return in_default_process ? atomic_load(&ending)
				  : atomic_load(&flexos_proc__control->shutdown);
}

/* The image ends: the default process says so to itself and to the
 * compartment processes. */
static void end_image(void)
{
	atomic_store(&ending, true);
	atomic_store(&flexos_proc__control->shutdown, 1);
}

static int proc_init(unsigned ncompartments,
		     const struct flexos_backend **variant)
{
	const char *mode = getenv("FLEXOS_PROC_ON_CRASH");

	(void)variant;
	if (mode && strcmp(mode, "stop") && strcmp(mode, "error"))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_PROC_ON_CRASH='%s' is not an outcome: use "
			    "stop or error", mode);
	flexos_proc__errors_on_crash = mode && !strcmp(mode, "error");
	flexos_proc__control = mmap(NULL, sizeof(*flexos_proc__control),
				    PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (flexos_proc__control == MAP_FAILED)
		return -errno;
	return flexos_proc__links_map(ncompartments);
}

static int proc_assign(unsigned compartment, void *start, size_t len)
{
	if (nranges[compartment] == MAX_RANGES)
		return FLEXOS_ENOMEM;
	ranges[compartment][nranges[compartment]].start = start;
	ranges[compartment][nranges[compartment]].len = len;
	nranges[compartment]++;
	return 0;
}

/* Static data is part of the executable's private mapping: give a range
 * of it a shared mapping at the same address, with the same contents. */
static int share_range(char *start, size_t len)
{
	if (!len)
		return 0;
	char *copy = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -errno;
	memcpy(copy, start, len);
	if (mmap(start, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -errno;
	memcpy(start, copy, len);
	munmap(copy, len);
	return 0;
}

/* FLEXOS_SHARED data, and the static data of every sandbox (the processes
 * that reach it see its writes; its arena is MAP_SHARED already). */
static int share_static_data(void)
{
	const struct flexos_image_desc *image = flexos__rt.image;
	int err = share_range(image->shared_start,
			      (size_t)(image->shared_end - image->shared_start));

	for (unsigned c = 0; !err && c < flexos__rt.ncompartments; c++) {
		const struct flexos__range *r =
			flexos__rt.compartments[c].static_data;

		if (!flexos__reached_by_others(c))
			continue;
		for (unsigned i = 0; !err && i < FLEXOS__STATIC_RANGES; i++)
			err = share_range(r[i].start,
					  (size_t)(r[i].end - r[i].start));
	}
	return err;
}

/* Drops the private memory of the compartments `keep` does not reach.  The
 * ranges stay reserved (fresh PROT_NONE pages, no data): the allocator of
 * this process must not place anything there, or its addresses would pass
 * for theirs. */
static void unmap_all_but(unsigned keep)
{
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		for (unsigned i = 0;
		     !(flexos__sealed.reach[keep] & 1u << c) && i < nranges[c];
		     i++)
			if (mmap(ranges[c][i].start, ranges[c][i].len,
				 PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
					 MAP_NORESERVE,
				 -1, 0) == MAP_FAILED)
				flexos__die(FLEXOS_EXIT_SETUP,
					    "proc: cannot drop the memory of "
					    "compartment '%s': %s",
					    flexos__rt.compartments[c].name,
					    strerror(errno));
}

static void describe_end(int status, char *out, size_t size, int *code)
{
	if (WIFSIGNALED(status)) {
		*code = 128 + WTERMSIG(status);
		snprintf(out, size, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		*code = WEXITSTATUS(status);
		snprintf(out, size, "exited with status %d", *code);
	}
}

/* The image stops abnormally: in the default process, no compartment
 * process may outlive it, not even as a zombie. */
static void proc_halt(void)
{
	struct proc_control *control = flexos_proc__control;

	if (!control || getpid() != pids[0])
		return;
	end_image();
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++)
		if (!flexos_proc__dead(c))
			kill(pids[c], SIGKILL);
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++)
		if (!flexos_proc__dead(c))
			waitpid(pids[c], NULL, 0);
}

static void stop_image(int code)
{
	proc_halt();
	_exit(code);
}

/* One per compartment process, in the default process. */
static void *monitor(void *arg)
{
	struct proc_control *control = flexos_proc__control;
	unsigned c = (unsigned)(uintptr_t)arg;
	int status, code;
	char how[96];

	while (waitpid(pids[c], &status, 0) < 0 && errno == EINTR)
		;
	describe_end(status, how, sizeof(how), &code);
	atomic_store(&dead[c], (uint32_t)code + 1);
	atomic_store(&control->dead[c], (uint32_t)code + 1);
	if (!flexos_proc__ending()) {
		fflush(stdout);
		fprintf(stderr, "flexos: compartment '%s' (process %d) %s\n",
			flexos__rt.compartments[c].name, pids[c], how);
		if (!flexos_proc__errors_on_crash) {
			/* One compartment cannot end the image alone: its 0
			 * would pass an aborted call for success. */
			code = code ? code : 1;
			fprintf(stderr, "flexos: stopping the image (exit "
				"status %d)\n", code);
			end_image();
			stop_image(code);
		}
		flexos_proc__wake_all();
	}
	atomic_fetch_sub(&monitors_running, 1);
	return NULL;
}

/* main returned or exit was called: every compartment process exits too;
 * those that do not within a second are killed.  One that ended with a
 * failure of its own meanwhile (a fault report takes time) ends the image
 * with its status, as it would have a moment earlier: an image whose
 * compartment faulted never exits 0. */
static void shut_down(void)
{
	struct proc_control *control = flexos_proc__control;
	struct timespec tick = { 0, 1000000 };
	bool was_alive[FLEXOS_MAX_COMPARTMENTS];

	for (unsigned c = 1; c < flexos__rt.ncompartments; c++)
		was_alive[c] = !flexos_proc__dead(c);
	end_image();
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++) {
		atomic_fetch_add(&control->doorbell[c], 1);
		flexos_proc__futex_wake(&control->doorbell[c]);
	}
	for (int i = 0; i < 1000 && atomic_load(&monitors_running); i++)
		nanosleep(&tick, NULL);
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++) {
		uint32_t status = flexos_proc__dead(c);
		if (was_alive[c] && status > 1) { /* status + 1, not 0 */
			fflush(NULL);
			fprintf(stderr, "flexos: compartment '%s' (process %d) "
				"ended with status %u as the image ended\n"
				"flexos: stopping the image (exit status %u)\n",
				flexos__rt.compartments[c].name,
				pids[c], status - 1, status - 1);
			stop_image((int)status - 1);
		}
	}
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++)
		if (!flexos_proc__dead(c))
			kill(pids[c], SIGKILL);
	for (int i = 0; i < 1000 && atomic_load(&monitors_running); i++)
		nanosleep(&tick, NULL);
}

static __attribute__((noreturn)) void become(unsigned c, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	in_default_process = false;
	flexos__self.current = c;
	/* The main thread's slot is the parent's: this process's threads
	 * take their own. */
	flexos__stack_slot_release();
	unmap_all_but(c);
	flexos_proc__links_keep(c);
	flexos_proc__load_entries();
	if (flexos_proc__strict)
		flexos_proc__sandbox_network();
	flexos__syscall_policy_install();
	if (flexos_proc__strict)
		flexos_proc__sandbox_files();
	flexos_proc__dispatch();
}

static int proc_start(void)
{
	pid_t parent = getpid();
	int err = share_static_data();

	if (err < 0)
		return err;
	flexos__syscall_policy_wanted(); /* says "off" once, not per process */
	flexos_proc__sandbox_choose();
	fflush(NULL); /* or buffered output would be written once per process */
	pids[0] = parent;
	in_default_process = true;
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++) {
		pid_t pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			become(c, parent);
		pids[c] = pid;
	}
	unmap_all_but(0);
	flexos_proc__links_keep(0);
	flexos_proc__load_entries();
	flexos__syscall_policy_install();
	for (unsigned c = 1; c < flexos__rt.ncompartments; c++) {
		pthread_t thread;
		atomic_fetch_add(&monitors_running, 1);
		if (__real_pthread_create(&thread, NULL, monitor,
					  (void *)(uintptr_t)c) != 0)
			return FLEXOS_ENOMEM;
		pthread_detach(thread);
	}
	atexit(shut_down);
	return 0;
}

const struct flexos_backend flexos_backend_proc = {
	.name = "proc",
	.flags = FLEXOS_BACKEND_PRIVATE_MEMORY,
	.init = proc_init,
	.assign = proc_assign,
	.start = proc_start,
	.call = flexos_proc__call,
	.thread_end = flexos_proc__thread_end,
	.halt = proc_halt,
};
