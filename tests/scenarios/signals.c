/* Signal handlers in a compartment (peer_signals.c): the same visible
 * results on every backend; the attack is in exploit.c. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "peer.h"
#include "signals.h"

extern char **environ;

/* A thread's TLS is key 0: the handler can write it on hardware keys. */
static __thread volatile sig_atomic_t early_handled;

static void on_winch(int sig)
{
	early_handled = sig;
}

/* Before every constructor, the runtime's too: the handler gets the C
 * library's restorer, and the runtime must install it again with its
 * own when the policy starts, or its rt_sigreturn is refused.  SIGWINCH
 * is ignored by default: no other scenario sees it. */
static void install_early(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	signal(SIGWINCH, on_winch);
}
__attribute__((section(".preinit_array"), used)) static void (
	*const preinit)(int, char **, char **) = install_early;

/* A thread that starts a program with its own cancellation pending: the
 * child, which shares the thread's memory and its thread state, must not
 * act on it (it would unwind the thread from the child); the thread is
 * cancelled at its next cancellation point, its cleanup run once. */
static int spawn_error = -1, cleanups;
static pid_t spawned;

static void count_cleanup(void *unused)
{
	(void)unused;
	cleanups++;
}

static void *spawn_cancelled(void *unused)
{
	char *argv[] = { "true", NULL };
	posix_spawn_file_actions_t actions;

	(void)unused;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 98, "/dev/null", O_RDONLY,
					 0);
	posix_spawn_file_actions_addclose(&actions, 98);
	posix_spawn_file_actions_addclose(&actions, 99);
	pthread_cleanup_push(count_cleanup, NULL);
	pthread_cancel(pthread_self());
	spawn_error = posix_spawn(&spawned, "/bin/true", &actions, NULL,
				  argv, environ);
	pthread_testcancel();
	pthread_cleanup_pop(0);
	return NULL;
}

