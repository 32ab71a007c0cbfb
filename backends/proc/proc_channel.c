/* Passing the turn of a channel between processes: spin briefly (a reply
 * from a busy peer on another core takes well under a microsecond), then
 * sleep on a futex in the shared mapping (a wake-up of an idle CPU costs
 * tens of microseconds, see DESIGN's measurements).
 *
 * Spinning pays only while the peer runs on another core.  When the cores
 * are taken by other work, the peer waits for the very time slice the
 * spinner burns, so each thread adapts its spin, as glibc's adaptive
 * mutexes do: a spin that ends in sleep halves the next one, a spin that
 * finds the turn doubles it again. */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

#define SPINS 20000
#define MIN_SPINS 64

static __thread int spins = SPINS;

void flexos_proc__futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
	syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

void flexos_proc__futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void flexos_proc__post(struct proc_channel *ch, unsigned to)
{
	unsigned me = flexos__self.current;

	/* The turn taken in wait is given up here, next to the store that
	 * passes it on.  Only `me` waits on its mailbox's turn,
	 * and every wait that succeeds is followed by a post, a return to
	 * the program (which posts before it waits again), or the end of a
	 * server (which clears it). */
	if (me != to)
		atomic_store_explicit(&ch->box[me].turn, 0,
				      memory_order_relaxed);
	atomic_store(&ch->box[to].turn, 1);
	if (atomic_load(&ch->asleep[to]))
		flexos_proc__futex_wake(&ch->box[to].turn);
}

static bool peer_dead(unsigned peer)
{
	return flexos_proc__errors_on_crash &&
	       atomic_load(&flexos_proc__control->dead[peer]);
}

bool flexos_proc__wait(struct proc_channel *ch, unsigned me, unsigned peer)
{
	for (int i = 0; i < spins; i++) {
		if (atomic_load_explicit(&ch->box[me].turn,
					 memory_order_acquire)) {
			spins = spins * 2 < SPINS ? spins * 2 : SPINS;
			goto mine;
		}
		__builtin_ia32_pause();
	}
	spins = spins / 2 > MIN_SPINS ? spins / 2 : MIN_SPINS;
	atomic_store(&ch->asleep[me], 1);
	while (!atomic_load(&ch->box[me].turn)) {
		if (peer_dead(peer)) {
			atomic_store(&ch->asleep[me], 0);
			return false;
		}
		flexos_proc__futex_wait(&ch->box[me].turn, 0);
	}
	atomic_store(&ch->asleep[me], 0);
mine:
	return true;
}

/* A compartment died: every waiter re-checks whom it waits for. */
void flexos_proc__wake_all(void)
{
	struct proc_control *control = flexos_proc__control;

	for (unsigned k = 0; k < PROC_CHANNELS; k++)
		for (unsigned c = 0; c < FLEXOS_MAX_COMPARTMENTS; c++)
			if (atomic_load(&control->channels[k].asleep[c]))
				flexos_proc__futex_wake(
					&control->channels[k].box[c].turn);
}
