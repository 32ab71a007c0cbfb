/* A plugin whose own code calls back into its host by name: an upcall,
 * which its host must expose for the image to start (tests/upcall). */
#include <flexos/flexos.h>

#include "plugin.h"

int plugin_run(void)
{
	return flexos_gate(upcall, host_log, "plugin started");
}
