/* pthread_create.  The image links with --wrap=pthread_create: a new thread
 * starts in its creator's compartment, on its own stack there, with its own
 * protection state and signal stack. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

extern int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
				 void *(*start)(void *), void *arg);

struct thread_start {
	void *(*start)(void *);
	void *arg;
	unsigned compartment;
};

static void teardown_on_exit(void *unused)
{
	(void)unused;
	if (flexos__unsafe_stack_end)
		flexos__unsafe_stack_end();
	flexos__thread_teardown();
}

static void *thread_main(void *arg)
{
	struct thread_start start = *(struct thread_start *)arg;
	void *result;

	__libc_free(arg);
	flexos__thread_setup(start.compartment);
	pthread_cleanup_push(teardown_on_exit, NULL);
	if (flexos__rt.isolating)
		result = flexos__run_in_compartment(start.compartment,
						    start.start, start.arg);
	else
		result = start.start(start.arg);
	pthread_cleanup_pop(1);
	return result;
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	struct thread_start *boot = __libc_malloc(sizeof(*boot));
	static atomic_flag warned = ATOMIC_FLAG_INIT;

	if (flexos__learning && !atomic_flag_test_and_set(&warned))
		fprintf(stderr, "flexos: warning: learning mode with several "
			"threads: while one thread steps over an access, the "
			"page is open to all, and their accesses to it are not "
			"recorded (docs/porting.md)\n");

	if (!boot)
		return EAGAIN;
	boot->start = start;
	boot->arg = arg;
	boot->compartment = flexos__current();
	int err = __real_pthread_create(thread, attr, thread_main, boot);
	if (err)
		__libc_free(boot);
	return err;
}
