/* Starting programs: posix_spawn, posix_spawnp, system and popen, in place
 * of the C library's (the image's link wraps them), on Linux.
 *
 * The C library starts a program from a child that shares its parent's
 * memory (clone with CLONE_VM|CLONE_VFORK), with every signal blocked, and
 * that child sets each handled signal to its default before execve.  Under
 * the system-call policy an rt_sigaction from the image's code traps
 * (syscall_filter.c), and a trapped call with SIGSYS blocked kills the
 * process: no program ever started.  Here the child is the same kind of
 * child (no copy of the image's page tables: a fork made starting a
 * program 1.31x the C library's, benchmarks.md), made by clone3 with
 * CLONE_CLEAR_SIGHAND, so that the kernel resets every handler in it,
 * the runtime's own included: no handler of the image can run in the
 * child, in its parent's memory.  Its stack, and its copy of the argument
 * vector, come from the caller's heap (memory another compartment could
 * write would let it run code with the caller's rights).  It makes raw
 * system calls where the C library's functions are cancellation points
 * (a pending cancel would unwind the parent's thread from the child) or
 * reach other threads (setuid and setgid signal every thread of the
 * process), and leaves in the plan why execve failed, so that
 * posix_spawn can return that error as the C library's does.
 *
 * A posix_spawn_file_actions_t is opaque: the image's calls that fill one
 * are wrapped too, and their actions kept here, by its address, to replay
 * in the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

#define KERNEL_SIGSET 8 /* the kernel's sigset_t: 64 signals */

/* --- file actions ------------------------------------------------------ */

enum action_kind { OPEN, CLOSE, DUP2, CHDIR, FCHDIR, CLOSEFROM, TCSETPGRP };

struct action {
	enum action_kind kind;
	int fd, other; /* DUP2: the new descriptor; OPEN: the flags */
	mode_t mode;
	char *path; /* OPEN, CHDIR */
};

/* The actions of one posix_spawn_file_actions_t. */
struct actions {
	const posix_spawn_file_actions_t *key;
	struct action *list;
	size_t count;
	struct actions *next;
};

static struct actions *recorded;
static pthread_mutex_t recorded_lock = PTHREAD_MUTEX_INITIALIZER;

/* The record of `key`, with the lock held; NULL if none. */
static struct actions **find_record(const posix_spawn_file_actions_t *key)
{
	struct actions **at = &recorded;

	while (*at && (*at)->key != key)
		at = &(*at)->next;
	return *at ? at : NULL;
}

static void drop_record(const posix_spawn_file_actions_t *key)
{
	struct actions **at = find_record(key);

	if (!at)
		return;
	struct actions *gone = *at;
	*at = gone->next;
	for (size_t i = 0; i < gone->count; i++)
		__libc_free(gone->list[i].path);
	__libc_free(gone->list);
	__libc_free(gone);
}

/* Appends `action` to the record of `key` (made if need be); ENOMEM when
 * it cannot.  `action.path` is copied. */
static int record(const posix_spawn_file_actions_t *key, struct action action)
{
	struct actions **at, *mine;
	int error = ENOMEM;

	pthread_mutex_lock(&recorded_lock);
	at = find_record(key);
	mine = at ? *at : __libc_calloc(1, sizeof(*mine));
	if (!mine)
		goto out;
	if (!at) {
		mine->key = key;
		mine->next = recorded;
		recorded = mine;
	}
	if (action.path) {
		char *path = __libc_malloc(strlen(action.path) + 1);
		if (!path)
			goto out;
		action.path = strcpy(path, action.path);
	}
	struct action *grown = __libc_realloc(
		mine->list, (mine->count + 1) * sizeof(*grown));
	if (!grown) {
		__libc_free(action.path);
		goto out;
	}
	grown[mine->count++] = action;
	mine->list = grown;
	error = 0;
out:
	pthread_mutex_unlock(&recorded_lock);
	return error;
}

/* Each wrapper lets the C library check the arguments and fill its own
 * object first (a caller may still read it, or pass it to a library that
 * is not ours), then keeps the action. */
