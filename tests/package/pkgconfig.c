/* A single-compartment fcall program built without CMake:
 *   cc pkgconfig.c $(pkg-config --cflags --libs flexos) */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

int main(void)
{
	const char *message = flexos_strerror(FLEXOS_ENOMEM);
	char *shared = flexos_shared_malloc(64);

	if (!shared)
		return 1;
	strcpy(shared, "shared heap");
	printf("pkg-config: %s; %s; backend %s\n", message, shared,
	       flexos_backend_name());
	flexos_shared_free(shared);
	return 0;
}
