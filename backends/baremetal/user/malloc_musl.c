/* libflexos/malloc.c's platform half inside a baremetal image, over musl.
 *
 * Every call through malloc's names comes from code of the image's
 * compartments: musl's own allocations use its internal names
 * (__libc_malloc, __libc_free), stay in the TCB's memory and never reach
 * malloc.c. */
#include "internal.h"

bool flexos__tcb_allocate(const void *caller, size_t size, size_t align,
			  bool zeroed, void **out)
{
	(void)caller, (void)size, (void)align, (void)zeroed, (void)out;
	/* Even an allocation made before the runtime's constructor ran is
	 * the program's: start the runtime for it. */
	if (!flexos__rt.ready)
		flexos__init();
	return false;
}

/* musl has no internal name for it, and ours replaces the public one. */
size_t flexos__libc_usable_size(void *ptr)
{
	(void)ptr;
	return 0;
}
