/* Whether a setjmp point's function still runs, which a longjmp out of
 * calls asks before it resumes one, and the report of one refused
 * (longjmp.c, and pkru_gate.S's walk, which is why this is an object of its
 * own: the gate's code does not pull the longjmp wrappers into a program
 * that has none).  The walk is the C runtime's unwinder's
 * (_Unwind_Backtrace: libunwind's on Linux, libgcc's on baremetal). */
#include <stdint.h>
#include <unwind.h>

#include "gate_frame.h"
#include "internal.h"

void flexos__call_as_gate_caller(const uint64_t *pushed, void (*fn)(void *),
				 void *arg);

/* A walk up the frames, each seen with the stack pointer of the one
 * before: a frame spans from its own stack pointer to its caller's. */
struct liveness {
	const struct flexos__setjmp_point *point;
	uintptr_t point_fn; /* the function of the point's pc, 0: unknown */
	/* Frames up to this function's are the walk's own, on whatever
	 * stack it runs (0: none left to pass). */
	uintptr_t pass_until;
	uintptr_t sp, fn;   /* the frame before this one */
	bool seen_one;
	bool live;
	unsigned depth;
};

/* A point is live if the frame whose extent holds its stack pointer runs
 * the point's function.  A point whose function returned lies in the
 * extent of another's frame, or in none once the walk has passed it or
 * reached the gate that started the activation (whose caller's frames
 * are another compartment's, which the walk may not read).  Where the
 * frames cannot be walked (no unwind information) it cannot tell, and
 * says live, as a longjmp without FlexOS would go. */
static _Unwind_Reason_Code visit(struct _Unwind_Context *context, void *arg)
{
	struct liveness *l = arg;
	/* Both unwinders say the frame's own stack pointer here (the call
	 * frame address of the frame it called). */
	uintptr_t sp = (uintptr_t)_Unwind_GetCFA(context);
	uintptr_t fn = (uintptr_t)_Unwind_GetRegionStart(context);
	uintptr_t at = l->point->sp;

	if (l->pass_until) {
		if (fn == l->pass_until)
			l->pass_until = 0;
		return _URC_NO_REASON;
	}
	if (l->seen_one) {
		if (l->sp > at) {
			l->live = false; /* walked past it */
			return _URC_END_OF_STACK;
		}
		if (at < sp) {
			l->live = !l->fn || !l->point_fn || l->fn == l->point_fn;
			return _URC_END_OF_STACK;
		}
	}
	if (flexos__gate_return((uintptr_t)_Unwind_GetIP(context))) {
		l->live = false; /* not in this activation */
		return _URC_END_OF_STACK;
	}
	l->sp = sp;
	l->fn = fn;
	l->seen_one = true;
	return ++l->depth < 1024 ? _URC_NO_REASON : _URC_END_OF_STACK;
}

static void walk(void *l)
{
	_Unwind_Backtrace(visit, l);
}

bool flexos__point_live(const struct flexos__setjmp_point *point,
			const void *gate_frame)
{
	struct liveness l = {
		.point = point,
		/* Inside the call of setjmp: its caller's function. */
		.point_fn = (uintptr_t)_Unwind_FindEnclosingFunction(
			(void *)(point->pc - 1)),
		.live = true,
	};

	if (!gate_frame) {
		walk(&l); /* the calling activation's own frames */
		return l.live;
	}
	/* From the caller of the gate whose frame this is, through what
	 * GATE_PUSH_CALLER pushed above that frame: the caller's registers
	 * and return address.  The walk's own frames before it may lie on
	 * another stack (emulated keys run it on the jumping compartment's),
	 * above or below the point. */
	l.pass_until = (uintptr_t)flexos__call_as_gate_caller;
	flexos__call_as_gate_caller(
		(const uint64_t *)((const char *)gate_frame + GATE_FRAME_SIZE +
				   8),
		walk, &l);
	return l.live;
}

void flexos__longjmp_refused(unsigned by, int why)
{
	const char *name = by < flexos__rt.ncompartments
				   ? flexos__rt.compartments[by].name
				   : "?";

	flexos__die(FLEXOS_EXIT_FAULT,
		    "compartment '%s' made a longjmp to a jmp_buf %s\nflexos:   "
		    "backend %s", name,
		    why == GATE_STOP_STALE
			    ? "whose setjmp returned: its function no longer "
			      "runs"
			    : "that no activation on this thread's stacks set "
			      "(its setjmp returned, or ran on another thread)",
		    flexos_backend_name());
}
