/* A long double result (returned in x87 registers). */
#include <flexos/flexos.h>

#include "peer.h"

long double bad(void)
{
	return flexos_gate(peer, peer_give_long_double);
}
