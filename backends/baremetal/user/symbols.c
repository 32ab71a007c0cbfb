/* Naming code and data inside the image: the kernel reads the program's
 * symbol table (there is no debug-info reader here), so the runtime asks
 * it.  No line tables: a sharing policy's share-heap-at FILE:LINE cannot
 * be resolved in the image and stops it with a reason. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../abi.h"
#include "internal.h"

bool flexos__describe_address(uintptr_t address, char *out, size_t size)
{
	if (syscall(FLEXOS_BAREMETAL_SYS_SYMBOL, address, out, size) < 0) {
		snprintf(out, size, "??");
		return false;
	}
	return true;
}

bool flexos__function_code(const char *name, uintptr_t *start, uintptr_t *end)
{
	uint64_t range[2];

	if (syscall(FLEXOS_BAREMETAL_SYS_FUNCTION, name, range) != 0)
		return false;
	*start = range[0];
	*end = range[1];
	return true;
}

int flexos__line_code(const char *file, int line,
		      void (*found)(uintptr_t start, uintptr_t end, void *),
		      void *context)
{
	(void)found;
	(void)context;
	flexos__die(FLEXOS_EXIT_SETUP,
		    "sharing policy: share-heap-at %s:%d: a baremetal image "
		    "has no line tables to find that line in; name the "
		    "function instead (share-heap FUNCTION)", file, line);
}
