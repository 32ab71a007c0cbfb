/* The C half of a gate (see arch/x86_64/gate.S for the order of events):
 * every gate of a backend that does not switch with WRPKRU (emulated keys,
 * proc); those that do (pkru_gate.S) never come here.
 *
 * A gate opens the destination before it closes the caller, in both
 * directions, so that the arguments and results can be copied between the
 * two stacks with no third place in between.
 *
 * The way back trusts nothing the callee could have written: the caller's
 * compartment and frame come from the thread's record (flexos__self), the
 * caller's callee-saved registers from its own stack, which the callee
 * cannot reach.  The slot records (struct flexos__slot_record) are kept as
 * pkru_gate.S keeps them. */
#include <string.h>

#include "gate_frame.h"
#include "internal.h"

/* Where each gate's call of an entry returns (GATE_RETURN_ADDRESS); proc's
 * only in an image of the proc backend. */
extern const uintptr_t flexos__gate_returned, flexos__pkru_gate_returned,
	flexos__pkru_gate_stack_args_returned;
extern const uintptr_t flexos__invoke_returned __attribute__((weak));

bool flexos__gate_return(uintptr_t return_address)
{
	return return_address == flexos__gate_returned ||
	       return_address == flexos__pkru_gate_returned ||
	       return_address == flexos__pkru_gate_stack_args_returned ||
	       (&flexos__invoke_returned &&
		return_address == flexos__invoke_returned);
}

/* Runs on the caller's stack.  Returns the destination stack pointer, below
 * which a copy of the stack arguments and of the frame waits; or NULL when
 * the backend ran the call elsewhere and left the results in `frame`. */
char *flexos__gate_enter(struct flexos__gate_frame *frame,
			 const char *stack_args)
{
	struct flexos__thread *self = &flexos__self;
	unsigned src = flexos__current(), dest = (unsigned)frame->dest;

	/* The hardware-key gate has no C path: only a jump gets here. */
	if (flexos__sealed.pkru_gate)
		flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: compartment "
			    "'%s' jumped into the gate's C path, which backend "
			    "%s does not take", flexos__rt.compartments[src].name,
			    flexos_backend_name());
	/* On proc the callee's process checks again: a compartment can
	 * skip this check, not that one. */
	const struct flexos__entry *entry =
		(const struct flexos__entry *)frame->entry;
	if (!(entry->callers >> src & 1))
		flexos__caller_refused(entry, src);
	frame->src = src;
	if (flexos__gate_counting) {
		atomic_fetch_add_explicit(&flexos__gate_crossings[src], 1,
					  memory_order_relaxed);
#ifndef FLEXOS__BAREMETAL
		flexos__crossings_count(src, frame->fn);
#endif
	}
	if (flexos__sealed.backend->call) {
		flexos__sealed.backend->call(frame, stack_args);
		return NULL;
	}
	if (!self->has_slot) /* a thread the runtime did not start */
		flexos__stack_slot_take();
	frame->saved_caller = self->caller;
	frame->saved_sp = (uint64_t)self->sp[src];
	/* A nested entry into the caller's compartment starts below us, and
	 * the way back finds us here. */
	self->sp[src] = (char *)frame;
	self->caller = (uint8_t)src;
	frame->saved_top = GATE_OFF_SLOT;
	if (flexos__on_slot(src, (uintptr_t)frame)) {
		struct flexos__slot_record *record = flexos__slot_record(src);

		frame->saved_top = (uint64_t)record->top;
		record->top = (char *)frame;
	}

	flexos__grant(dest);
	struct flexos__slot_record *entered = flexos__slot_record(dest);
	if (atomic_exchange((_Atomic uint64_t *)&entered->busy, 1))
		flexos__die(FLEXOS_EXIT_FAULT,
			    "isolation fault: compartment '%s' is entered on "
			    "a stack where it already runs\nflexos:   backend "
			    "%s", flexos__rt.compartments[dest].name,
			    flexos_backend_name());
	char *base = flexos__activation_base(dest);
	char *sp = base - FLEXOS__ACTIVATION_LINK - GATE_FRAME_SIZE -
		   GATE_STACK_ARGS;
	*(struct flexos__gate_frame **)(base - FLEXOS__ACTIVATION_LINK) = frame;
	*(uint64_t *)(base - FLEXOS__ACTIVATION_ENTRY) = frame->fn;
	memcpy(sp, stack_args, GATE_STACK_ARGS);
	memcpy(sp + GATE_STACK_ARGS, frame, GATE_FRAME_SIZE);
	if (flexos__sealed.hooks.domain_switch)
		flexos__sealed.hooks.domain_switch(src, dest,
						   flexos__sealed.hooks.context);
	return sp;
}

/* Runs on the destination's stack, both compartments open: off the
 * caller's stack, its record may say it runs no more. */
void flexos__gate_entered(const struct flexos__gate_frame *frame)
{
	unsigned src = (unsigned)frame->src, dest = (unsigned)frame->dest;

	if (frame->saved_top != GATE_OFF_SLOT)
		flexos__slot_record(src)->busy = 0;
	flexos__revoke(src);
	flexos__self.current = dest;
}

/* Runs on the destination's stack once the function returned, with the
 * results in `results`.  Returns the caller's frame, holding them.  When
 * the caller's slot record says the caller waits on the slot (a frame,
 * and not running), that frame: the thread's record, which every
 * compartment can write, could name another.  Otherwise the caller ran
 * on no stack of its own (a constructor, a signal handler that
 * interrupted it): the frame the thread's record names. */
struct flexos__gate_frame *
flexos__gate_leave(const struct flexos__gate_frame *results)
{
	unsigned src = flexos__self.caller;
	struct flexos__gate_frame *frame;

	if (src >= flexos__rt.ncompartments)
		flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: the thread's "
			    "record names no compartment to return to");
	flexos__grant(src);
	struct flexos__slot_record *record = flexos__slot_record(src);
	if (record->top && !atomic_load((_Atomic uint64_t *)&record->busy)) {
		frame = (struct flexos__gate_frame *)record->top;
		if (atomic_exchange((_Atomic uint64_t *)&record->busy, 1))
			flexos__die(FLEXOS_EXIT_FAULT,
				    "isolation fault: a gate returns into "
				    "compartment '%s' on a stack where it "
				    "runs\nflexos:   backend %s",
				    flexos__rt.compartments[src].name,
				    flexos_backend_name());
		record->top = (char *)frame->saved_top;
	} else {
		frame = (struct flexos__gate_frame *)flexos__self.sp[src];
	}
	frame->ret_rax = results->ret_rax;
	frame->ret_rdx = results->ret_rdx;
	memcpy(frame->ret_xmm0, results->ret_xmm0, sizeof(frame->ret_xmm0));
	memcpy(frame->ret_xmm1, results->ret_xmm1, sizeof(frame->ret_xmm1));
	if (flexos__sealed.hooks.domain_switch)
		flexos__sealed.hooks.domain_switch((unsigned)frame->dest, src,
						   flexos__sealed.hooks.context);
	return frame;
}

/* Runs on the caller's stack again, both compartments open: off the
 * destination's stack, its record may say it runs no more. */
void flexos__gate_left(const struct flexos__gate_frame *frame)
{
	struct flexos__thread *self = &flexos__self;
	unsigned src = (unsigned)frame->src, dest = (unsigned)frame->dest;

	flexos__slot_record(dest)->busy = 0;
	flexos__revoke(dest);
	self->current = src;
	self->caller = (uint8_t)frame->saved_caller;
	self->sp[src] = (char *)frame->saved_sp;
}
