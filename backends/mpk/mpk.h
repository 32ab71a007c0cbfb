/* The two variants of the mpk backend; private to backends/mpk. */
#ifndef FLEXOS_MPK_H
#define FLEXOS_MPK_H

#include <stdbool.h>

#include <flexos/backend.h>

extern const struct flexos_backend flexos_mpk__hw;
extern const struct flexos_backend flexos_mpk__emu;

bool flexos_mpk__hw_available(void);

#endif