int __real_posix_spawn_file_actions_init(posix_spawn_file_actions_t *);
int __real_posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *);
int __real_posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *, int,
					    const char *, int, mode_t);
int __real_posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *,
					     int);
int __real_posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *, int,
					    int);
int __real_posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *,
						const char *);
int __real_posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *,
						 int);
int __real_posix_spawn_file_actions_addclosefrom_np(
	posix_spawn_file_actions_t *, int);
int __real_posix_spawn_file_actions_addtcsetpgrp_np(
	posix_spawn_file_actions_t *, int);

int __wrap_posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	pthread_mutex_lock(&recorded_lock);
	drop_record(fa); /* an object initialised again: its old actions */
	pthread_mutex_unlock(&recorded_lock);
	return __real_posix_spawn_file_actions_init(fa);
}

int __wrap_posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	pthread_mutex_lock(&recorded_lock);
	drop_record(fa);
	pthread_mutex_unlock(&recorded_lock);
	return __real_posix_spawn_file_actions_destroy(fa);
}

#define KEEP(call, ...)                                                       \
	do {                                                                  \
		int error_ = (call);                                          \
		return error_ ? error_ : record(fa, (struct action){ __VA_ARGS__ }); \
	} while (0)

int __wrap_posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa,
					    int fd, const char *path,
					    int flags, mode_t mode)
{
	KEEP(__real_posix_spawn_file_actions_addopen(fa, fd, path, flags, mode),
	     OPEN, fd, flags, mode, (char *)path);
}

int __wrap_posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa,
					     int fd)
{
	KEEP(__real_posix_spawn_file_actions_addclose(fa, fd), CLOSE, fd, 0, 0,
	     NULL);
}

int __wrap_posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa,
					    int fd, int newfd)
{
	KEEP(__real_posix_spawn_file_actions_adddup2(fa, fd, newfd), DUP2, fd,
	     newfd, 0, NULL);
}

int __wrap_posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa,
						const char *path)
{
	KEEP(__real_posix_spawn_file_actions_addchdir_np(fa, path), CHDIR, -1,
	     0, 0, (char *)path);
}

int __wrap_posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa,
						 int fd)
{
	KEEP(__real_posix_spawn_file_actions_addfchdir_np(fa, fd), FCHDIR, fd, 0,
	     0, NULL);
}

int __wrap_posix_spawn_file_actions_addclosefrom_np(
	posix_spawn_file_actions_t *fa, int from)
{
	KEEP(__real_posix_spawn_file_actions_addclosefrom_np(fa, from),
	     CLOSEFROM, from, 0, 0, NULL);
}

int __wrap_posix_spawn_file_actions_addtcsetpgrp_np(
	posix_spawn_file_actions_t *fa, int fd)
{
	KEEP(__real_posix_spawn_file_actions_addtcsetpgrp_np(fa, fd), TCSETPGRP,
	     fd, 0, 0, NULL);
}

/* The status of child `pid` once it ended, -1 if it cannot be had. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* --- the child --------------------------------------------------------- */

struct plan {
	const char *file;
	char *const *argv, *const *envp;
	bool search; /* posix_spawnp: file is looked up in PATH */
	const struct action *actions;
	size_t nactions;
	const posix_spawnattr_t *attr;
	sigset_t mask;     /* the program's signal mask */
	sigset_t defaults; /* signals it gets with their default action */
	int error;	   /* the child's, when it could not execve */
};

