/* The zero-fill test (tests/CMakeLists.txt): each compartment has
 * zero-initialised static data, the "zeros" compartment 64 MiB of it.
 * Usage: zerofill <case>:
 *   host-reads-zeros  the zeros compartment checks and writes its array
 *                     ("zeros touched: 7"), then this one reads it
 *   zeros-reads-host  the zeros compartment reads this one's
 * Each read prints the value under fcall and stops with the fault report
 * under an isolating backend. */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "zeros.h"

/* Zero-initialised: the .bss of this, the default, compartment. */
static char host_zeros[4096];

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";
	int value;

	printf("backend %s, %u compartments\n", flexos_backend_name(),
	       flexos_compartment_count());
	if (!strcmp(name, "host-reads-zeros")) {
		flexos_gate_r(value, zeros, zeros_touch);
		printf("zeros touched: %d\n", value);
		fflush(stdout);
		const char *z = flexos_gate(zeros, zeros_array);
		printf("host read zeros: %d\n", z[ZEROS_SIZE - 1]);
		return 0;
	}
	if (!strcmp(name, "zeros-reads-host")) {
		flexos_gate_r(value, zeros, zeros_read, &host_zeros[1]);
		printf("zeros read host: %d\n", value);
		return 0;
	}
	fprintf(stderr, "usage: zerofill host-reads-zeros | zeros-reads-host\n");
	return 2;
}
