/* Signal handlers go through the runtime once the system-call policy is
 * installed (mpk, proc).  A handler's frame is loaded back by
 * rt_sigreturn, which restores every register and, on hardware keys, PKRU
 * from memory the compartment can write; so the policy lets rt_sigreturn
 * through only from the runtime's restorer (flexos__sigreturn,
 * arch/x86_64/runtime_syscall.S), and the runtime installs every handler:
 *
 * - the image links sigaction, signal and their relatives to the wrappers
 *   below (FLEXOS_LINK_WRAPPED): they run with the caller's rights, so
 *   they can read its struct sigaction wherever it lies;
 * - any other rt_sigaction (shared libraries, the C library's own for
 *   SIGCANCEL and SIGSETXID, a raw system call) traps, and the SIGSYS
 *   handler sends the thread to arch/x86_64/sigaction_redirect.S, which
 *   answers it with the caller's rights (flexos__sigaction_answer);
 * - handlers that exist when the policy starts are installed again the
 *   same way (flexos__signals_take_over).
 *
 * A handler the program installs runs from flexos__signal_entry, which
 * checks, when it returns, that the frame still restores the PKRU that
 * the signal interrupted: a handler that opens keys by rewriting its
 * frame stops the image.  The runtime's own handlers (SIGSEGV, SIGSYS,
 * and SIGILL on hardware keys) get the restorer alone, and no compartment
 * can replace them. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#define NSIGNALS 65 /* 1..64 */

/* The kernel's struct sigaction on x86-64. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

extern char flexos__sigreturn[];

/* What the program installed, by signal: what a query answers, what the
 * entry calls.  Every compartment can write it on mpk, as it can install
 * a handler: it chooses nothing it could not choose by installing one. */
static struct kernel_sigaction installed[NSIGNALS];
static bool mediated;

static bool runtime_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGSYS ||
	       (sig == SIGILL && flexos__sealed.pkru_gate);
}

static bool is_function(const void *handler)
{
	return handler != (void *)SIG_DFL && handler != (void *)SIG_IGN;
}

static void flexos__signal_entry(int sig, siginfo_t *info, void *context_)
{
	ucontext_t *context = context_;
	struct kernel_sigaction action = installed[sig];
	uint32_t before = 0, after = 0;
	bool had = flexos__context_pkru(context, &before);

	if (!is_function(action.handler))
		return; /* replaced while the signal was on its way */
	if (action.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))action.handler)(
			sig, info, context);
	else
		((void (*)(int))action.handler)(sig);
	if (had && (!flexos__context_pkru(context, &after) || after != before))
		flexos__die(FLEXOS_EXIT_FAULT,
			    "isolation fault: the handler of signal %d (%s) "
			    "rewrote the PKRU its frame restores (0x%x, the "
			    "signal interrupted 0x%x): it would have returned "
			    "with other rights\nflexos:   backend %s",
			    sig, strsignal(sig), after, before,
			    flexos_backend_name());
}

static long kernel_sigaction(int sig, const struct kernel_sigaction *act,
			     struct kernel_sigaction *old)
{
	return flexos__runtime_syscall4(SYS_rt_sigaction, sig, (long)act,
					(long)old, 8);
}

void flexos__signal_default(int sig)
{
	struct kernel_sigaction dfl = { .handler = SIG_DFL };

	kernel_sigaction(sig, &dfl, NULL);
}

/* Installs `act` for `sig` as the runtime does; `old`: the program's
 * view of what was there.  -errno on failure. */
static long install(int sig, const struct kernel_sigaction *act,
		    struct kernel_sigaction *old)
{
	struct kernel_sigaction mine, now, previous;
	long err;

	if (sig < 1 || sig >= NSIGNALS)
		return -EINVAL;
	previous = installed[sig];
	if (act) {
		mine = *act;
		mine.flags |= SA_RESTORER;
		mine.restorer = flexos__sigreturn;
		if (is_function(act->handler)) {
			mine.handler = (void *)flexos__signal_entry;
			mine.flags |= SA_SIGINFO;
			/* The kernel runs handlers with key 0 alone on
			 * hardware keys: on the interrupted compartment's
			 * stack the entry could not even push. */
			if (flexos__sealed.pkru_gate)
				mine.flags |= SA_ONSTACK;
			/* Before the kernel calls the entry for it: a
			 * signal in between finds the new handler. */
			installed[sig] = *act;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		}
	}
	err = kernel_sigaction(sig, act ? &mine : NULL, &now);
	if (err < 0 || !old)
		return err;
	*old = now.handler == (void *)flexos__signal_entry ? previous : now;
	return err;
}

long flexos__sigaction_answer(int sig, const void *act, void *old,
			      unsigned long size)
{
	const struct kernel_sigaction *new = act;

	if (size != 8)
		return -EINVAL;
	if (flexos__sigaction_refused(sig, new != NULL))
		return -EPERM;
	return install(sig, new, old);
}

