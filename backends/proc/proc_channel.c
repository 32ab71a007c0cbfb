/* Channels: the links two compartments share, and passing the turn of a
 * channel between processes.
 *
 * A link is mapped for every pair of compartments before the compartment
 * processes are forked, one mapping per pair (a link for every channel of
 * every compartment), and each process then unmaps the pairs it is not part of: a
 * third compartment has no memory where the two exchange their calls.
 *
 * Waiting: spin briefly (a reply from a busy peer on another core takes
 * well under a microsecond), then sleep on a futex, the waiter's bell in
 * the control block (a wake-up of an idle CPU costs tens of microseconds,
 * see DESIGN's measurements).  A bell carries no message: ringing it
 * falsely only makes the waiter look at its mailboxes again.
 *
 * Spinning pays only while the peer runs on another core.  When the cores
 * are taken by other work, the peer waits for the very time slice the
 * spinner burns, so each thread adapts its spin, as glibc's adaptive
 * mutexes do: a spin that ends in sleep halves the next one, a spin that
 * finds the turn doubles it again.  And once the cores are busy, a waiter
 * whose peer last ran on its own CPU does not spin at all: the peer can
 * only run there once the waiter sleeps (a wake-up tends to put the woken
 * side on its waker's CPU). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

#define SPINS 20000
#define MIN_SPINS 64

static __thread int spins = SPINS;

/* links[a][b] (a < b): the pair's links.  The addresses stay
 * known in every process; only the pair's two processes have memory
 * there. */
static struct proc_link *links[FLEXOS_MAX_COMPARTMENTS][FLEXOS_MAX_COMPARTMENTS];
static unsigned npeers;

#define PAIR_BYTES (npeers * PROC_CHANNELS * sizeof(struct proc_link))

int flexos_proc__links_map(unsigned ncompartments)
{
	npeers = ncompartments;
	for (unsigned a = 0; a < ncompartments; a++)
		for (unsigned b = a + 1; b < ncompartments; b++) {
			void *pair = mmap(NULL, PAIR_BYTES,
					  PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
			if (pair == MAP_FAILED)
				return -errno;
			links[a][b] = pair;
		}
	return 0;
}

void flexos_proc__links_keep(unsigned compartment)
{
	for (unsigned a = 0; a < npeers; a++)
		for (unsigned b = a + 1; b < npeers; b++)
			if (a != compartment && b != compartment &&
			    munmap(links[a][b], PAIR_BYTES))
				flexos__die(FLEXOS_EXIT_SETUP, "proc: cannot "
					    "drop the channels of '%s' and "
					    "'%s': %s",
					    flexos__rt.compartments[a].name,
					    flexos__rt.compartments[b].name,
					    strerror(errno));
}

struct proc_link *flexos_proc__link(unsigned a, unsigned b, unsigned k)
{
	return a < b ? &links[a][b][k] : &links[b][a][k];
}

struct proc_mailbox *flexos_proc__box(struct proc_link *link, unsigned to,
				      unsigned other)
{
	return &link->box[to > other];
}

void flexos_proc__futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
	syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

void flexos_proc__futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void ring(struct proc_channel *ch, unsigned to)
{
	atomic_fetch_add(&ch->bell[to], 1);
	flexos_proc__futex_wake(&ch->bell[to]);
}

struct proc_mailbox *flexos_proc__outbox(unsigned k, unsigned me,
					 unsigned to)
{
	struct proc_mailbox *box =
		flexos_proc__box(flexos_proc__link(me, to, k), to, me);
	struct timespec tick = { 0, 100 * 1000 };

	/* Never true while every party keeps its turn: `to` took our last
	 * message before it could pass the turn back to us.  A call injected
	 * out of turn can make it true (a callee answers two calls in a row),
	 * and the first answer must reach its reader, not be overwritten. */
	while ((atomic_load_explicit(&box->turn, memory_order_acquire) & 1) &&
	       !flexos_proc__dead(to))
		nanosleep(&tick, NULL);
	return box;
}

void flexos_proc__post(unsigned k, unsigned me, unsigned to, uint32_t number)
{
	struct proc_channel *ch = &flexos_proc__control->channels[k];
	_Atomic int32_t *cpu = &flexos_proc__link(me, to, k)->cpu[me > to];
	int32_t here = sched_getcpu();

	/* Written on a change only, so the line stays in both caches. */
	if (atomic_load_explicit(cpu, memory_order_relaxed) != here)
		atomic_store_explicit(cpu, here, memory_order_relaxed);
	/* Sequentially consistent, as the waiter's store to `asleep` is:
	 * either it sees the message or we see it asleep (a release store
	 * may pass our load of `asleep`, and both would wait). */
	atomic_store(&flexos_proc__outbox(k, me, to)->turn, number);
	if (atomic_load(&ch->asleep[to]))
		ring(ch, to);
}

static bool peer_dead(unsigned peer)
{
	return flexos_proc__errors_on_crash && flexos_proc__dead(peer);
}

/* Whether `peer` last posted to `me` on channel k from the CPU `me` runs
 * on: then it most likely waits to run there, behind us, and a spin would
 * only hold it off.  Asked once a spin has ended in sleep (the cores are
 * busy), which keeps it off the path of an unloaded gate. */
static bool peer_beside(unsigned k, unsigned me, unsigned peer)
{
	return sched_getcpu() ==
	       atomic_load_explicit(&flexos_proc__link(me, peer, k)
					     ->cpu[peer > me],
				    memory_order_relaxed);
}

/* Takes a message waiting for `me` on channel k, if there is one: its
 * sender, or -1.  The number stays, even: the receiver's own record of
 * what it was asked. */
static int take(unsigned k, unsigned me, uint32_t *number)
{
	for (unsigned peer = 0; peer < npeers; peer++) {
		if (peer == me)
			continue;
		_Atomic uint32_t *turn = &flexos_proc__box(
			flexos_proc__link(me, peer, k), me, peer)->turn;
		uint32_t seen = atomic_load_explicit(turn,
						     memory_order_acquire);
		if (seen & 1) {
			atomic_store_explicit(turn, seen & ~1u,
					      memory_order_relaxed);
			*number = seen;
			return (int)peer;
		}
	}
	return -1;
}

int flexos_proc__wait(unsigned k, unsigned me, unsigned peer,
		      uint32_t *number)
{
	struct proc_channel *ch = &flexos_proc__control->channels[k];
	int from;
	bool beside = spins < SPINS && peer_beside(k, me, peer);

	for (int i = 0; i < (beside ? 0 : spins); i++) {
		from = take(k, me, number);
		if (from >= 0) {
			spins = spins * 2 < SPINS ? spins * 2 : SPINS;
			return from;
		}
		__builtin_ia32_pause();
	}
	if (!beside)
		spins = spins / 2 > MIN_SPINS ? spins / 2 : MIN_SPINS;
	atomic_store(&ch->asleep[me], 1);
	for (;;) {
		uint32_t seen = atomic_load(&ch->bell[me]);
		from = take(k, me, number);
		if (from >= 0)
			break;
		if (peer_dead(peer))
			break;
		flexos_proc__futex_wait(&ch->bell[me], seen);
	}
	atomic_store(&ch->asleep[me], 0);
	return from;
}

/* A compartment died: every waiter re-checks whom it waits for. */
void flexos_proc__wake_all(void)
{
	struct proc_control *control = flexos_proc__control;

	for (unsigned k = 0; k < npeers * PROC_CHANNELS; k++)
		for (unsigned c = 0; c < npeers; c++)
			if (atomic_load(&control->channels[k].asleep[c]))
				ring(&control->channels[k], c);
}
