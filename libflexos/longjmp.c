/* longjmp out of calls into other compartments.
 *
 * An image's setjmp and longjmp functions are wrapped at link time
 * (cmake/FlexOSImage.cmake).  Each setjmp on a compartment's stack slot
 * registers its point (the registers the C library saves) in that
 * compartment's own memory, below the slot record.  A longjmp whose
 * target lies within the calling activation is the C library's.  One that
 * leaves the activation leaves the calls in between: starting from the
 * gate frame that entered the activation (the link at its base), each
 * compartment's latest waiting frame is dropped from its slot record, in
 * order, until an activation that registered a point for the jmp_buf
 * resumes there, with its rights and the registers from its own record,
 * never from the jmp_buf, which may lie in memory others can write.  So
 * a compartment can end calls early through a setjmp point of one of its
 * callers, as a return with an error would, and resume nothing else; and
 * an error caught in a loop leaves no frame behind (docs/user-guide.md).
 *
 * On hardware keys the walk is pkru_gate.S's (each step switches to the
 * rights of the compartment whose record it reads); with emulated keys it
 * is done here, with the same order of events. */
#include <setjmp.h>
#include <signal.h>

#include "gate_frame.h"
#include "internal.h"

_Static_assert(offsetof(struct flexos__setjmp_point, buf) == GATE_JMP_BUF, "");
_Static_assert(offsetof(struct flexos__setjmp_point, rbx) == GATE_JMP_RBX, "");
_Static_assert(offsetof(struct flexos__setjmp_point, rbp) == GATE_JMP_RBP, "");
_Static_assert(offsetof(struct flexos__setjmp_point, r12) == GATE_JMP_R12, "");
_Static_assert(offsetof(struct flexos__setjmp_point, r15) == GATE_JMP_R15, "");
_Static_assert(offsetof(struct flexos__setjmp_point, sp) == GATE_JMP_SP, "");
_Static_assert(offsetof(struct flexos__setjmp_point, pc) == GATE_JMP_PC, "");
_Static_assert(offsetof(struct flexos__setjmp_point, mxcsr) ==
		       GATE_JMP_FP_CONTROL, "");
_Static_assert(offsetof(struct flexos__setjmp_point, fpu_control) ==
		       GATE_JMP_FP_CONTROL + 4, "");
_Static_assert(sizeof(struct flexos__setjmp_point) == GATE_JMP_POINT_SIZE, "");
_Static_assert(FLEXOS__SETJMP_POINTS == GATE_JMP_POINTS, "");
_Static_assert(FLEXOS__ACTIVATION_LINK == GATE_ACTIVATION_LINK, "");
/* Above the slot top, the points and the record leave a gate room to read
 * the first frame's stack arguments. */
_Static_assert(FLEXOS__STACK_SLACK >= FLEXOS__SLOT_RECORD + GATE_JMP_TABLE +
					     GATE_STACK_ARGS + 256, "");

/* The C library's, and the functions the link points the program's at. */
extern void __real_longjmp(void *buf, int value) __attribute__((noreturn));
void flexos__setjmp_register(const struct flexos__setjmp_point *point);
void __wrap_longjmp(void *buf, int value) __attribute__((noreturn));
void __wrap__longjmp(void *buf, int value) __attribute__((noreturn));
void __wrap_siglongjmp(void *buf, int value) __attribute__((noreturn));
void __wrap___longjmp_chk(void *buf, int value) __attribute__((noreturn));
/* Loads a point's registers and returns `value` from its setjmp
 * (pkru_gate.S). */
void flexos__setjmp_resume(const struct flexos__setjmp_point *point,
			   int value) __attribute__((noreturn));

/* proc's: each process's memory is its own. */
static __thread struct flexos__setjmp_point thread_points[FLEXOS__SETJMP_POINTS];

/* Where the calling thread keeps a setjmp point set at `sp`, or NULL: with
 * proc, in the thread's own memory, which is its process's alone; with the
 * other isolating backends, on the thread's slot in the compartment it
 * runs in, which only that compartment can write (a point off the slot is
 * left only by a plain longjmp). */
static struct flexos__setjmp_point *points_for(uintptr_t sp)
{
	if (!flexos__rt.ready || !flexos__rt.isolating)
		return NULL;
	if (flexos__sealed.backend->call)
		return thread_points;
	if (!flexos__self.has_slot)
		return NULL;
	unsigned compartment = flexos__current();
	return flexos__on_slot(compartment, sp)
		       ? flexos__setjmp_points(compartment)
		       : NULL;
}

