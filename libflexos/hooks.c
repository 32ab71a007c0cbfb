/* Hooks live on the sealed page: a hook runs with the rights of the thread
 * that reaches it (a gate's, both compartments' on the C path), so a
 * compartment that could write the table would run code of its choosing
 * with another's rights.  Only the default compartment registers them. */
#include <string.h>

#include "internal.h"

static void store(struct flexos__sealed *sealed, void *table)
{
	sealed->hooks = *(const struct flexos_hooks *)table;
}

int flexos_hooks_register(const struct flexos_hooks *hooks)
{
	struct flexos_hooks table = { 0 };

	flexos__init();
	if (flexos__rt.isolating && flexos__current() != 0)
		return -EPERM;
	if (hooks)
		table = *hooks;
	flexos__sealed_write(store, &table);
	return 0;
}
