/* Per-thread, per-compartment stacks.
 *
 * Each thread takes one stack slot and has that slot in every
 * compartment's arena, so that protecting the arena protects its stacks.
 * The last bytes of a slot hold the slot's record in that compartment
 * (struct flexos__slot_record), which gates keep. */
#include "internal.h"
#include "pkru.h"

void flexos__stack_slot_take(void)
{
	uint64_t slots = atomic_load(&flexos__rt.thread_slots);

	for (;;) {
		if (slots == UINT64_MAX)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s' has no stack left for another "
				    "thread (%u threads at most; a thread that "
				    "ended inside a gate keeps its stacks)",
				    flexos__rt.image->name,
				    FLEXOS__STACK_SLOTS);
		int slot = __builtin_ctzll(~slots);
		if (atomic_compare_exchange_weak(&flexos__rt.thread_slots,
						 &slots,
						 slots | (1ull << slot))) {
			flexos__self.slot = slot;
			flexos__self.has_slot = true;
			flexos__self.left_gates = true;
			return;
		}
	}
}

void flexos__stack_slot_release(void)
{
	struct flexos__thread *self = &flexos__self;

	if (!self->has_slot)
		return;
	self->has_slot = false;
	/* Ended in its first activation, where it started, with no frame
	 * waiting there: no gate of it is open. */
	if (!self->left_gates && flexos__rt.isolating &&
	    flexos__current() == self->start) {
		struct flexos__slot_record *record =
			flexos__slot_record(self->start);

		if (!record->top) {
			record->busy = 0;
			self->left_gates = true;
		}
	}
	/* A thread that ended inside a gate (pthread_exit in a callee) left
	 * records saying its compartments run or wait on this slot, in
	 * memory the runtime may not reach now: the slot is not reused. */
	if (!self->left_gates)
		return;
	atomic_fetch_and(&flexos__rt.thread_slots, ~(1ull << self->slot));
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		self->sp[c] = NULL;
}

static char *slot_end(unsigned compartment)
{
	/* The index is in thread-local storage, which every compartment
	 * writes: whatever it says, the record found stays on a slot. */
	unsigned slot = (unsigned)flexos__self.slot % FLEXOS__STACK_SLOTS;

	return (char *)flexos__sealed.stacks[compartment] +
	       (size_t)(slot + 1) * FLEXOS__STACK_SIZE;
}

char *flexos__slot_top(unsigned compartment)
{
	return slot_end(compartment) - FLEXOS__STACK_SLACK;
}

struct flexos__slot_record *flexos__slot_record(unsigned compartment)
{
	return (struct flexos__slot_record *)(slot_end(compartment) -
					      FLEXOS__SLOT_RECORD);
}

bool flexos__on_slot(unsigned compartment, uintptr_t address)
{
	uintptr_t end = (uintptr_t)slot_end(compartment);

	return address < end - FLEXOS__STACK_SLACK &&
	       address >= end - FLEXOS__STACK_SIZE;
}

struct flexos__setjmp_point *flexos__setjmp_points(unsigned compartment)
{
	return (struct flexos__setjmp_point *)flexos__slot_record(
		       compartment) - FLEXOS__SETJMP_POINTS;
}

char *flexos__activation_base(unsigned compartment)
{
	struct flexos__slot_record *record = flexos__slot_record(compartment);

	return record->top ? record->top : flexos__slot_top(compartment);
}

void *flexos__run_in_compartment(unsigned compartment, void *(*fn)(void *),
				 void *arg)
{
	struct flexos__slot_record *record = flexos__slot_record(compartment);
	char *base = flexos__slot_top(compartment);
	void *result;

	record->busy = 1;
	flexos__self.left_gates = false;
	/* The thread's first activation: no gate entered it. */
	*(uintptr_t *)(base - FLEXOS__ACTIVATION_LINK) = 0;
	result = flexos__call_on_stack(fn, arg,
				       base - FLEXOS__ACTIVATION_LINK);
	flexos__self.left_gates = true;
	record->busy = 0;
	return result;
}

unsigned flexos__current(void)
{
	if (flexos__sealed.pkru_gate)
		return flexos__compartment_of_pkru(flexos__rdpkru());
	return flexos__self.current;
}
