/* consumer [violate|heap|any-layout]: gates into the vault's compartment
 * and checks the results; with "violate", hands the vault a pointer to
 * private data, which an isolating backend stops (exit 86) and fcall lets
 * through; with "heap", a block main allocated, which the vault reads only
 * where the sharing policy says share-heap main;
 * with "any-layout", checks the results but not where the vault runs (the
 * benchmark of flexos_explore(), which moves it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "vault.h"

static int private_value = 4321; /* private to the default compartment */

int main(int argc, char **argv)
{
	long mixed;
	unsigned where;
	int isolated = strcmp(flexos_backend_name(), "fcall") != 0;
	int any_layout = argc > 1 && !strcmp(argv[1], "any-layout");

	printf("consumer: backend %s, %u compartments (%s, %s)\n",
	       flexos_backend_name(), flexos_compartment_count(),
	       flexos_compartment_name(0), flexos_compartment_name(1));
	if (flexos_compartment_count() != 2 && !any_layout)
		return 1;

	flexos_gate_r(mixed, vault, vault_mix, 6, 7);
#ifdef CONSUMER_PLAIN_CALL
	where = vault_where(); /* flexos-gen makes it a gate */
#else
	where = flexos_gate(vault, vault_where);
#endif
	if (mixed != 1042 || (where != (isolated ? 1u : 0u) && !any_layout)) {
		printf("consumer: wrong result: mixed %ld, vault in %u\n",
		       mixed, where);
		return 1;
	}
	printf("consumer: gate ok (vault_mix = %ld, vault in compartment %u)\n",
	       mixed, where);

	if (argc > 1 && !strcmp(argv[1], "violate")) {
		int seen = flexos_gate(vault, vault_peek, &private_value);
		printf("consumer: vault read private value %d\n", seen);
	}
	if (argc > 1 && !strcmp(argv[1], "heap")) {
		int *block = malloc(sizeof(*block));
		if (!block)
			return 1;
		*block = 77;
		printf("consumer: vault read heap value %d\n",
		       flexos_gate(vault, vault_peek, block));
		free(block);
	}
	return 0;
}
