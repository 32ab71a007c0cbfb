/* A tiny library that the consumer image puts in its own compartment. */
#include <flexos/flexos.h>

#include "vault.h"

static long state = 1000; /* private to the vault's compartment */

long vault_mix(long x, long y)
{
	state += x * y;
	return state;
}

unsigned vault_where(void)
{
	return flexos_current_compartment();
}

int vault_peek(const int *p)
{
	return *p;
}