int signals(const char *name)
{
	int got;

	if (!strcmp(name, "signal-handlers")) {
		got = flexos_gate(peer, peer_signal_handlers);
		if (got < 0)
			printf("the peer could not install its handlers: %s\n",
			       strerror(-got));
		else
			printf("handlers ran: %s, interrupted code resumed: "
			       "%s, queries see the program's handlers: %s\n",
			       got & SIGNALS_RAN ? "yes" : "no",
			       got & SIGNALS_RESUMED ? "yes" : "no",
			       got & SIGNALS_QUERIED ? "yes" : "no");
		return 0;
	}
	if (!strcmp(name, "setxid-threads") ||
	    !strcmp(name, "cancel-thread")) {
		got = flexos_gate(peer, peer_library_signals,
				  name[0] == 'c');
		if (got < 0)
			printf("failed: %s\n", strerror(-got));
		else
			printf("%s\n", got == 2 ? "thread cancelled"
				       : got == 1 ? "ids set with two threads"
						  : "thread not cancelled");
		return 0;
	}
	if (!strcmp(name, "early-handler")) {
		early_handled = 0;
		raise(SIGWINCH);
		printf("handler installed before the runtime started ran: "
		       "%s\n", early_handled == SIGWINCH ? "yes" : "no");
		return 0;
	}
	if (!strcmp(name, "exec-shell")) {
		/* A dynamically linked program that sets a handler and
		 * returns from it. */
		pid_t pid = fork();
		int status = -1;

		if (pid == 0) {
			execl("/bin/sh", "sh", "-c",
			      "trap 'echo trapped' USR1; kill -USR1 $$; "
			      "echo sh-ok", (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid)
			printf("shell: %s %d\n",
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status)
						 : WTERMSIG(status));
		return 0;
	}
	if (!strcmp(name, "sent-segv")) {
		/* A SIGSEGV sent, not a fault: the program ends, as it would
		 * without FlexOS, and with no fault report. */
		kill(getpid(), SIGSEGV);
		printf("survived a SIGSEGV sent to the image\n");
		return 0;
	}
	if (!strcmp(name, "spawn-cancel")) {
		pthread_t thread;
		void *result;
		int status = -1;

		if (pthread_create(&thread, NULL, spawn_cancelled, NULL) ||
		    pthread_join(thread, &result))
			return 1;
		if (spawn_error == 0 && waitpid(spawned, &status, 0) < 0)
			return 1;
		printf("spawn with a cancel pending: %s, child %s, cleanup ran "
		       "%d, thread %s\n", strerror(spawn_error),
		       WIFEXITED(status) && !WEXITSTATUS(status) ? "exited 0"
								  : "failed",
		       cleanups,
		       result == PTHREAD_CANCELED ? "cancelled" : "returned");
		return 0;
	}
	if (!strcmp(name, "spawn")) {
		/* Every way to start a program: posix_spawnp; posix_spawn
		 * with file actions (a pipe for stdout, a file opened, a
		 * descriptor closed) and a program that is not there;
		 * system() and its status; popen both ways. */
		char *argv[] = { "sh", "-c", "exit 0", NULL };
		char *shell[] = { "sh", "-c",
				  "echo piped; { true <&8; } 2>/dev/null && "
				  "echo eight-open || echo eight-closed; "
				  "{ true >&9; } 2>/dev/null && "
				  "echo nine-open || echo nine-closed",
				  NULL };
		posix_spawn_file_actions_t actions;
		int out[2], made[2], status = -1;
		char line[128] = "";
		pid_t pid;
		FILE *in, *to;

		got = posix_spawnp(&pid, "sh", NULL, NULL, argv, environ);
		if (got == 0 && waitpid(pid, &status, 0) == pid)
			printf("child exited with %d\n",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		else
			printf("spawn failed: %s\n", strerror(got));
		/* Above the descriptors the shell is told about: 8 is
		 * opened for it, 9 (open here) closed. */
		if (pipe(made) != 0 || dup2(1, 9) != 9)
			return 1;
		out[0] = fcntl(made[0], F_DUPFD, 10);
		out[1] = fcntl(made[1], F_DUPFD, 10);
		close(made[0]);
		close(made[1]);
		posix_spawn_file_actions_init(&actions);
		posix_spawn_file_actions_adddup2(&actions, out[1], 1);
		posix_spawn_file_actions_addclose(&actions, out[0]);
		posix_spawn_file_actions_addopen(&actions, 8, "/dev/null",
						 O_RDONLY, 0);
		posix_spawn_file_actions_addclose(&actions, 9);
		got = posix_spawn(&pid, "/bin/sh", &actions, NULL, shell,
				  environ);
		close(out[1]);
		size_t used = 0;
		ssize_t n;
		while (!got && used < sizeof(line) - 1 &&
		       (n = read(out[0], line + used,
				 sizeof(line) - 1 - used)) > 0)
			used += (size_t)n;
		line[used] = '\0';
		for (char *c = line; *c; c++)
			*c = *c == '\n' ? ' ' : *c;
		close(out[0]);
		if (got == 0)
			waitpid(pid, &status, 0);
		printf("file actions: %s, [%s]\n", got ? strerror(got) : "ok",
		       line);
		got = posix_spawn(&pid, "/no/such/program", NULL, NULL, argv,
				  environ);
		printf("missing program: %s\n", strerror(got));
		posix_spawn_file_actions_destroy(&actions);
		status = system("exit 3");
		printf("system: %d\n", WIFEXITED(status) ? WEXITSTATUS(status)
							: -1);
		in = popen("echo from-popen", "r");
		if (!in || !fgets(line, sizeof(line), in))
			return 1;
		printf("popen read: %s", line);
		printf("pclose: %d\n", pclose(in));
		to = popen("read word; test \"$word\" = to-popen", "w");
		if (!to)
			return 1;
		fputs("to-popen\n", to);
		/* Another popen's shell holds none of this stream's
		 * descriptors (a shell sees single digits only). */
		char probe[128];
		snprintf(probe, sizeof(probe),
			 "{ true >&%d; } 2>/dev/null && echo held || echo free",
			 fileno(to));
		in = fileno(to) <= 9 ? popen(probe, "r") : NULL;
		if (in && fgets(line, sizeof(line), in))
			printf("other stream in a shell: %s", line);
		if (in)
			pclose(in);
		status = pclose(to);
		printf("popen write: %s\n",
		       WIFEXITED(status) && !WEXITSTATUS(status) ? "read"
								  : "lost");
		return 0;
	}
	return -1;
}
