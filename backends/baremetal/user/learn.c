/* Learning mode is not part of the baremetal backend: it needs the Linux
 * runtime's fault stepping and debug-info reader.  Asking for it stops the
 * image with a reason rather than running it without: learn on Linux
 * (mpk), then build for baremetal with the policy learned. */
#include <stdlib.h>

#include "internal.h"

bool flexos__learning;

void flexos__learn_init(void)
{
	const char *value = getenv("FLEXOS_LEARN");

	if (value && *value)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_LEARN: not supported by the baremetal "
			    "backend; learn on Linux (mpk), then build for "
			    "baremetal with SHARING_POLICY");
}

/* What malloc.c tells learning mode, which stays off here. */
void flexos__learn_foreign_block(uintptr_t block, unsigned owner,
				 uintptr_t caller)
{
	(void)block;
	(void)owner;
	(void)caller;
}
