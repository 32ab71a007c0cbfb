/* The shared heap: one range every compartment may touch. */
#include <errno.h>
#include <string.h>

#include "internal.h"

void *flexos_shared_malloc(size_t size)
{
	flexos__init();
	return flexos__heap_alloc(flexos__sealed.shared_heap, size, 16);
}

void *flexos_shared_calloc(size_t count, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	void *ptr = flexos_shared_malloc(bytes);
	if (ptr)
		memset(ptr, 0, bytes);
	return ptr;
}

static void check_shared(const char *function, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;

	if (p < flexos__sealed.shared_start || p >= flexos__sealed.shared_end)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "%s(%p): pointer is not from the shared heap",
			    function, ptr);
}

void *flexos_shared_realloc(void *ptr, size_t size)
{
	if (!ptr)
		return flexos_shared_malloc(size);
	check_shared("flexos_shared_realloc", ptr);
	return flexos__heap_realloc(flexos__sealed.shared_heap, ptr, size);
}

void flexos_shared_free(void *ptr)
{
	if (!ptr)
		return;
	check_shared("flexos_shared_free", ptr);
	flexos__heap_free(flexos__sealed.shared_heap, ptr);
}
