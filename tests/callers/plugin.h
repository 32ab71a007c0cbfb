#ifndef CALLERS_PLUGIN_H
#define CALLERS_PLUGIN_H

#include <stdint.h>

/* The host's logger, which the plugin's own code calls through a gate. */
int host_log(const char *line);
/* Logs a line through the host: host_log's result. */
int plugin_run(void);

/* The plugin, compromised, calls `fn` (the vault's function, whose only
 * gate site is the host's):
 *   PLUGIN_RECORD   through the host's record, with a stub of its own;
 *   PLUGIN_RAW      on proc, asking the vault's process directly, past
 *                   its own process's check;
 *   PLUGIN_CLAIMED  on hardware keys, by a jump to the gate's switch that
 *                   claims to come from the host, which the record
 *                   admits, with a guess at the secret the host shares
 *                   with the vault.
 * Where there is no such gate (fcall), it calls fn itself. */
enum plugin_route { PLUGIN_RECORD, PLUGIN_RAW, PLUGIN_CLAIMED };
int plugin_steal(uintptr_t fn, int route);

#endif
