/* The C halves of the baremetal gate (arch/x86_64/baremetal_gate.S): the
 * bookkeeping of libflexos/gate.c, with the copies going through
 * flexos_baremetal__xfer so that each direction needs one PKRU write. */
#include <stddef.h>
#include <string.h>

#include "baremetal.h"

__thread struct flexos_baremetal__xfer flexos_baremetal__xfer
	__attribute__((aligned(16)));

/* The offsets the trampoline's fast path uses. */
_Static_assert(offsetof(struct flexos__thread, current) ==
		       GATE_THREAD_CURRENT, "");
_Static_assert(sizeof(((struct flexos__thread *)0)->current) == 4, "");
_Static_assert(offsetof(struct flexos__thread, started) ==
		       GATE_THREAD_STARTED, "");
_Static_assert(sizeof(((struct flexos__thread *)0)->started) == 1, "");
_Static_assert(offsetof(struct flexos__thread, sp) == GATE_THREAD_SP, "");
_Static_assert(offsetof(struct flexos_hooks, domain_switch) ==
		       GATE_HOOKS_DOMAIN_SWITCH, "");

/* Returned in %rax and %rdx. */
struct gate_switch {
	char *sp;
	uint64_t pkru;
};

/* On the caller's stack, only the caller open. */
struct gate_switch flexos_baremetal__gate_enter(struct flexos__gate_frame *frame,
					    const char *stack_args)
{
	struct flexos__thread *self = &flexos__self;
	struct flexos_baremetal__xfer *xfer = &flexos_baremetal__xfer;
	unsigned src = self->current, dest = (unsigned)frame->dest;

	if (!self->started) /* a gate before the runtime's constructor */
		flexos__init();
	frame->src = src;
	frame->saved_caller = self->caller;
	frame->saved_sp = (uint64_t)self->sp[src];
	/* A nested entry into the caller's compartment starts below us, and
	 * the way back finds us here. */
	self->sp[src] = (char *)frame;
	self->caller = (uint8_t)src;

	char *sp = self->sp[dest] ? self->sp[dest] : flexos__stack_top(dest);
	sp = (char *)(((uintptr_t)sp - GATE_FRAME_SIZE - GATE_STACK_ARGS) &
		      ~(uintptr_t)15);
	memcpy(xfer->stack_args, stack_args, GATE_STACK_ARGS);
	xfer->frame = *frame;
	if (flexos__hooks.domain_switch) {
		/* The hook runs with both open, as everywhere else. */
		flexos__grant(dest);
		flexos__hooks.domain_switch(src, dest, flexos__hooks.context);
	}
	self->current = dest;
	uint32_t pkru = flexos_baremetal__pkru_of(dest);
	flexos_baremetal__set_pkru_state(pkru);
	return (struct gate_switch){ sp, pkru };
}

/* On the callee's stack once the function returned, only the callee
 * open.  Returns the caller's frame and the caller's PKRU, both from the
 * thread's record: nothing on the callee's stack but the results. */
struct gate_switch
flexos_baremetal__gate_leave(const struct flexos__gate_frame *copy)
{
	struct flexos__gate_frame *results = &flexos_baremetal__xfer.frame;
	unsigned src = flexos__self.caller, dest = flexos__self.current;

	results->ret_rax = copy->ret_rax;
	results->ret_rdx = copy->ret_rdx;
	memcpy(results->ret_xmm0, copy->ret_xmm0, sizeof(results->ret_xmm0));
	memcpy(results->ret_xmm1, copy->ret_xmm1, sizeof(results->ret_xmm1));
	if (flexos__hooks.domain_switch) {
		flexos__grant(src);
		flexos__hooks.domain_switch(dest, src, flexos__hooks.context);
	}
	flexos__self.current = src;
	uint32_t pkru = flexos_baremetal__pkru_of(src);
	flexos_baremetal__set_pkru_state(pkru);
	return (struct gate_switch){ flexos__self.sp[src], pkru };
}

/* On the caller's stack again. */
void flexos_baremetal__gate_left(const struct flexos__gate_frame *frame)
{
	flexos__self.caller = (uint8_t)frame->saved_caller;
	flexos__self.sp[frame->src] = (char *)frame->saved_sp;
}
