/* The life of a thread in the runtime: its compartment, its protection
 * state, its signal stack, the hooks. */
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
	if (flexos__sealed.hooks.thread_create)
		flexos__sealed.hooks.thread_create(compartment, flexos__sealed.hooks.context);
}

void flexos__thread_teardown(void)
{
	struct flexos__thread *self = &flexos__self;

	if (flexos__sealed.hooks.thread_exit)
		flexos__sealed.hooks.thread_exit(self->current, flexos__sealed.hooks.context);
	if (flexos__sealed.backend->thread_end)
		flexos__sealed.backend->thread_end(self->current);
	flexos__stack_slot_release();
	self->started = false;
}