static int run_action(const struct action *a)
{
	int fd;

	switch (a->kind) {
	case OPEN:
		fd = (int)syscall(SYS_openat, AT_FDCWD, a->path, a->other,
				  a->mode);
		if (fd < 0)
			return -1;
		if (fd != a->fd) {
			if (dup2(fd, a->fd) < 0)
				return -1;
			syscall(SYS_close, fd);
		}
		return 0;
	case CLOSE:
		/* POSIX: closing a descriptor that is not open is no error. */
		return syscall(SYS_close, a->fd) == 0 || errno == EBADF ? 0
									: -1;
	case DUP2:
		/* dup2 onto itself leaves close-on-exec set: clear it. */
		if (a->fd == a->other) {
			int flags = fcntl(a->fd, F_GETFD);
			return flags < 0 ? -1
					 : fcntl(a->fd, F_SETFD,
						 flags & ~FD_CLOEXEC);
		}
		return dup2(a->fd, a->other) < 0 ? -1 : 0;
	case CHDIR:
		return chdir(a->path);
	case FCHDIR:
		return fchdir(a->fd);
	case CLOSEFROM:
		return syscall(SYS_close_range, (unsigned)a->fd, ~0u, 0) == 0 ||
				       errno == ENOSYS
			       ? 0
			       : -1;
	case TCSETPGRP:
		return tcsetpgrp(a->fd, getpgrp());
	}
	errno = EINVAL;
	return -1;
}

/* The attributes the caller set (posix_spawnattr_*). */
static int apply_attributes(const posix_spawnattr_t *attr)
{
	short flags = 0;

	if (!attr)
		return 0;
	posix_spawnattr_getflags(attr, &flags);
	if (flags & POSIX_SPAWN_SETSID && syscall(SYS_setsid) < 0)
		return -1;
	if (flags & POSIX_SPAWN_SETPGROUP) {
		pid_t group = 0;
		posix_spawnattr_getpgroup(attr, &group);
		if (syscall(SYS_setpgid, 0, group) < 0)
			return -1;
	}
	if (flags & POSIX_SPAWN_SETSCHEDULER) {
		int policy = 0;
		struct sched_param param = { 0 };
		posix_spawnattr_getschedpolicy(attr, &policy);
		posix_spawnattr_getschedparam(attr, &param);
		if (syscall(SYS_sched_setscheduler, 0, policy, &param) < 0)
			return -1;
	} else if (flags & POSIX_SPAWN_SETSCHEDPARAM) {
		struct sched_param param = { 0 };
		posix_spawnattr_getschedparam(attr, &param);
		if (syscall(SYS_sched_setparam, 0, &param) < 0)
			return -1;
	}
	if (flags & POSIX_SPAWN_RESETIDS &&
	    (syscall(SYS_setgid, getgid()) < 0 ||
	     syscall(SYS_setuid, getuid()) < 0))
		return -1;
	return 0;
}

/* Runs in the child, in its parent's memory, every signal blocked and
 * every handler reset; returns only when something failed, with errno
 * set. */
