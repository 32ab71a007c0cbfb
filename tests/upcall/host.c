/* upcall: a gate site in a library's own code names a function of the
 * host.  Built twice: the host exposes host_log (UPCALL_EXPOSED), and the
 * upcall runs; or it does not, and an isolating image refuses to start,
 * naming the site, where under fcall the call simply runs (the twin). */
#include <stdio.h>

#include <flexos/flexos.h>

#include "plugin.h"

static char host_key[] = "host-api-key-1234";

int host_log(const char *line)
{
	printf("host logged for the plugin: %s (key %s)\n", line, host_key);
	return 1;
}

#ifdef UPCALL_EXPOSED
FLEXOS_EXPOSE(upcall, host_log);
#endif

int main(void)
{
	printf("plugin returned %d\n", flexos_gate(plugin, plugin_run));
	return 0;
}
