/* The peer's signal handlers: one honest set (the handlers run, return
 * into the code they interrupted, and the program sees its own handlers
 * when it asks), the C library's own handlers behind setuid and
 * pthread_cancel, and one attack (its own rt_sigreturn). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "peer.h"

/* Where the handlers say they ran: on hardware keys a handler runs with
 * key 0 alone and cannot write the peer's private memory; the thread's
 * TLS is key 0 (and shared static data would change the peer's
 * statistics, which tests count). */
static __thread volatile sig_atomic_t handled[2];

static void on_usr1(int sig, siginfo_t *info, void *context)
{
	(void)context;
	handled[0] = info->si_signo == sig ? sig : -1;
}

static void on_usr2(int sig)
{
	handled[1] = sig;
}

/* The kernel's struct sigaction: handler, flags, restorer, mask. */
struct raw_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

int peer_signal_handlers(void)
{
	struct sigaction action = { .sa_sigaction = on_usr1,
				    .sa_flags = SA_SIGINFO }, old;
	struct raw_sigaction raw = { 0 };
	volatile int local = 1234;
	int result = 0;

	sigemptyset(&action.sa_mask);
	if (sigaction(SIGUSR1, &action, NULL) != 0 ||
	    signal(SIGUSR2, on_usr2) == SIG_ERR)
		return -errno;
	raise(SIGUSR1);
	raise(SIGUSR2);
	if (handled[0] == SIGUSR1 && handled[1] == SIGUSR2)
		result |= SIGNALS_RAN;
	if (local == 1234)
		result |= SIGNALS_RESUMED;
	/* What is installed, asked three ways: the program's handlers,
	 * whoever calls them. */
	if (sigaction(SIGUSR1, NULL, &old) == 0 &&
	    old.sa_sigaction == on_usr1 && (old.sa_flags & SA_SIGINFO) &&
	    signal(SIGUSR2, SIG_DFL) == on_usr2 &&
	    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &raw, 8) == 0 &&
	    raw.handler == (void *)on_usr1)
		result |= SIGNALS_QUERIED;
	return result;
}

static void *wait_for_cancel(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}

/* setgid and setuid with a second thread alive (the C library signals it
 * with SIGSETXID to change its ids too), then, when `cancel`, cancels it
 * (SIGCANCEL).  Both handlers are the C library's, installed by it. */
int peer_library_signals(int cancel)
{
	pthread_t thread;
	void *result = NULL;

	if (pthread_create(&thread, NULL, wait_for_cancel, NULL) != 0)
		return -EAGAIN;
	if (setgid(getgid()) != 0 || setuid(getuid()) != 0)
		return -errno;
	if (!cancel)
		return 1;
	if (pthread_cancel(thread) != 0 || pthread_join(thread, &result) != 0)
		return -ESRCH;
	return result == PTHREAD_CANCELED ? 2 : 0;
}

/* The saved PKRU of the interrupted context, in the frame's XSAVE area
 * (CPUID leaf 0xd, sub-leaf 9, says where), set to every key open. */
static void open_every_key(ucontext_t *context)
{
	unsigned char *xsave = (unsigned char *)context->uc_mcontext.fpregs;
	unsigned eax = 0xd, ebx, ecx = 9, edx;

	__asm__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (!xsave || !ebx)
		return; /* no PKRU in the frame */
	*(uint64_t *)(xsave + 512) |= 1u << 9; /* XSTATE_BV: PKRU present */
	*(uint32_t *)(xsave + ebx) = 0;
}

/* Has the kernel load its frame, every key open, with an rt_sigreturn of
 * its own instead of returning through the runtime. */
static void sigreturn_itself(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)info;
	open_every_key(context);
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "movl $15, %%eax\n\t" /* rt_sigreturn */
			 "syscall\n\t"
			 "ud2"
			 :
			 : "r"(context)
			 : "memory");
	__builtin_unreachable();
}

int peer_own_sigreturn(const char *key)
{
	struct sigaction action = { .sa_sigaction = sigreturn_itself,
				    .sa_flags = SA_SIGINFO | SA_ONSTACK };

	sigemptyset(&action.sa_mask);
	if (sigaction(SIGUSR2, &action, NULL) != 0)
		return -errno;
	raise(SIGUSR2);
	printf("the peer's own rt_sigreturn resumed it\n");
	fflush(stdout);
	return key[0];
}
