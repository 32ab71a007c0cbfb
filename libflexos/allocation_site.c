/* Where a heap block is said to be allocated: the function a sharing
 * policy's `share-heap FUNCTION` matches, and the one learning mode names.
 * Learning and enforcing runs apply this one rule, so that a learned line
 * matches the same allocations again, on every backend.
 *
 * The return address of the call to the allocator says it, except where
 * that address belongs to no allocation site:
 *   - it is where a gate's call of an entry point returns: the entry
 *     tail-called the allocator (`return strdup(s)` compiled as a jump) and
 *     is gone from the stack.  The site is that entry, which the gate left
 *     beside the activation it started (proc's server: in served_fn);
 *   - it lies in an allocator wrapper (`allocator W` in the policy; in
 *     learning mode also every function whose name says it allocates,
 *     learn.c): the block is its caller's, so the site
 *     is looked for one frame out, and so on, never past a gate (the stack
 *     there is another compartment's).
 * The walk out of a wrapper uses the unwinder of the C runtime
 * (_Unwind_Backtrace: libgcc's, or libunwind's which offers the same), so
 * it needs no frame pointers, and costs only allocations made through a
 * wrapper. */
#define _GNU_SOURCE
#include <string.h>
#include <unwind.h>

#include "gate_frame.h"
#include "internal.h"

_Static_assert(FLEXOS__ACTIVATION_ENTRY == GATE_ACTIVATION_ENTRY, "");

/* Sorted by start; written before main (the policy, learning mode). */
static struct flexos__span *allocators;
static size_t nallocators, allocators_capacity;

void flexos__add_allocator(uintptr_t start, uintptr_t end)
{
	size_t at = nallocators;

	while (at && allocators[at - 1].start >= start) {
		if (allocators[at - 1].start == start)
			return; /* named twice */
		at--;
	}
	if (nallocators == allocators_capacity) {
		size_t grown = allocators_capacity ? 2 * allocators_capacity
						   : 16;
		struct flexos__span *moved = __libc_realloc(
			allocators, grown * sizeof(*allocators));
		if (!moved)
			flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading "
				    "the allocator wrappers");
		allocators = moved;
		allocators_capacity = grown;
	}
	memmove(&allocators[at + 1], &allocators[at],
		(nallocators - at) * sizeof(*allocators));
	allocators[at] = (struct flexos__span){ start, end };
	nallocators++;
}

static bool in_allocator(uintptr_t code)
{
	size_t low = 0, high = nallocators;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (code < allocators[middle].start)
			high = middle;
		else if (code >= allocators[middle].end)
			low = middle + 1;
		else
			return true;
	}
	return false;
}

/* The entry point that started the thread's current activation. */
static uintptr_t entered_function(void)
{
	if (flexos__self.served_from)
		return flexos__self.served_fn;
	return *(const uintptr_t *)(flexos__activation_base(flexos__current()) -
				    FLEXOS__ACTIVATION_ENTRY);
}

/* Takes one return address of the walk: true when it decides the site,
 * false when it lies in a wrapper and the walk must go one frame out. */
static bool settle(uintptr_t return_address, struct flexos__site *site)
{
	if (!return_address)
		return true; /* the stack ends: the innermost wrapper it is */
	if (flexos__gate_return(return_address)) {
		site->code = entered_function();
		site->entered = true;
		return true;
	}
	site->code = return_address - 1;
	if (!in_allocator(site->code))
		return true;
	for (unsigned i = 0; i < FLEXOS__SITE_VIA; i++) {
		if (!site->via[i]) {
			site->via[i] = site->code;
			return false;
		}
	}
	return true; /* wrappers deeper than that: named by the innermost */
}

struct walk {
	uintptr_t caller; /* the allocator's return address */
	bool reached;     /* the frame it returns into is behind us */
	unsigned frames;
	struct flexos__site *site;
};

/* Frames between this file and the caller's: the runtime's own. */
#define RUNTIME_FRAMES 8

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *context,
				      void *walk_)
{
	struct walk *walk = walk_;
	uintptr_t ip = (uintptr_t)_Unwind_GetIP(context);

	if (!walk->reached) {
		walk->reached = ip == walk->caller;
		return ++walk->frames < RUNTIME_FRAMES ? _URC_NO_REASON
						       : _URC_END_OF_STACK;
	}
	return settle(ip, walk->site) ? _URC_END_OF_STACK : _URC_NO_REASON;
}

void flexos__allocation_site(uintptr_t return_address,
			     struct flexos__site *site)
{
	struct walk walk = { return_address, false, 0, site };

	memset(site, 0, sizeof(*site));
	if (settle(return_address, site))
		return;
	_Unwind_Backtrace(walk_frame, &walk);
}
