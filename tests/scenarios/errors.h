/* Errors across compartments (errors.c). */
#ifndef ERRORS_H
#define ERRORS_H

/* Runs scenario `name`: its exit status, or -1 when there is none. */
int errors(const char *name);

#endif
