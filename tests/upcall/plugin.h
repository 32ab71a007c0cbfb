#ifndef UPCALL_PLUGIN_H
#define UPCALL_PLUGIN_H

/* The host's logger, which the plugin's own code calls through a gate. */
int host_log(const char *line);
/* Logs a line through the host: host_log's result. */
int plugin_run(void);

#endif
