/* Arguments over FLEXOS_GATE_MAX_ARG_BYTES. */
#include <flexos/flexos.h>

#include "peer.h"

long bad(void)
{
	struct bytes128 s = { { 0 } };
	struct bytes129 t = { { 0 } };

	return flexos_gate(peer, peer_take129, t) +
	       flexos_gate(peer, peer_take_many, s, 1);
}
