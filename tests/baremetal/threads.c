/* Threads on the baremetal kernel, what the scenarios do not reach: a
 * thread that never enters the kernel is preempted, sleepers let the
 * others run, the thread table has a bound, and threads that wait for each
 * other stop the machine instead of hanging it.
 * Usage: threads <preempt|sleep|table|deadlock>. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static atomic_bool started;

static void *report_start(void *arg)
{
	atomic_store(&started, true);
	return arg;
}

/* main spins without a system call that could block or yield: only the
 * tick can let the new thread run. */
static int preempt(void)
{
	pthread_t t;
	double deadline = now() + 10;

	pthread_create(&t, NULL, report_start, NULL);
	while (!atomic_load(&started) && now() < deadline)
		;
	bool preempted = atomic_load(&started);
	pthread_join(t, NULL);
	printf("%s\n", preempted ? "preempted" : "never preempted");
	return 0;
}

static void *nap(void *arg)
{
	nanosleep(&(struct timespec){ 0, 500000000 }, NULL);
	return arg;
}

/* Four threads sleep half a second each, at the same time. */
static int sleep_together(void)
{
	pthread_t t[4];
	double start = now();

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, nap, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	double elapsed = now() - start;
	printf("4 sleeps of 0.5 s took %.2f s: %s\n", elapsed,
	       elapsed >= 0.5 && elapsed < 1.5 ? "together" : "not together");
	return 0;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *wait_for_held(void *arg)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return arg;
}

/* Threads that all stay alive until the kernel's table is full. */
static int fill_table(void)
{
	pthread_t t[128];
	unsigned n = 0;
	int err = 0;

	pthread_mutex_lock(&held);
	while (n < 128 && !(err = pthread_create(&t[n], NULL, wait_for_held, NULL)))
		n++;
	pthread_mutex_unlock(&held);
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%u threads besides main, then %s\n", n,
	       err == EAGAIN ? "EAGAIN" : strerror(err));
	return 0;
}

/* main holds the mutex its thread waits for, and waits for the thread. */
static int deadlock(void)
{
	pthread_t t;

	pthread_mutex_lock(&held);
	pthread_create(&t, NULL, wait_for_held, NULL);
	pthread_join(t, NULL);
	return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "preempt"))
		return preempt();
	if (!strcmp(what, "sleep"))
		return sleep_together();
	if (!strcmp(what, "table"))
		return fill_table();
	if (!strcmp(what, "deadlock"))
		return deadlock();
	return 2;
}