bool flexos__sigaction_refused(int sig, bool replacing)
{
	return replacing && runtime_signal(sig);
}

/* Installs again, the runtime's way, every handler that exists when the
 * policy starts: the runtime's own and the program's. */
void flexos__signals_take_over(void)
{
	for (int sig = 1; sig < NSIGNALS; sig++) {
		struct kernel_sigaction now;
		if (sig == SIGKILL || sig == SIGSTOP ||
		    kernel_sigaction(sig, NULL, &now) < 0 ||
		    !is_function(now.handler))
			continue;
		if (runtime_signal(sig) ||
		    now.handler == (void *)flexos__signal_entry) {
			now.flags |= SA_RESTORER;
			now.restorer = flexos__sigreturn;
			if (kernel_sigaction(sig, &now, NULL) < 0)
				flexos__die(FLEXOS_EXIT_SETUP, "cannot install "
					    "the handler of signal %d again",
					    sig);
			continue;
		}
		if (install(sig, &now, NULL) < 0)
			flexos__die(FLEXOS_EXIT_SETUP, "cannot install the "
				    "handler of signal %d again", sig);
	}
	mediated = true;
}

/* --- the image's calls, with the caller's rights (--wrap) --- */

int __real_sigaction(int, const struct sigaction *, struct sigaction *);
__sighandler_t __real_signal(int, __sighandler_t);
__sighandler_t __real___sysv_signal(int, __sighandler_t);
__sighandler_t __real_sigset(int, __sighandler_t);

int __wrap_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	struct kernel_sigaction new, was;
	long err;

	if (!mediated)
		return __real_sigaction(sig, act, old);
	if (act) {
		new = (struct kernel_sigaction){
			.handler = (void *)act->sa_handler,
			.flags = (unsigned long)(unsigned)act->sa_flags,
		};
		memcpy(&new.mask, &act->sa_mask, sizeof(new.mask));
	}
	/* A compartment that replaces the runtime's handler meets the
	 * policy's report: the system call goes out as asked. */
	err = flexos__sigaction_refused(sig, act != NULL)
		      ? kernel_sigaction(sig, &new, &was)
		      : install(sig, act ? &new : NULL, &was);
	if (err < 0) {
		errno = (int)-err;
		return -1;
	}
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = (__sighandler_t)was.handler;
		old->sa_flags = (int)was.flags;
		old->sa_restorer = (void (*)(void))was.restorer;
		memcpy(&old->sa_mask, &was.mask, sizeof(was.mask));
	}
	return 0;
}

/* signal() with the C library's flags: BSD's (restart, no reset) or
 * System V's (reset, no mask, no restart). */
static __sighandler_t via_sigaction(int sig, __sighandler_t handler,
				    int flags)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = flags };
	struct sigaction old;

	if (handler == SIG_ERR || sig < 1 || sig >= NSIGNALS) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	if (!(flags & SA_NODEFER))
		sigaddset(&act.sa_mask, sig);
	if (__wrap_sigaction(sig, &act, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

__sighandler_t __wrap_signal(int sig, __sighandler_t handler)
{
	if (!mediated)
		return __real_signal(sig, handler);
	return via_sigaction(sig, handler, SA_RESTART);
}

__sighandler_t __wrap_bsd_signal(int sig, __sighandler_t handler)
{
	return __wrap_signal(sig, handler);
}

__sighandler_t __wrap_ssignal(int sig, __sighandler_t handler)
{
	return __wrap_signal(sig, handler);
}

__sighandler_t __wrap___sysv_signal(int sig, __sighandler_t handler)
{
	if (!mediated)
		return __real___sysv_signal(sig, handler);
	return via_sigaction(sig, handler, SA_RESETHAND | SA_NODEFER);
}

__sighandler_t __wrap_sysv_signal(int sig, __sighandler_t handler)
{
	return __wrap___sysv_signal(sig, handler);
}

/* System V's sigset: SIG_HOLD blocks the signal; any other disposition
 * is installed and unblocks it.  Returns SIG_HOLD when it was blocked. */
__sighandler_t __wrap_sigset(int sig, __sighandler_t handler)
{
	sigset_t one, was;
	struct sigaction act = { .sa_handler = handler }, old;

	if (!mediated)
		return __real_sigset(sig, handler);
	if (sig < 1 || sig >= NSIGNALS || handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (handler == SIG_HOLD) {
		if (sigprocmask(SIG_BLOCK, &one, &was) != 0 ||
		    __wrap_sigaction(sig, NULL, &old) != 0)
			return SIG_ERR;
		return sigismember(&was, sig) ? SIG_HOLD : old.sa_handler;
	}
	sigemptyset(&act.sa_mask);
	if (__wrap_sigaction(sig, &act, &old) != 0 ||
	    sigprocmask(SIG_UNBLOCK, &one, &was) != 0)
		return SIG_ERR;
	return sigismember(&was, sig) ? SIG_HOLD : old.sa_handler;
}
