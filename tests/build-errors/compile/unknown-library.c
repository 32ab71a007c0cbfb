/* A gate naming a library the image does not have. */
#include <flexos/flexos.h>

#include "peer.h"

long bad(void)
{
	return flexos_gate(nosuchlib, peer_sum, 1, 2);
}
