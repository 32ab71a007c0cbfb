/* Whether a setjmp point's function still runs, which a longjmp out of
 * calls asks before it resumes one, and the report of one refused
 * (longjmp.c, and pkru_gate.S's walk, which is why this is an object of its
 * own: the gate's code does not pull the longjmp wrappers into a program
 * that has none). */
#define _GNU_SOURCE /* REG_RIP & co. */
#include <string.h>
#ifndef FLEXOS__BAREMETAL
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif

#include "gate_frame.h"
#include "internal.h"

#ifndef FLEXOS__BAREMETAL
/* Whether the function that registered `point` still runs, walking the
 * frames from `cursor` up: some frame whose extent, from its stack pointer
 * to its call frame address, holds the point's stack pointer must be that
 * function's.  A point whose function returned lies in the extent of
 * another's frame, or in none, once the walk has passed it.  Where the
 * frames cannot be walked (no unwind information) it cannot tell, and
 * says live, as a longjmp without FlexOS would go. */
static bool point_live(unw_cursor_t *cursor,
		       const struct flexos__setjmp_point *point)
{
	for (int depth = 0; depth < 1024; depth++) {
		unw_word_t sp, cfa;
		unw_proc_info_t info;

		if (unw_get_reg(cursor, UNW_REG_SP, &sp) < 0)
			return true;
		if (sp > point->sp)
			return false; /* walked past it */
		bool known = unw_get_proc_info(cursor, &info) == 0;
		if (unw_step(cursor) <= 0 ||
		    unw_get_reg(cursor, UNW_REG_SP, &cfa) < 0)
			return true;
		if (point->sp >= sp && point->sp < cfa)
			return !known || (point->pc >= info.start_ip &&
					  point->pc < info.end_ip);
	}
	return true;
}
#endif

bool flexos__point_live(const struct flexos__setjmp_point *point,
			const void *gate_frame)
{
#ifdef FLEXOS__BAREMETAL
	/* No unwinder in the image: a point above the gate counts as live
	 * (docs/threat-model.md). */
	(void)point;
	(void)gate_frame;
	return true;
#else
	unw_context_t context;
	unw_cursor_t cursor;

	if (!gate_frame) {
		/* From here: the calling activation's own frames. */
		if (unw_getcontext(&context) < 0 ||
		    unw_init_local(&cursor, &context) < 0)
			return true;
		return point_live(&cursor, point);
	}
	/* From the caller of the gate whose frame this is: what
	 * GATE_PUSH_CALLER pushed above it (%r15 %r14 %r13 %r12 %rbx %rbp,
	 * then the return address), the caller's registers as they were. */
	const uint64_t *pushed = (const uint64_t *)((const char *)gate_frame +
						    GATE_FRAME_SIZE + 8);
	memset(&context, 0, sizeof(context));
	greg_t *r = context.uc_mcontext.gregs;
	r[REG_R15] = (greg_t)pushed[0];
	r[REG_R14] = (greg_t)pushed[1];
	r[REG_R13] = (greg_t)pushed[2];
	r[REG_R12] = (greg_t)pushed[3];
	r[REG_RBX] = (greg_t)pushed[4];
	r[REG_RBP] = (greg_t)pushed[5];
	/* Inside the call instruction: the caller's function, its state at
	 * the call. */
	r[REG_RIP] = (greg_t)(pushed[6] - 1);
	r[REG_RSP] = (greg_t)(uintptr_t)(pushed + 7);
	if (unw_init_local2(&cursor, &context, UNW_INIT_SIGNAL_FRAME) < 0)
		return true;
	return point_live(&cursor, point);
#endif
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
