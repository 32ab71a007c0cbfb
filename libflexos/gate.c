/* The C half of a gate (see arch/x86_64/gate.S for the order of events).
 *
 * A gate opens the destination before it closes the caller, in both
 * directions, so that the arguments and results can be copied between the
 * two stacks with no third place in between. */
#include <string.h>

#include "gate_frame.h"
#include "internal.h"

/* Set when the backend isolates nothing: gate.S then makes every gate a
 * plain tail call. */
bool flexos__gate_direct;

/* Runs on the caller's stack.  Returns the destination stack pointer, below
 * which a copy of the stack arguments and of the frame waits; or NULL when
 * the backend ran the call elsewhere and left the results in `frame`. */
char *flexos__gate_enter(struct flexos__gate_frame *frame,
			 const char *stack_args)
{
	struct flexos__thread *self = &flexos__self;
	unsigned src = self->current, dest = (unsigned)frame->dest;

	if (!flexos__rt.ready)
		flexos__init();
	frame->src = src;
	if (flexos__rt.backend->call) {
		flexos__rt.backend->call(frame, stack_args);
		return NULL;
	}
	frame->caller_frame = (uint64_t)frame;
	frame->saved_sp = (uint64_t)self->sp[src];
	/* A nested entry into the caller's compartment starts below us. */
	self->sp[src] = (char *)frame;

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

/* Runs on the destination's stack. */
void flexos__gate_entered(const struct flexos__gate_frame *copy)
{
	flexos__revoke((unsigned)copy->src);
	flexos__self.current = (unsigned)copy->dest;
}

/* Runs on the destination's stack once the function returned.  Returns the
 * caller's frame, holding the results. */
struct flexos__gate_frame *
flexos__gate_leave(const struct flexos__gate_frame *copy)
{
	struct flexos__gate_frame *frame =
		(struct flexos__gate_frame *)copy->caller_frame;

	flexos__grant((unsigned)copy->src);
	frame->ret_rax = copy->ret_rax;
	frame->ret_rdx = copy->ret_rdx;
	memcpy(frame->ret_xmm0, copy->ret_xmm0, sizeof(frame->ret_xmm0));
	memcpy(frame->ret_xmm1, copy->ret_xmm1, sizeof(frame->ret_xmm1));
	if (flexos__hooks.domain_switch)
		flexos__hooks.domain_switch((unsigned)copy->dest,
					    (unsigned)copy->src,
					    flexos__hooks.context);
	return frame;
}

/* Runs on the caller's stack again. */
void flexos__gate_left(const struct flexos__gate_frame *frame)
{
	struct flexos__thread *self = &flexos__self;

	flexos__revoke((unsigned)frame->dest);
	self->current = (unsigned)frame->src;
	self->sp[frame->src] = (char *)frame->saved_sp;
}