void flexos__setjmp_register(const struct flexos__setjmp_point *point)
{
	struct flexos__setjmp_point *points = points_for(point->sp), *free = NULL;

	if (!points || !point->buf)
		return;
	for (unsigned i = 0; i < FLEXOS__SETJMP_POINTS; i++) {
		/* Points below this one were set by frames that returned; one
		 * for the same jmp_buf in the same frame is replaced.  One for
		 * it further up stays: a handler that saves a jmp_buf, sets
		 * it and puts it back leaves the outer point to resume. */
		if (points[i].sp < point->sp ||
		    (points[i].buf == point->buf && points[i].sp == point->sp))
			points[i] = (struct flexos__setjmp_point){ 0 };
		if (!points[i].buf && !free)
			free = &points[i];
	}
	/* With every entry live, this point is not kept: a longjmp to it
	 * from another activation is refused, naming no setjmp. */
	if (free)
		*free = *point;
}

/* The stack pointer saved in a jmp_buf: which of the points registered
 * for it the longjmp means, never where it goes. */
static uintptr_t saved_sp(const void *buf)
{
	uintptr_t sp = ((const uintptr_t *)buf)[6];
#ifdef __GLIBC__
	/* glibc mangles it: rotated left by 17 bits after an XOR with the
	 * pointer guard of the thread's TCB. */
	uintptr_t guard;
	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	sp = (sp >> 17 | sp << 47) ^ guard;
#endif
	return sp;
}

/* The point for `buf` among `points` set strictly between `above` and
 * `below` (by the activation the longjmp resumes): the one the jmp_buf
 * names, else the innermost, the latest setjmp.  NULL for none (and for
 * buf 0, which marks free entries).  The jmp_buf is read only once a point
 * for it is found: it is then a buffer the points' owner set, which an
 * address from another process (proc) need not be. */
static const struct flexos__setjmp_point *
find_point(const struct flexos__setjmp_point *points, uintptr_t buf,
	   uintptr_t above, uintptr_t below)
{
	const struct flexos__setjmp_point *found = NULL;
	uintptr_t named = 0;

	for (unsigned i = 0; buf && i < FLEXOS__SETJMP_POINTS; i++) {
		const struct flexos__setjmp_point *p = &points[i];
		if (p->buf != buf || p->sp <= above || p->sp >= below)
			continue;
		if (!named)
			named = saved_sp((const void *)buf);
		if (p->sp == named)
			return p;
		if (!found || p->sp < found->sp)
			found = p;
	}
	return found;
}

/* The signal mask sigsetjmp(buf, 1) saved, back (glibc keeps it in the
 * jmp_buf, where whoever can write the buffer chooses it: a mask only). */
static void restore_mask(const void *buf)
{
#ifdef __GLIBC__
	const struct __jmp_buf_tag *tag = buf;

	if (tag->__mask_was_saved)
		sigprocmask(SIG_SETMASK, (const sigset_t *)&tag->__saved_mask,
			    NULL);
#else
	(void)buf;
#endif
}

/* Returns from the setjmp of `point`, in the compartment that runs, if
 * its function still runs (checked from here up); else compartment `by`'s
 * longjmp is refused. */
static __attribute__((noreturn)) void
resume_here(const struct flexos__setjmp_point *point, const void *buf,
	    int value, unsigned by)
{
	if (!flexos__point_live(point, NULL))
		flexos__longjmp_refused(by, GATE_STOP_STALE);
	restore_mask(buf);
	flexos__setjmp_resume(point, value);
}

/* proc: where the call the thread serves for another process begins, above
 * which its own points do not lie; the top of the stack when it serves
 * none. */
static uintptr_t served_below(void)
{
	return flexos__self.served_from ? (uintptr_t)flexos__self.served_from
					: UINTPTR_MAX;
}

/* The end of the walk with emulated keys: `from`, whose stack the walk
 * ran on, is shut from the stack of the point that resumes, below it,
 * where frames the longjmp abandons were. */
struct resumption {
	const struct flexos__setjmp_point *point;
	int value;
	unsigned from;
};

static void *resume_there(void *arg)
{
	const struct resumption *r = arg;

	flexos__revoke(r->from);
	flexos__setjmp_resume(r->point, r->value);
}

static __attribute__((noreturn)) void
resume_emulated(const struct flexos__setjmp_point *point, int value,
		unsigned from)
{
	/* Below the point's frame and its red zone. */
	struct resumption *r = (struct resumption *)(point->sp - 256);

	*r = (struct resumption){ point, value, from };
	flexos__call_on_stack(resume_there, r, (char *)r - 16);
	__builtin_unreachable();
}

/* Emulated keys: the walk of pkru_gate.S's flexos__pkru_unwind, opening
 * each compartment while its record is read. */
