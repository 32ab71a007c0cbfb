/* callers [upcall|vault-record|vault-raw|vault-claimed]: who may call
 * through a gate site (decision 45).  Three compartments: the host, a
 * plugin and a vault.
 *   upcall         the plugin's own gate site names host_log.  Built
 *                  twice: the host exposes host_log (CALLERS_EXPOSED) and
 *                  the upcall runs; or it does not, and an isolating
 *                  image refuses to start, naming the site, where under
 *                  fcall the call simply runs (the twin);
 *   vault-record   the host's own gate site names vault_open, which
 *                  the plugin, compromised, calls through that site's
 *                  record: refused, as the site admits the host alone;
 *   vault-raw      the same on proc, asking the vault's process directly;
 *   vault-claimed  the same on hardware keys, by a jump to the gate's
 *                  switch claiming to be the host, without the secret.
 * Under fcall the plugin opens the vault each time. */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "plugin.h"
#include "vault.h"

static char host_key[] = "host-api-key-1234";

int host_log(const char *line)
{
	printf("host logged for the plugin: %s (key %s)\n", line, host_key);
	return 1;
}

#ifdef CALLERS_EXPOSED
FLEXOS_EXPOSE(callers, host_log);
#endif

int main(int argc, char **argv)
{
	static const char *const routes[] = { "vault-record", "vault-raw",
					      "vault-claimed" };
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "upcall")) {
		printf("plugin returned %d\n", flexos_gate(plugin, plugin_run));
		return 0;
	}
	for (int route = 0; route < 3; route++)
		if (!strcmp(mode, routes[route])) {
			flexos_gate(vault, vault_open, "the host");
			printf("the plugin's theft returned %d\n",
			       flexos_gate(plugin, plugin_steal,
					   (uintptr_t)vault_open, route));
			return 0;
		}
	fprintf(stderr, "usage: callers upcall|vault-record|vault-raw|"
			"vault-claimed\n");
	return 2;
}
