/* malloc & co. for compartmentalized code.
 *
 * A call made from the program's own code is served from the private heap
 * of the compartment the thread runs in.  A call made from elsewhere (the C
 * library allocating a stdio buffer, a shared library) belongs to the TCB
 * and goes to the C library's allocator, reachable from every compartment:
 * otherwise stdout's buffer would belong to whichever compartment printed
 * first.  The caller is told apart by its return address. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


extern char __executable_start[], etext[];

#define CALLER __builtin_return_address(0)

static struct flexos__heap *private_heap(const void *caller)
{
	if (!flexos__rt.isolating || (const char *)caller < __executable_start ||
	    (const char *)caller >= etext)
		return NULL;
	return &flexos__rt.compartments[flexos__self.current].heap;
}

static struct flexos__heap *owning_heap(const void *ptr)
{
	if (flexos__rt.shared_heap &&
	    flexos__heap_owns(flexos__rt.shared_heap, ptr))
		return flexos__rt.shared_heap;
	if (!flexos__rt.isolating)
		return NULL;
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (flexos__heap_owns(&flexos__rt.compartments[c].heap, ptr))
			return &flexos__rt.compartments[c].heap;
	return NULL;
}

/* An allocation for the program's own code, from `heap` (its compartment's
 * private heap) unless the sharing policy names the call site. */
static void *allocate_private(struct flexos__heap *heap, const void *caller,
			      size_t size, size_t align)
{
	void *ptr;

	/* The sharing policy names call sites whose memory crosses. */
	if (flexos__policy_shared_site((uintptr_t)caller))
		heap = flexos__rt.shared_heap;
	ptr = flexos__heap_alloc(heap, size, align);
	if (flexos__learning && heap != flexos__rt.shared_heap)
		flexos__learn_allocated(ptr, size, caller);
	return ptr;
}

static void *allocate(const void *caller, size_t size, size_t align)
{
	struct flexos__heap *heap = private_heap(caller);

	if (!heap)
		return align <= 16 ? __libc_malloc(size)
				   : __libc_memalign(align, size);
	return allocate_private(heap, caller, size, align);
}

void *malloc(size_t size)
{
	return allocate(CALLER, size, 16);
}

void *calloc(size_t count, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	struct flexos__heap *heap = private_heap(CALLER);
	if (!heap)
		return __libc_calloc(count, size);
	void *ptr = allocate_private(heap, CALLER, bytes, 16);
	if (ptr)
		memset(ptr, 0, bytes);
	return ptr;
}

void free(void *ptr)
{
	struct flexos__heap *heap;

	if (!ptr)
		return;
	heap = owning_heap(ptr);
	if (!heap) {
		__libc_free(ptr);
		return;
	}
	if (flexos__learning)
		flexos__learn_freed(ptr);
	flexos__heap_free(heap, ptr);
}

void *realloc(void *ptr, size_t size)
{
	struct flexos__heap *heap;

	if (!ptr)
		return allocate(CALLER, size, 16);
	heap = owning_heap(ptr);
	if (!heap)
		return __libc_realloc(ptr, size);
	void *moved = flexos__heap_realloc(heap, ptr, size);
	if (flexos__learning && moved)
		flexos__learn_moved(ptr, moved, size);
	return moved;
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	void *ptr = allocate(CALLER, size, align);
	if (!ptr)
		return ENOMEM;
	*out = ptr;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	return allocate(CALLER, size, align);
}

void *memalign(size_t align, size_t size)
{
	return allocate(CALLER, size, align);
}

size_t malloc_usable_size(void *ptr)
{
	if (!ptr)
		return 0;
	if (owning_heap(ptr))
		return flexos__heap_usable(ptr);
	size_t (*libc_usable)(void *) =
		(size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return libc_usable ? libc_usable(ptr) : 0;
}

static char *duplicate(const void *caller, const char *s, size_t len)
{
	char *copy = allocate(caller, len + 1, 16);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *strdup(const char *s)
{
	return duplicate(CALLER, s, strlen(s));
}

char *strndup(const char *s, size_t max)
{
	return duplicate(CALLER, s, strnlen(s, max));
}
