/* pthread_create and pthread_join.  The image links with
 * --wrap=pthread_create: a new thread starts in its creator's compartment,
 * on its own stack there, with its own protection state and signal stack;
 * with --wrap=pthread_join: a thread that waits for another leaves its
 * compartment while it waits; and with --wrap=pthread_exit: a thread that
 * ends inside a gate can unwind its own frames. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

extern int __real_pthread_join(pthread_t thread, void **retval);
extern void __real_pthread_exit(void *result) __attribute__((noreturn));
extern int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
				 void *(*start)(void *), void *arg);

struct thread_start {
	void *(*start)(void *);
	void *arg;
	unsigned compartment;
	unsigned parks; /* joins parked when it was created */
};

/* How many times a thread parked in pthread_join out of its compartment
 * (join_outside). */
static atomic_uint parks;

/* Learning on emulated keys: the creator is still in the compartment the
 * new thread starts in, which stays open to every thread until it leaves,
 * and a worker that runs before its creator reaches pthread_join has its
 * accesses to that compartment go unrecorded, so what the policy gets
 * depends on the scheduler.  The new thread waits until some thread has
 * parked in pthread_join since it was created (the usual host: start a
 * worker, wait for it), for at most 100 ms (a creator that never joins). */
static void wait_for_creator_to_park(unsigned parks_at_creation)
{
	const struct timespec tick = { .tv_nsec = 200 * 1000 };

	for (int i = 0; i < 500; i++) {
		if (atomic_load(&parks) != parks_at_creation)
			return;
		nanosleep(&tick, NULL);
	}
}

static void teardown_on_exit(void *unused)
{
	(void)unused;
	/* A thread whose start returned into the C library with no
	 * compartment's rights ended in its compartment before (thread.c);
	 * one that called pthread_exit inside one ends here, with its
	 * rights. */
	unsigned here = flexos__accessor_now();

	if (flexos__self.starts_closed && here < flexos__rt.ncompartments)
		flexos__thread_exit_handlers_in(here);
	if (!flexos__pkru_closed())
		flexos__thread_hook_end(flexos__self.current);
	for (unsigned c = 0; flexos__self.exit_open; c++) {
		if (flexos__self.exit_open & 1u << c) {
			flexos__self.exit_open &= ~(1u << c);
			flexos__revoke(c);
		}
	}
	if (flexos__unsafe_stack_end)
		flexos__unsafe_stack_end();
	flexos__thread_teardown();
}

static void *thread_main(void *arg)
{
	struct thread_start start = *(struct thread_start *)arg;
	void *result;

	__libc_free(arg);
	if (flexos__learning && flexos__sealed.backend->revoke)
		wait_for_creator_to_park(start.parks);
	flexos__thread_setup(start.compartment);
	flexos__thread_hook_start(start.compartment);
	pthread_cleanup_push(teardown_on_exit, NULL);
	if (flexos__rt.isolating)
		result = flexos__run_in_compartment(start.compartment,
						    start.start, start.arg);
	else
		result = start.start(start.arg);
	pthread_cleanup_pop(1);
	return result;
}

/* Hardware keys and baremetal: a new thread holds the PKRU of the thread
 * that cloned it, and starts in the C library's code, on a stack of key 0
 * that every compartment can write, reading its start routine from there.
 * So the creator clones it with every compartment closed
 * (flexos__pkru_call_closed), and the new thread enters its compartment
 * through a checked switch (flexos__pkru_thread_enter), where it runs
 * what that compartment asked for in its own memory (struct
 * flexos__thread_boot, in its heap's state page; thread.c): the C
 * library's code of the thread's start and end never holds a
 * compartment's rights, and what a compartment rewrites there runs with
 * none.  What crosses key 0 is which boot to take, a hint. */
#define BOOT_INDEX_BITS 8

/* The new thread, with every compartment closed. */
static void *thread_main_closed(void *boot)
{
	uintptr_t word = (uintptr_t)boot;
	unsigned compartment =
		(unsigned)(word >> BOOT_INDEX_BITS) % FLEXOS_MAX_COMPARTMENTS;
	void *result;

	flexos__self.starts_closed = true;
	flexos__thread_setup(compartment);
	pthread_cleanup_push(teardown_on_exit, NULL);
	result = flexos__pkru_thread_enter(
		compartment, (unsigned)flexos__self.slot,
		(unsigned)(word & ((1u << BOOT_INDEX_BITS) - 1)));
	pthread_cleanup_pop(1);
	return result;
}

struct closed_create {
	pthread_attr_t attr;
	const pthread_attr_t *attrp;
	pthread_t thread;
	int err;
	void *boot;
};

static void *create_closed(void *arg)
{
	struct closed_create *call = arg;

	call->err = __real_pthread_create(&call->thread, call->attrp,
					  thread_main_closed, call->boot);
	return NULL;
}

