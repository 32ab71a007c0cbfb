/* The C half of a gate (see arch/x86_64/gate.S for the order of events).
 *
 * A gate opens the destination before it closes the caller, in both
 * directions, so that the arguments and results can be copied between the
 * two stacks with no third place in between.
 *
 * The way back trusts nothing the callee could have written: the caller's
 * compartment and frame come from the thread's record (flexos__self), the
 * caller's callee-saved registers from its own stack, which the callee
 * cannot reach. */
#include <string.h>

#include "gate_frame.h"
#include "internal.h"

/* The offsets gate.S and baremetal_gate.S use. */
_Static_assert(offsetof(struct flexos__sealed, gate_direct) ==
		       GATE_SEALED_DIRECT, "");
_Static_assert(offsetof(struct flexos__sealed, records) ==
		       GATE_SEALED_RECORDS, "");
_Static_assert(offsetof(struct flexos__sealed, record_bytes) ==
		       GATE_SEALED_RECORD_BYTES, "");
_Static_assert(offsetof(struct flexos__sealed, entries) ==
		       GATE_SEALED_ENTRIES, "");
_Static_assert(offsetof(struct flexos__sealed, pkru) == GATE_SEALED_PKRU, "");
_Static_assert(sizeof(struct flexos__entry_record) == GATE_RECORD_SIZE, "");
_Static_assert(sizeof(struct flexos__entry) * 2 == GATE_RECORD_SIZE, "");
_Static_assert(offsetof(struct flexos__entry, fn) == GATE_ENTRY_FN, "");
_Static_assert(offsetof(struct flexos__entry, compartment) ==
		       GATE_ENTRY_COMPARTMENT, "");
_Static_assert(offsetof(struct flexos__thread, caller) ==
		       GATE_THREAD_CALLER, "");

/* Runs on the caller's stack.  Returns the destination stack pointer, below
 * which a copy of the stack arguments and of the frame waits; or NULL when
 * the backend ran the call elsewhere and left the results in `frame`. */
char *flexos__gate_enter(struct flexos__gate_frame *frame,
			 const char *stack_args)
{
	struct flexos__thread *self = &flexos__self;
	unsigned src = self->current, dest = (unsigned)frame->dest;

	frame->src = src;
	if (flexos__rt.backend->call) {
		flexos__rt.backend->call(frame, stack_args);
		return NULL;
	}
	frame->saved_caller = self->caller;
	frame->saved_sp = (uint64_t)self->sp[src];
	/* A nested entry into the caller's compartment starts below us, and
	 * the way back finds us here. */
	self->sp[src] = (char *)frame;
	self->caller = (uint8_t)src;

	flexos__grant(dest);
	char *sp = flexos__stack_top(dest);
	sp = (char *)(((uintptr_t)sp - GATE_FRAME_SIZE - GATE_STACK_ARGS) &
		      ~(uintptr_t)15);
	memcpy(sp, stack_args, GATE_STACK_ARGS);
	memcpy(sp + GATE_STACK_ARGS, frame, GATE_FRAME_SIZE);
	if (flexos__hooks.domain_switch)
		flexos__hooks.domain_switch(src, dest, flexos__hooks.context);
	return sp;
}

/* The frame of the gate the current activation returns through: on the
 * caller's stack, found through the thread's record. */
static struct flexos__gate_frame *caller_frame(void)
{
	return (struct flexos__gate_frame *)flexos__self.sp[flexos__self.caller];
}

/* Runs on the destination's stack, both compartments open. */
void flexos__gate_entered(void)
{
	unsigned dest = (unsigned)caller_frame()->dest;

	flexos__revoke(flexos__self.caller);
	flexos__self.current = dest;
}

/* Runs on the destination's stack once the function returned, with the
 * results in `results`.  Returns the caller's frame, holding them. */
struct flexos__gate_frame *
flexos__gate_leave(const struct flexos__gate_frame *results)
{
	unsigned src = flexos__self.caller;
	struct flexos__gate_frame *frame = caller_frame();

	flexos__grant(src);
	frame->ret_rax = results->ret_rax;
	frame->ret_rdx = results->ret_rdx;
	memcpy(frame->ret_xmm0, results->ret_xmm0, sizeof(frame->ret_xmm0));
	memcpy(frame->ret_xmm1, results->ret_xmm1, sizeof(frame->ret_xmm1));
	if (flexos__hooks.domain_switch)
		flexos__hooks.domain_switch((unsigned)frame->dest, src,
					    flexos__hooks.context);
	return frame;
}

/* Runs on the caller's stack again. */
void flexos__gate_left(const struct flexos__gate_frame *frame)
{
	struct flexos__thread *self = &flexos__self;

	flexos__revoke((unsigned)frame->dest);
	self->current = (unsigned)frame->src;
	self->caller = (uint8_t)frame->saved_caller;
	self->sp[frame->src] = (char *)frame->saved_sp;
}
