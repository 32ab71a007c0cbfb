/* An image with sixteen compartments: one more than the fifteen protection
 * keys x86-64 gives programs.  Emulated keys have no such limit, so the
 * image runs there; on hardware keys it must refuse to start. */
#include <stdio.h>

#include <flexos/flexos.h>

#define MEMBERS(X)                                                            \
	X(m1) X(m2) X(m3) X(m4) X(m5) X(m6) X(m7) X(m8) X(m9) X(m10) X(m11)   \
		X(m12) X(m13) X(m14) X(m15)

#define DECLARE(name) int name(void);
MEMBERS(DECLARE)

int main(void)
{
	int total = 0;

#define CALL(name) total += flexos_gate(name, name);
	MEMBERS(CALL)
	printf("%u compartments, %d gates answered\n",
	       flexos_compartment_count(), total);
	return total == 15 ? 0 : 1;
}
