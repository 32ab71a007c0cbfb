/* Threads: the baremetal kernel runs one thread (it has no clone), so
 * pthread_create fails as it would on a system out of threads, and the
 * main thread is the only one ever set up. */
#include <errno.h>
#include <pthread.h>

#include "internal.h"

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	(void)thread;
	(void)attr;
	(void)start;
	(void)arg;
	return EAGAIN;
}
