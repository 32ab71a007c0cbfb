/* malloc.c's platform half on Linux, over glibc.
 *
 * glibc and the shared libraries call malloc & co. through the same names
 * as the program, so a call is told apart by its return address: one from
 * the program's text is the program's, any other belongs to the TCB.
 * Before the compartments exist (and with a backend that keeps no private
 * memory) every call belongs to the TCB. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "internal.h"

/* glibc's, for alignments its malloc does not promise (above 16). */
extern void *__libc_memalign(size_t align, size_t size);

extern char __executable_start[], etext[];

bool flexos__tcb_allocate(const void *caller, size_t size, size_t align,
			  bool zeroed, void **out)
{
	if (flexos__rt.isolating && (const char *)caller >= __executable_start &&
	    (const char *)caller < etext)
		return false;
	if (zeroed)
		*out = __libc_calloc(1, size);
	else if (align <= 16)
		*out = __libc_malloc(size);
	else
		*out = __libc_memalign(align, size);
	return true;
}

/* glibc has no internal name for it: the next malloc_usable_size after
 * ours is glibc's. */
size_t flexos__libc_usable_size(void *ptr)
{
	size_t (*libc_usable)(void *) =
		(size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");

	return libc_usable ? libc_usable(ptr) : 0;
}
