/* Per-thread, per-compartment stacks.
 *
 * A thread gets a stack in a compartment's arena the first time it enters
 * that compartment, and gives it back when it ends.  Stacks live in the
 * arena so that protecting the arena protects them. */
#include "internal.h"

static int take_slot(struct flexos__compartment *comp)
{
	uint64_t slots = atomic_load(&comp->stack_slots);

	for (;;) {
		if (slots == UINT64_MAX)
			return -1;
		int slot = __builtin_ctzll(~slots);
		if (atomic_compare_exchange_weak(&comp->stack_slots, &slots,
						 slots | (1ull << slot)))
			return slot;
	}
}

char *flexos__stack_top(unsigned compartment)
{
	struct flexos__thread *self = &flexos__self;

	if (self->sp[compartment])
		return self->sp[compartment];

	struct flexos__compartment *comp = &flexos__rt.compartments[compartment];
	int slot = take_slot(comp);
	if (slot < 0)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "compartment '%s' has no stack left for another "
			    "thread (%u threads at most)",
			    comp->name, FLEXOS__STACK_SLOTS);
	/* A sharing policy may put every stack in shared memory: variables
	 * on the stack then cross gates like shared data. */
	char *stacks = flexos__rt.shared_stacks
			       ? flexos__rt.shared_stacks +
					 (size_t)compartment *
						 FLEXOS__STACK_SLOTS *
						 FLEXOS__STACK_SIZE
			       : comp->arena + FLEXOS__HEAP_SIZE;
	self->stack_slot[compartment] = (signed char)(slot + 1);
	self->sp[compartment] = stacks +
				(size_t)(slot + 1) * FLEXOS__STACK_SIZE -
				FLEXOS__STACK_SLACK;
	return self->sp[compartment];
}

void flexos__stacks_release(void)
{
	struct flexos__thread *self = &flexos__self;

	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		if (!self->stack_slot[c])
			continue;
		atomic_fetch_and(&flexos__rt.compartments[c].stack_slots,
				 ~(1ull << (self->stack_slot[c] - 1)));
		self->stack_slot[c] = 0;
		self->sp[c] = NULL;
	}
}
