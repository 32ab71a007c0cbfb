/* Threads: the baremetal kernel runs one thread (it has no clone), so
 * pthread_create fails as it would on a system out of threads, and the
 * main thread is the only one ever set up. */
#include <errno.h>
#include <pthread.h>

#include "internal.h"

void flexos__thread_setup(unsigned compartment)
{
	struct flexos__thread *self = &flexos__self;

	self->current = compartment;
	self->started = true;
	if (flexos__rt.backend->thread_start)
		flexos__rt.backend->thread_start(compartment);
	flexos__fault_thread_init();
	if (flexos__hooks.thread_create)
		flexos__hooks.thread_create(compartment, flexos__hooks.context);
}

void flexos__thread_teardown(void)
{
	flexos__stacks_release();
	flexos__self.started = false;
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	(void)thread;
	(void)attr;
	(void)start;
	(void)arg;
	return EAGAIN;
}
