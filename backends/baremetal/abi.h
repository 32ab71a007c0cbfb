/* What the baremetal kernel and the runtime linked into the program agree
 * on, beyond the Linux system calls the kernel serves: a few calls of its
 * own (numbers far above Linux's) and the fault report it hands to the
 * runtime.  Compiled into both; keep it free of either side's headers. */
#ifndef FLEXOS_BAREMETAL_ABI_H
#define FLEXOS_BAREMETAL_ABI_H

#include <stdint.h>

/* fault_handler(handler, stack_top): from now on a fault of the program
 * (an exception from ring 3 that is not a page to fill in on demand)
 * resumes in ring 3 at handler(struct flexos_baremetal_fault *), on the
 * given stack, instead of stopping the machine.  Once: a fault inside the
 * handler stops the machine with the kernel's own report. */
#define FLEXOS_BAREMETAL_SYS_FAULT_HANDLER 1000
/* symbol(address, buffer, size): "name+0xoffset" of the program symbol
 * (function or object) containing address; returns its length, or
 * -ENOENT. */
#define FLEXOS_BAREMETAL_SYS_SYMBOL 1001
/* boot_times(struct flexos_baremetal_times *): when the machine started
 * what, for benchmarks. */
#define FLEXOS_BAREMETAL_SYS_BOOT_TIMES 1002
/* function(name, uint64_t range[2]): the code of the program's function
 * `name` (a string of at most 255 bytes), [range[0], range[1]); returns 0,
 * or -ENOENT.  The sharing policy's share-heap FUNCTION. */
#define FLEXOS_BAREMETAL_SYS_FUNCTION 1003

/* Why a page fault could not be served. */
#define FLEXOS_BAREMETAL_FAULT_UNMAPPED 1 /* no mapping there */
#define FLEXOS_BAREMETAL_FAULT_GUARD 2    /* a PROT_NONE page (guard) */
#define FLEXOS_BAREMETAL_FAULT_ACCESS 3   /* mapping forbids the access */
#define FLEXOS_BAREMETAL_FAULT_PKEY 4     /* the protection key forbids it */
#define FLEXOS_BAREMETAL_FAULT_OTHER 5    /* not a page fault */

struct flexos_baremetal_fault {
	uint64_t vector; /* x86 exception vector, 14 for a page fault */
	uint64_t error;  /* the CPU's error code */
	uint64_t reason; /* FLEXOS_BAREMETAL_FAULT_* */
	uint64_t address;
	uint64_t ip, sp, bp;
	uint64_t pkru;
	uint64_t page_key; /* protection key of the page, for reason PKEY */
};

/* Time stamps in nanoseconds since the kernel's first instruction. */
struct flexos_baremetal_times {
	uint64_t now;
	uint64_t user_entry; /* first instruction of the program */
	uint64_t tsc_hz;
};

#endif