static void become(const struct plan *plan)
{
	/* An ignored signal the caller wants back to its default.  The
	 * runtime's own are at their default already (the policy would
	 * refuse them to anybody). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&plan->defaults, sig) && sig != SIGKILL &&
		    sig != SIGSTOP && !flexos__sigaction_refused(sig, true))
			flexos__signal_default(sig);
	if (apply_attributes(plan->attr) < 0)
		return;
	for (size_t i = 0; i < plan->nactions; i++)
		if (run_action(&plan->actions[i]) < 0)
			return;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &plan->mask, NULL,
		    KERNEL_SIGSET) < 0)
		return;
	if (plan->search)
		execvpe(plan->file, plan->argv, plan->envp);
	else
		execve(plan->file, plan->argv, plan->envp);
}

/* The child's stack: the actions' calls and execvpe's buffers (a path,
 * and for a script an argument vector one longer than the program's). */
#define CHILD_STACK (64u << 10)

pid_t flexos__clone_vfork(struct clone_args *args, size_t size,
			  int (*fn)(void *), void *arg); /* clone_vfork.S */

static int child(void *plan_)
{
	struct plan *plan = plan_;

	become(plan);
	plan->error = errno;
	return 127;
}

/* Starts the plan's program; 0 and its pid, or the error posix_spawn
 * returns (the child's own, when execve or an action failed).  The
 * caller waits until the child has called execve or exited
 * (CLONE_VFORK).  The child runs with the caller's rights, so its stack
 * comes from the caller's own heap: in memory every compartment could
 * write, another compartment's thread could rewrite the child's return
 * addresses and run code with the caller's rights. */
static int start(pid_t *pid, struct plan *plan)
{
	uint64_t all = ~(uint64_t)0, caller;
	size_t argc = 0;
	pid_t pid_of_child;
	int error;

	while (plan->argv[argc])
		argc++;
	/* The vector the child reads, counted once: execvpe counts it
	 * again, and sizes a copy on the stack by that count. */
	size_t vector = (argc + 1) * sizeof(char *);
	size_t size = vector + CHILD_STACK + (argc + 2) * sizeof(char *);
	char **argv = malloc(size);
	if (!argv)
		return ENOMEM;
	char *const *given = plan->argv;
	memcpy(argv, given, vector);
	argv[argc] = NULL;
	plan->argv = argv;
	uintptr_t stack = (uintptr_t)argv + vector;
	uintptr_t top = ((uintptr_t)argv + size) & ~(uintptr_t)15;
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND,
		.exit_signal = SIGCHLD,
		.stack = stack,
		.stack_size = top - stack,
	};
	plan->error = 0;
	/* Every signal, the C library's own two as well (pthread_sigmask
	 * leaves them open), until the child's handlers are reset. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &caller,
		KERNEL_SIGSET);
	pid_of_child = flexos__clone_vfork(&args, sizeof(args), child, plan);
	error = pid_of_child < 0 ? -pid_of_child : plan->error;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &caller, NULL,
		KERNEL_SIGSET);
	plan->argv = given;
	free(argv);
	if (pid_of_child > 0 && error)
		reap(pid_of_child);
	else if (pid_of_child > 0 && pid)
		*pid = pid_of_child;
	return error;
}

/* --- posix_spawn, posix_spawnp ------------------------------------------ */

static int spawn(pid_t *pid, const char *file,
		 const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[],
		 char *const envp[], bool search)
{
	struct plan plan = { .file = file, .argv = argv,
			     .envp = envp ? envp : environ, .search = search,
			     .attr = attr };
	short flags = 0;
	struct actions **mine = NULL;
	int error;

	sigemptyset(&plan.defaults);
	pthread_sigmask(SIG_SETMASK, NULL, &plan.mask);
	if (attr) {
		posix_spawnattr_getflags(attr, &flags);
		if (flags & POSIX_SPAWN_SETSIGMASK)
			posix_spawnattr_getsigmask(attr, &plan.mask);
		if (flags & POSIX_SPAWN_SETSIGDEF)
			posix_spawnattr_getsigdefault(attr, &plan.defaults);
	}
	pthread_mutex_lock(&recorded_lock);
	if (fa) {
		mine = find_record(fa);
		if (!mine && fa->__used) {
			pthread_mutex_unlock(&recorded_lock);
			fprintf(stderr, "flexos: posix_spawn: file actions "
				"made by code outside the image cannot be "
				"followed\n");
			return ENOTSUP;
		}
	}
	if (mine) {
		plan.actions = (*mine)->list;
		plan.nactions = (*mine)->count;
	}
	error = start(pid, &plan);
	pthread_mutex_unlock(&recorded_lock);
	return error;
}

int __wrap_posix_spawn(pid_t *pid, const char *path,
		       const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[],
		       char *const envp[])
{
	return spawn(pid, path, fa, attr, argv, envp, false);
}

int __wrap_posix_spawnp(pid_t *pid, const char *file,
			const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[],
			char *const envp[])
{
	return spawn(pid, file, fa, attr, argv, envp, true);
}

/* --- system ------------------------------------------------------------ */

/* The shell, as POSIX has system() run it. */
static int start_shell(pid_t *pid, const char *command,
		       const struct action *actions, size_t nactions,
		       const sigset_t *mask, const sigset_t *defaults)
{
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	struct plan plan = { .file = "/bin/sh", .argv = argv, .envp = environ,
			     .actions = actions, .nactions = nactions,
			     .mask = *mask, .defaults = *defaults };

	return start(pid, &plan);
}

int __wrap_system(const char *command)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigset_t chld, caller, defaults;
	pid_t pid;
	int status = -1, error;

	if (!command)
		return access("/bin/sh", X_OK) == 0;
	/* The caller ignores SIGINT and SIGQUIT and does not see SIGCHLD
	 * while the shell runs; the shell gets the dispositions the caller
	 * had (a handled signal's default, from execve). */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &caller);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	sigemptyset(&defaults);
	if (old_int.sa_handler != SIG_IGN)
		sigaddset(&defaults, SIGINT);
	if (old_quit.sa_handler != SIG_IGN)
		sigaddset(&defaults, SIGQUIT);
	error = start_shell(&pid, command, NULL, 0, &caller, &defaults);
	if (!error)
		status = reap(pid);
	else if (error == ENOENT || error == EACCES)
		status = 127 << 8; /* as if the shell had said so */
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	pthread_sigmask(SIG_SETMASK, &caller, NULL);
	if (error && status == -1)
		errno = error;
	return status;
}

