/* Learning mode and sharing policies are not part of the baremetal
 * backend yet: they need the Linux runtime's fault stepping and symbol
 * reader.  Asking for either stops the image with a reason rather than
 * running it without. */
#include <stdlib.h>

#include "internal.h"

bool flexos__learning;
bool flexos__policy_shared_stacks;

static void refuse(const char *variable)
{
	const char *value = getenv(variable);

	if (value && *value)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "%s: not supported by the baremetal backend; learn "
			    "and write policies on Linux (mpk), then build for "
			    "baremetal", variable);
}

void flexos__learn_init(void)
{
	refuse("FLEXOS_LEARN");
}

void flexos__policy_load(void)
{
	refuse("FLEXOS_POLICY");
}

bool flexos__policy_shared_site(uintptr_t return_address)
{
	(void)return_address;
	return false;
}
