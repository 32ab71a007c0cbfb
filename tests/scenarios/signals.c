/* Signal handlers in a compartment (peer_signals.c): the same visible
 * results on every backend; the attack is in exploit.c. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
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
	if (!strcmp(name, "spawn")) {
		/* The C library's posix_spawn sets every handler to its
		 * default in the child, which shares the parent's memory
		 * until it runs the program. */
		char *argv[] = { "true", NULL };
		pid_t pid;
		int status = -1;

		got = posix_spawnp(&pid, "true", NULL, NULL, argv, environ);
		if (got == 0 && waitpid(pid, &status, 0) == pid)
			printf("child exited with %d\n",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		else
			printf("spawn failed: %s\n", strerror(got));
		return 0;
	}
	return -1;
}
