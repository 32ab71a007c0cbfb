/* malloc & co. for the program inside the image.
 *
 * Every call through these names comes from code of the image's
 * compartments (musl's own allocations use its internal __libc_malloc and
 * __libc_free, and stay in the TCB's memory): it is served from the
 * private heap of the compartment the thread runs in.  A pointer of no
 * heap of ours came from musl's allocator and goes back to it. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

extern void __libc_free(void *ptr);

static struct flexos__heap *current_heap(void)
{
	if (!flexos__rt.ready)
		flexos__init();
	return &flexos__rt.compartments[flexos__self.current].heap;
}

static struct flexos__heap *owning_heap(const void *ptr)
{
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (flexos__heap_owns(&flexos__rt.compartments[c].heap, ptr))
			return &flexos__rt.compartments[c].heap;
	if (flexos__rt.shared_heap &&
	    flexos__heap_owns(flexos__rt.shared_heap, ptr))
		return flexos__rt.shared_heap;
	return NULL;
}

void *malloc(size_t size)
{
	return flexos__heap_alloc(current_heap(), size, 16);
}

void *calloc(size_t count, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	/* Not malloc(): GCC would fuse malloc and memset back into calloc. */
	void *ptr = flexos__heap_alloc(current_heap(), bytes, 16);
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
	if (heap)
		flexos__heap_free(heap, ptr);
	else
		__libc_free(ptr);
}

void *realloc(void *ptr, size_t size)
{
	struct flexos__heap *heap;

	if (!ptr)
		return malloc(size);
	heap = owning_heap(ptr);
	if (!heap)
		flexos__die(FLEXOS_EXIT_FAULT, "realloc(%p): not a block of "
			    "any heap of the image", ptr);
	return flexos__heap_realloc(heap, ptr, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	void *ptr = flexos__heap_alloc(current_heap(), size, align);
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
	return flexos__heap_alloc(current_heap(), size, align);
}

void *memalign(size_t align, size_t size)
{
	return aligned_alloc(align, size);
}

size_t malloc_usable_size(void *ptr)
{
	return ptr && owning_heap(ptr) ? flexos__heap_usable(ptr) : 0;
}

char *strdup(const char *s)
{
	size_t len = strlen(s);
	char *copy = malloc(len + 1);

	if (copy)
		memcpy(copy, s, len + 1);
	return copy;
}

char *strndup(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}
