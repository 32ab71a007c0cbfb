/* libflexos/malloc.c's platform half inside a baremetal image, over musl.
 *
 * Every call through malloc's names comes from code of the image's
 * compartments once the runtime runs: musl's own allocations mostly use
 * its internal names (__libc_malloc, __libc_free) and never reach
 * malloc.c; those that do (stdio's buffers) come from the program's
 * code. */
#include "internal.h"

bool flexos__tcb_allocate(const void *caller, size_t size, size_t align,
			  bool zeroed, void **out)
{
	(void)caller;
	if (flexos__rt.ready)
		return false;
	/* While the runtime starts, musl's own calls (stdio reading the
	 * sharing policy) are the TCB's. */
	if (flexos__rt.starting) {
		if (align > 16)
			flexos__die(FLEXOS_EXIT_SETUP, "an allocation aligned to "
				    "%zu bytes while the runtime starts", align);
		*out = zeroed ? __libc_calloc(1, size) : __libc_malloc(size);
		return true;
	}
	/* Any other allocation before the runtime's constructor ran is the
	 * program's: start the runtime for it. */
	flexos__init();
	return false;
}

/* musl has no internal name for it, and ours replaces the public one. */
size_t flexos__libc_usable_size(void *ptr)
{
	(void)ptr;
	return 0;
}
