/* A result over 16 bytes (returned through caller memory). */
#include <flexos/flexos.h>

#include "peer.h"

long bad(void)
{
	struct bytes24 r;

	flexos_gate_r(r, peer, peer_give24);
	return r.a;
}
