/* Learning mode's record of the program's heap blocks: malloc.c reports
 * them, learn.c names heap memory by the site that allocated it.  Apart
 * from learn.c, so that every runtime compiling malloc.c has it; only
 * learn.c turns learning mode on (the baremetal runtime refuses it). */
#include "internal.h"

/* Live blocks of private heaps, with the return address of their
 * allocation call. */
struct allocation {
	uintptr_t start, end;
	uintptr_t site;
};
static struct allocation *allocations;
static size_t nallocations, allocation_capacity;

void flexos__learn_allocated(void *ptr, size_t size, const void *caller)
{
	if (!ptr)
		return;
	if (nallocations == allocation_capacity) {
		size_t capacity = allocation_capacity ? 2 * allocation_capacity
						      : 1024;
		struct allocation *grown = __libc_realloc(
			allocations, capacity * sizeof(*allocations));
		if (!grown)
			return;
		allocations = grown;
		allocation_capacity = capacity;
	}
	allocations[nallocations++] = (struct allocation){
		(uintptr_t)ptr, (uintptr_t)ptr + size, (uintptr_t)caller
	};
}

void flexos__learn_freed(void *ptr)
{
	for (size_t i = nallocations; i-- > 0;)
		if (allocations[i].start == (uintptr_t)ptr) {
			allocations[i] = allocations[--nallocations];
			return;
		}
}

/* realloc keeps the allocation site of the block it grows. */
void flexos__learn_moved(void *from, void *to, size_t size)
{
	for (size_t i = nallocations; i-- > 0;)
		if (allocations[i].start == (uintptr_t)from) {
			allocations[i].start = (uintptr_t)to;
			allocations[i].end = (uintptr_t)to + size;
			return;
		}
}

uintptr_t flexos__learn_allocation_site(uintptr_t address)
{
	for (size_t i = nallocations; i-- > 0;)
		if (address >= allocations[i].start &&
		    address < allocations[i].end)
			return allocations[i].site;
	return 0;
}
