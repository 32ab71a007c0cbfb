/* The store's allocator wrapper, in a file of its own as libraries keep
 * theirs: a copy of n bytes on the heap, or NULL with errno set. */
#include "kvmem.h"

#include <stdlib.h>
#include <string.h>

void *kv_memdup(const void *bytes, size_t n)
{
	void *copy = malloc(n);

	if (copy)
		memcpy(copy, bytes, n);
	return copy;
}
