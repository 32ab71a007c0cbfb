/* What the baremetal runtime's files share (backend.c, fault.c). */
#ifndef FLEXOS_BAREMETAL_USER_H
#define FLEXOS_BAREMETAL_USER_H

#include <stdint.h>

/* The only function of the runtime besides the gate that writes PKRU:
 * global, so that the kernel can find it by name (loader.c). */
/* The compartment protection key `key` belongs to, or -1. */
int flexos_baremetal__compartment_of_key(unsigned key);

#endif
