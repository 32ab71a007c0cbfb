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

/* One call per name and function: a policy names tens of functions, and
 * the kernel's table is in memory. */
void flexos__functions_code(const char *const *names, size_t count,
			    void (*found)(size_t i, uintptr_t start,
					  uintptr_t end, void *context),
			    void *context)
{
	uint64_t range[2];

	for (size_t i = 0; i < count; i++)
		for (unsigned long nth = 0;
		     syscall(FLEXOS_BAREMETAL_SYS_FUNCTION, names[i], range,
			     nth) == 0;
		     nth++)
			found(i, range[0], range[1], context);
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
