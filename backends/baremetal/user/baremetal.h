/* Private to the baremetal backend's runtime half (linked into the
 * program, built against musl). */
#ifndef FLEXOS_BAREMETAL_H
#define FLEXOS_BAREMETAL_H

#include <stdint.h>

#include "gate_frame.h"
#include "internal.h"

/* PKRU letting the calling thread touch `compartment` (and key 0) only. */
uint32_t flexos_baremetal__pkru_of(unsigned compartment);
/* Remembers `value` as the calling thread's PKRU and writes it, unless it
 * is already the value: under TCG each write flushes QEMU's TLB. */
void flexos_baremetal__set_pkru(uint32_t value);
/* Remembers `value` as the calling thread's PKRU, which the gate
 * trampoline is about to write itself. */
void flexos_baremetal__set_pkru_state(uint32_t value);
/* The calling thread's PKRU as last written: read and written by the
 * gate's fast path. */
extern __thread uint32_t flexos_baremetal__pkru;

/* Where a gate's arguments and results wait while PKRU changes (key 0). */
struct flexos_baremetal__xfer {
	char stack_args[GATE_STACK_ARGS];
	struct flexos__gate_frame frame;
};
extern __thread struct flexos_baremetal__xfer flexos_baremetal__xfer;

#endif
