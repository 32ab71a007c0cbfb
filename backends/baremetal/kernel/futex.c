/* Futexes: what musl's threads wait with (mutexes, joins, condition
 * variables, its internal locks).  One address space, so a futex is its
 * address; the waiters are the threads blocked on it in the thread table,
 * which is small enough to search.  Private and shared futexes are the
 * same thing here. */
#include "kernel.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_PRIVATE_FLAG 128

/* Waits while the word at `address` holds `value`, at most the relative
 * time at `timeout` when there is one. */
static int64_t futex_wait(uint64_t address, uint32_t value, uint64_t timeout)
{
	uint64_t wake_ns = WAKE_NEVER;

	if (timeout) {
		uint64_t ns;
		if (!vm_user_ok(timeout, 16, false))
			return -EFAULT;
		if (!timespec_ns((const int64_t *)timeout, &ns))
			return -EINVAL;
		wake_ns = time_ns() + ns;
	}
	if (!vm_user_ok(address, 4, false))
		return -EFAULT;
	if (*(const volatile uint32_t *)address != value)
		return -EAGAIN;
	current->futex = address;
	sched_block(THREAD_FUTEX, wake_ns);
	return 0;
}

int64_t futex_wake(uint64_t address, uint64_t n)
{
	int64_t woken = 0;

	for (size_t i = 0; i < MAX_THREADS && (uint64_t)woken < n; i++) {
		struct thread *t = &threads[i];
		if (t->state == THREAD_FUTEX && t->futex == address) {
			sched_wake(t, 0);
			woken++;
		}
	}
	return woken;
}

/* Wakes `n` waiters of `address` and moves up to `moved` of the others to
 * `address2` (musl's condition variables hand their waiters to the
 * mutex this way). */
static int64_t futex_requeue(uint64_t address, uint64_t n, uint64_t moved,
			     uint64_t address2)
{
	int64_t woken = futex_wake(address, n);

	for (size_t i = 0; i < MAX_THREADS && moved; i++) {
		struct thread *t = &threads[i];
		if (t->state == THREAD_FUTEX && t->futex == address) {
			t->futex = address2;
			moved--;
		}
	}
	return woken;
}

int64_t futex(uint64_t address, uint64_t op, uint64_t value, uint64_t timeout,
	      uint64_t address2)
{
	if (address % 4)
		return -EINVAL;
	switch (op & ~(uint64_t)FUTEX_PRIVATE_FLAG) {
	case FUTEX_WAIT:
		return futex_wait(address, (uint32_t)value, timeout);
	case FUTEX_WAKE:
		return futex_wake(address, value);
	case FUTEX_REQUEUE:
		/* The count of threads to move travels in the timeout's
		 * register. */
		return futex_requeue(address, value, timeout, address2);
	default:
		return -ENOSYS;
	}
}
