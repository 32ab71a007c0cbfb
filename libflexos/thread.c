/* The life of a thread in the runtime: its compartment, its protection
 * state, its signal stack, the hooks; on hardware keys and baremetal,
 * what it runs in the compartment it enters with no rights of its
 * own. */
#include <sched.h>

#include "internal.h"

void flexos__thread_setup(unsigned compartment)
{
	struct flexos__thread *self = &flexos__self;

	self->current = compartment;
	self->start = compartment;
	self->started = true;
	if (flexos__rt.isolating)
		flexos__stack_slot_take();
	if (flexos__sealed.backend->thread_start)
		flexos__sealed.backend->thread_start(compartment);
	flexos__fault_thread_init();
}

/* The hooks of a thread's start and end, called where it runs in its
 * compartment, with that compartment's rights: a thread_create hook
 * that counts in its own memory must reach it.  (A thread the runtime
 * started on hardware keys, whose end runs with no compartment's rights,
 * calls the end's when its start routine returns.) */
void flexos__thread_hook_start(unsigned compartment)
{
	if (flexos__sealed.hooks.thread_create)
		flexos__sealed.hooks.thread_create(compartment,
						   flexos__sealed.hooks.context);
}

void flexos__thread_hook_end(unsigned compartment)
{
	if (flexos__sealed.hooks.thread_exit)
		flexos__sealed.hooks.thread_exit(compartment,
						 flexos__sealed.hooks.context);
}

void flexos__thread_teardown(void)
{
	struct flexos__thread *self = &flexos__self;

	if (flexos__sealed.backend->thread_end)
		flexos__sealed.backend->thread_end(self->current);
	flexos__stack_slot_release();
	self->started = false;
}

/* Threads created on hardware keys and baremetal (pthread.c): what one
 * runs, in the memory of the compartment it starts in.  A boot's state
 * is FREE, FILLING or PENDING in its low bits, and a count of its uses
 * above them, so that a creator whose pthread_create failed (as the key
 * 0 copy of its result says) takes back only its own boot, not a later
 * creation's. */
enum { BOOT_FREE, BOOT_FILLING, BOOT_PENDING, BOOT_STATES = 4 };

unsigned flexos__thread_boot_claim(struct flexos__heap *heap,
				   void *(*start)(void *), void *arg,
				   unsigned *pending)
{
	for (;;) {
		for (unsigned i = 0; i < FLEXOS__STACK_SLOTS; i++) {
			struct flexos__thread_boot *boot = &heap->boots[i];
			unsigned state = atomic_load(&boot->state);

			if (state % BOOT_STATES != BOOT_FREE ||
			    !atomic_compare_exchange_strong(
				    &boot->state, &state,
				    state - BOOT_FREE + BOOT_FILLING))
				continue;
			boot->start = start;
			boot->arg = arg;
			*pending = state - BOOT_FREE + BOOT_PENDING;
			atomic_store(&boot->state, *pending);
			return i;
		}
		/* As many threads created as a process can have, none of
		 * them started yet: they will. */
		sched_yield();
	}
}

bool flexos__thread_boot_cancel(struct flexos__thread_boot *boot,
				unsigned pending)
{
	return atomic_compare_exchange_strong(&boot->state, &pending,
					      pending - BOOT_PENDING +
						      BOOT_STATES + BOOT_FREE);
}

void *flexos__thread_begin(unsigned compartment, unsigned boot)
{
	struct flexos__thread_boot *b =
		&flexos__sealed.heaps[compartment]
			 ->boots[boot % FLEXOS__STACK_SLOTS];
	unsigned pending = atomic_load(&b->state);
	void *result;

	if (pending % BOOT_STATES != BOOT_PENDING ||
	    !atomic_compare_exchange_strong(&b->state, &pending,
					    pending - BOOT_PENDING +
						    BOOT_FILLING))
		flexos__die(FLEXOS_EXIT_FAULT,
			    "isolation fault: a thread entered compartment "
			    "'%s' to start a thread it did not create (boot %u "
			    "is not pending: forged by a compartment)"
			    "\nflexos:   backend %s",
			    flexos__rt.compartments[compartment].name, boot,
			    flexos_backend_name());
	void *(*start)(void *) = b->start;
	void *arg = b->arg;

	atomic_store(&b->state, pending - BOOT_PENDING + BOOT_STATES + BOOT_FREE);
	flexos__self.left_gates = false;
	flexos__thread_hook_start(compartment);
	result = start(arg);
	/* The C library ends the thread with no compartment's rights: what
	 * this compartment runs at a thread's end runs now. */
	flexos__thread_end_in(compartment);
	flexos__thread_hook_end(compartment);
	flexos__self.left_gates = true;
	return result;
}