static __attribute__((noreturn)) void
unwind_emulated(const void *buf, int value, uintptr_t link,
		unsigned from)
{
	struct flexos__thread *self = &flexos__self;

	restore_mask(buf);
	while (link) {
		unsigned c = 0;
		while (c < flexos__rt.ncompartments && !flexos__on_slot(c, link))
			c++;
		if (c == flexos__rt.ncompartments)
			break;
		flexos__grant(c);
		struct flexos__slot_record *record = flexos__slot_record(c);
		const struct flexos__gate_frame *frame = (const void *)link;
		if ((uintptr_t)record->top != link || record->busy)
			flexos__die(FLEXOS_EXIT_FAULT,
				    "isolation fault: a longjmp left a gate "
				    "that compartment '%s' does not wait in"
				    "\nflexos:   backend %s",
				    flexos__rt.compartments[c].name,
				    flexos_backend_name());
		record->top = (char *)frame->saved_top;
		self->caller = (uint8_t)frame->saved_caller;
		self->sp[c] = (char *)frame->saved_sp;
		char *base = flexos__activation_base(c);
		const struct flexos__setjmp_point *point =
			find_point(flexos__setjmp_points(c), (uintptr_t)buf,
				   link, (uintptr_t)base);
		if (point) {
			if (!flexos__point_live(point, frame))
				flexos__longjmp_refused(from, GATE_STOP_STALE);
			record->busy = 1;
			self->current = c;
			resume_emulated(point, value, from);
		}
		link = *(const uintptr_t *)(base - FLEXOS__ACTIVATION_LINK);
		flexos__revoke(c);
	}
	flexos__longjmp_refused(from, GATE_STOP_NO_SETJMP);
}

/* proc: leaves the call the thread serves for another process, whose
 * process goes on with the longjmp (proc_gate.c). */
static __attribute__((noreturn)) void leave_served_call(uintptr_t buf,
							 int value)
{
	flexos__self.leaving_buf = buf;
	flexos__self.leaving_value = value;
	__builtin_longjmp(flexos__self.serve_unwind, 1);
}

void flexos__longjmp_arrived(uintptr_t buf, int value, unsigned by)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	const struct flexos__setjmp_point *point =
		find_point(thread_points, buf, here, served_below());

	if (point)
		resume_here(point, (const void *)buf, value, by);
	if (flexos__self.served_from)
		leave_served_call(buf, value);
	flexos__longjmp_refused(by, GATE_STOP_NO_SETJMP);
}

/* Every longjmp of an image.  Where the thread keeps setjmp points, the
 * jmp_buf only names one: a point of the calling activation resumes from
 * its record, a point further up by leaving the calls in between, and one
 * nobody registered stops the image; the C library follows the jmp_buf
 * only where no point is kept (no isolation, before main, off the
 * compartments' stacks) or no gate was crossed. */
static __attribute__((noreturn)) void leave_calls(void *buf, int value)
{
	/* Whoever jumps chose the direction flag; the copies below go up. */
	__asm__ volatile("cld" ::: "memory");
	struct flexos__thread *self = &flexos__self;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	const struct flexos__setjmp_point *points = points_for(here), *point;

	if (!points)
		__real_longjmp(buf, value);
	if (flexos__sealed.backend->call) {
		/* proc: a point of this thread's below the call it serves, or
		 * that call's caller goes on with the longjmp. */
		point = find_point(points, (uintptr_t)buf, here, served_below());
		if (point)
			resume_here(point, buf, value, self->current);
		if (self->served_from)
			leave_served_call((uintptr_t)buf, value);
		__real_longjmp(buf, value); /* no gate crossed */
	}
	unsigned from = flexos__current();
	char *base = flexos__activation_base(from);
	point = find_point(points, (uintptr_t)buf, here, (uintptr_t)base);
	if (point)
		resume_here(point, buf, value, from);
	uintptr_t link = *(const uintptr_t *)(base - FLEXOS__ACTIVATION_LINK);
	if (!link)
		__real_longjmp(buf, value); /* no gate crossed */
	flexos__slot_record(from)->busy = 0;
	if (flexos__sealed.pkru_gate) {
		restore_mask(buf);
		flexos__pkru_unwind(buf, value, link, saved_sp(buf));
	}
	unwind_emulated(buf, value, link, from);
}

void __wrap_longjmp(void *buf, int value)
{
	leave_calls(buf, value);
}

void __wrap__longjmp(void *buf, int value)
{
	leave_calls(buf, value);
}

void __wrap_siglongjmp(void *buf, int value)
{
	leave_calls(buf, value);
}

/* glibc's fortified longjmp, which checks that the target is up the same
 * stack: leave_calls knows better across compartments. */
void __wrap___longjmp_chk(void *buf, int value)
{
	leave_calls(buf, value);
}
