/* Positive control: every gate here is valid, including those exactly at
 * the limits, so this must compile in both forms. */
#include <flexos/flexos.h>

#include "peer.h"

int app_back(int x);

int app_back(int x)
{
	return x + 1;
}

long control(void)
{
	long r;
	struct bytes128 s128 = { { 0 } };
	struct bytes16 s16;
	double d;
	static char page[4096]; /* passes as a pointer, not as 4096 bytes */

	flexos_gate_r(r, peer, peer_sum, 1, 2);
	r += flexos_gate(peer, peer_take128, s128);
	flexos_gate_r(s16, peer, peer_give16);
	flexos_gate_r(d, peer, peer_give_double);
	r += flexos_gate(peer, peer_callback, flexos_callback(app, app_back), 3);
	flexos_gate(peer, peer_sum, 3, 4);
	r += flexos_gate(peer, peer_take_buffer, page);
	return r + s16.a + (long)d;
}
