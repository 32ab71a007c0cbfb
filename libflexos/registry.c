/* The compartment registry: what the image has and who owns which memory. */
#include "internal.h"

struct flexos__runtime flexos__rt;
__thread struct flexos__thread flexos__self;

bool flexos__classify(uintptr_t address, unsigned *owner,
		      enum flexos_memory_kind *kind)
{
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		const struct flexos__compartment *comp =
			&flexos__rt.compartments[c];
		uintptr_t arena = (uintptr_t)comp->arena;

		*owner = c;
		for (unsigned i = 0; i < FLEXOS__STATIC_RANGES; i++) {
			const struct flexos__range *r = &comp->static_data[i];

			if (address >= (uintptr_t)r->start &&
			    address < (uintptr_t)r->end) {
				*kind = FLEXOS_MEMORY_STATIC;
				return true;
			}
		}
		if (arena && address >= arena &&
		    address < arena + FLEXOS__ARENA_SIZE) {
			*kind = address < arena + FLEXOS__HEAP_SIZE
					? FLEXOS_MEMORY_HEAP
					: FLEXOS_MEMORY_STACK;
			return true;
		}
	}
	*kind = FLEXOS_MEMORY_UNKNOWN;
	return false;
}

const char *flexos__memory_kind_name(enum flexos_memory_kind kind)
{
	switch (kind) {
	case FLEXOS_MEMORY_STATIC:
		return "static data";
	case FLEXOS_MEMORY_HEAP:
		return "heap";
	case FLEXOS_MEMORY_STACK:
		return "stack";
	default:
		return "memory";
	}
}

unsigned flexos_current_compartment(void)
{
	return flexos__current();
}

unsigned flexos_compartment_count(void)
{
	flexos__init();
	return flexos__rt.ncompartments;
}

const char *flexos_compartment_name(unsigned compartment)
{
	flexos__init();
	if (compartment >= flexos__rt.ncompartments)
		return NULL;
	return flexos__rt.compartments[compartment].name;
}

const char *flexos_backend_name(void)
{
	flexos__init();
	return flexos__sealed.backend->name;
}