static int create_with_compartments_closed(pthread_t *thread,
					   const pthread_attr_t *attr,
					   void *(*start)(void *), void *arg)
{
	enum { STACK = 64 * 1024 };
	unsigned compartment = flexos__current();
	struct flexos__heap *heap = flexos__sealed.heaps[compartment];
	char *stack = __libc_malloc(STACK);

	if (!stack)
		return EAGAIN;
	/* The C library reads the attributes and writes the thread's id
	 * with every compartment closed: copies in key 0. */
	struct closed_create *call =
		(struct closed_create *)((uintptr_t)(stack + STACK -
						      sizeof(*call)) &
					 ~(uintptr_t)15);
	unsigned pending;
	unsigned boot = flexos__thread_boot_claim(heap, start, arg, &pending);

	*call = (struct closed_create){
		.boot = (void *)(uintptr_t)(compartment << BOOT_INDEX_BITS |
					    boot),
	};
	if (attr) {
		call->attr = *attr;
		call->attrp = &call->attr;
	}
	flexos__pkru_call_closed(create_closed, call, (char *)call);
	int err = call->err;

	/* The result came back through key 0: a failure whose thread took
	 * its boot all the same was forged. */
	if (err && !flexos__thread_boot_cancel(&heap->boots[boot], pending))
		flexos__die(FLEXOS_EXIT_FAULT,
			    "isolation fault: pthread_create of compartment "
			    "'%s' reported failure (%s), but its thread "
			    "started: the result was rewritten by a "
			    "compartment\nflexos:   backend %s",
			    flexos__rt.compartments[compartment].name,
			    strerror(err), flexos_backend_name());
	if (!err)
		*thread = call->thread;
	__libc_free(stack);
	return err;
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	struct thread_start *boot;
	static atomic_flag warned = ATOMIC_FLAG_INIT;

	if (flexos__learning && !atomic_flag_test_and_set(&warned))
		fprintf(stderr, "flexos: warning: learning mode with several "
			"threads: while one thread steps over an access, the "
			"page is open to all, and their accesses to it are not "
			"recorded (docs/porting.md)\n");

	if (flexos__rt.isolating && flexos__sealed.pkru_gate)
		return create_with_compartments_closed(thread, attr, start,
						       arg);
	boot = __libc_malloc(sizeof(*boot));
	if (!boot)
		return EAGAIN;
	boot->start = start;
	boot->arg = arg;
	boot->compartment = flexos__current();
	boot->parks = atomic_load(&parks);
	int err = __real_pthread_create(thread, attr, thread_main, boot);
	if (err)
		__libc_free(boot);
	return err;
}

/* Emulated keys open a compartment's pages to the whole process while any
 * thread is in it, and a thread blocked in pthread_join is still in it: the
 * thread it waits for then reaches the waiter's compartment unchecked, so a
 * host that waits for its worker lets the worker (and the libraries it
 * calls) read and write the host's memory, and a learning run records
 * none of it (tests/kvstore).  The waiter touches nothing of its
 * compartment until the join returns, so it leaves it: it waits on a stack
 * of the runtime's (its own stack is its compartment's memory), with
 * signals blocked (a handler would run on memory just closed), and comes
 * back before it writes the result. */
struct join {
	pthread_t thread;
	void *result;
	int err;
};

static void *join_outside(void *arg)
{
	struct join *join = arg; /* on the runtime's stack, like this frame */
	unsigned compartment = flexos__current();
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	flexos__revoke(compartment);
	atomic_fetch_add(&parks, 1);
	join->err = __real_pthread_join(join->thread, &join->result);
	flexos__grant(compartment);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return NULL;
}

int __wrap_pthread_join(pthread_t thread, void **retval)
{
	enum { STACK = 64 * 1024 };

	/* Only the emulation opens memory for every thread (its grant and
	 * revoke; hardware keys and proc give each thread its own view). */
	if (!flexos__rt.isolating || !flexos__sealed.backend->revoke)
		return __real_pthread_join(thread, retval);
	char *stack = __libc_malloc(STACK);
	if (!stack)
		return __real_pthread_join(thread, retval);
	struct join *join = (struct join *)(stack + STACK) - 1;
	*join = (struct join){ .thread = thread };
	flexos__call_on_stack(join_outside, join, (char *)join);
	int err = join->err;
	if (!err && retval)
		*retval = join->result;
	__libc_free(stack);
	return err;
}

/* pthread_exit inside a gate unwinds the thread's frames on the stacks of
 * the compartments it called from, which the emulation closed when the
 * thread left them (a thread waiting for it in pthread_join used to keep
 * its own compartment open, which hid this).  The thread opens them until
 * it has ended, as it would reach them by returning through its gates;
 * teardown_on_exit closes them again. */
void __wrap_pthread_exit(void *result)
{
	struct flexos__thread *self = &flexos__self;

	if (flexos__rt.isolating && flexos__sealed.backend->grant) {
		unsigned current = flexos__current();

		for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
			if (c == current || !self->sp[c] ||
			    self->exit_open & 1u << c)
				continue;
			self->exit_open |= 1u << c;
			flexos__grant(c);
		}
	}
	__real_pthread_exit(result);
}