/* --- popen, pclose ----------------------------------------------------- */

struct stream {
	FILE *file;
	pid_t pid;
	struct stream *next;
};

static struct stream *streams;
static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;

FILE *__wrap_popen(const char *command, const char *mode)
{
	bool reading = mode[0] == 'r', cloexec = strchr(mode, 'e') != NULL;
	int ends[2];
	struct stream *stream;
	sigset_t mask, defaults;
	pid_t pid;

	if ((mode[0] != 'r' && mode[0] != 'w') ||
	    strspn(mode + 1, "e") != strlen(mode + 1)) {
		errno = EINVAL;
		return NULL;
	}
	/* Close-on-exec while the shell starts, so that no program started
	 * meanwhile inherits either end. */
	if (pipe2(ends, O_CLOEXEC) < 0)
		return NULL;
	int mine = reading ? ends[0] : ends[1], theirs = reading ? ends[1] : ends[0];
	size_t nactions = 1;
	pthread_mutex_lock(&streams_lock);
	for (stream = streams; stream; stream = stream->next)
		nactions++;
	/* The shell's end as its stdin or stdout; and, as POSIX has it,
	 * none of the other popen streams' descriptors in it. */
	struct action *actions = __libc_malloc(nactions * sizeof(*actions));
	if (actions) {
		actions[0] = (struct action){ DUP2, theirs, reading ? 1 : 0, 0,
					      NULL };
		nactions = 1;
		for (stream = streams; stream; stream = stream->next)
			actions[nactions++] = (struct action){
				CLOSE, fileno(stream->file), 0, 0, NULL
			};
	}
	stream = __libc_malloc(sizeof(*stream));
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	sigemptyset(&defaults);
	int error = stream && actions
			    ? start_shell(&pid, command, actions, nactions,
					  &mask, &defaults)
			    : ENOMEM;
	pthread_mutex_unlock(&streams_lock);
	__libc_free(actions);
	close(theirs);
	if (!error && !cloexec)
		fcntl(mine, F_SETFD, 0);
	FILE *file = error ? NULL : fdopen(mine, reading ? "r" : "w");
	if (!file) {
		int why = error ? error : errno;
		close(mine);
		__libc_free(stream);
		if (!error)
			reap(pid);
		errno = why;
		return NULL;
	}
	*stream = (struct stream){ file, pid, NULL };
	pthread_mutex_lock(&streams_lock);
	stream->next = streams;
	streams = stream;
	pthread_mutex_unlock(&streams_lock);
	return file;
}

int __real_pclose(FILE *file);

int __wrap_pclose(FILE *file)
{
	struct stream **at, *stream = NULL;
	int status;

	pthread_mutex_lock(&streams_lock);
	for (at = &streams; *at; at = &(*at)->next) {
		if ((*at)->file == file) {
			stream = *at;
			*at = stream->next;
			break;
		}
	}
	pthread_mutex_unlock(&streams_lock);
	if (!stream) /* the C library's own popen, from a shared library */
		return __real_pclose(file);
	fclose(file);
	status = reap(stream->pid);
	__libc_free(stream);
	return status;
}
