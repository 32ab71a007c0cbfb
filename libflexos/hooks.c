#include <string.h>

#include "internal.h"

struct flexos_hooks flexos__hooks;

int flexos_hooks_register(const struct flexos_hooks *hooks)
{
	if (hooks)
		flexos__hooks = *hooks;
	else
		memset(&flexos__hooks, 0, sizeof(flexos__hooks));
	return 0;
}
