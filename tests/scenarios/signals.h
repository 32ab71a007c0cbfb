/* Signal scenarios (signals.c). */
#ifndef SIGNALS_H
#define SIGNALS_H

/* Runs scenario `name`: its exit status, or -1 when there is none. */
int signals(const char *name);

#endif
