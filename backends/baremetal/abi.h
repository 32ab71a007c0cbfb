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
/* function(name, uint64_t range[2], nth): the code of the nth (from 0)
 * of the program's functions named `name` (a string of at most 255
 * bytes; static functions of different files may share one),
 * [range[0], range[1]); returns 0, or -ENOENT when there are no more.  The
 * sharing policy's share-heap FUNCTION. */
#define FLEXOS_BAREMETAL_SYS_FUNCTION 1003
/* start(sealed, entries, entries_size): start-up is over; from now on the
 * kernel enforces its system-call policy (docs/baremetal.md).  The caller
 * is the default compartment: the key its PKRU lets it write besides key
 * 0 is that compartment's, and only it may later switch the runtime's
 * sealed page (the page at `sealed`) between read-only and read-write.
 * The table of entry points [entries, entries + entries_size) is fixed
 * like the program image.  Once: -EPERM after. */
#define FLEXOS_BAREMETAL_SYS_START 1004

/* Why a page fault could not be served. */
#define FLEXOS_BAREMETAL_FAULT_UNMAPPED 1 /* no mapping there */
#define FLEXOS_BAREMETAL_FAULT_GUARD 2    /* a PROT_NONE page (guard) */
#define FLEXOS_BAREMETAL_FAULT_ACCESS 3   /* mapping forbids the access */
#define FLEXOS_BAREMETAL_FAULT_PKEY 4     /* the protection key forbids it */
#define FLEXOS_BAREMETAL_FAULT_OTHER 5    /* not a page fault */
#define FLEXOS_BAREMETAL_FAULT_POLICY 6   /* a system call the policy refuses */

/* Entries of the report's backtrace and list of gates the kernel fills
 * in; a backtrace entry whose caller is TRACE_RETURN is a return address,
 * any other a gate. */
#define FLEXOS_BAREMETAL_TRACE 40
#define FLEXOS_BAREMETAL_GATES 32
#define FLEXOS_BAREMETAL_TRACE_RETURN 0xff

/* Which rule of the system-call policy a call broke. */
#define FLEXOS_BAREMETAL_POLICY_OTHERS 1 /* memory of a key the caller
					  * may not write */
#define FLEXOS_BAREMETAL_POLICY_FIXED 2  /* the program image or the
					  * runtime's sealed memory */
#define FLEXOS_BAREMETAL_POLICY_EXEC 3   /* executable memory */
#define FLEXOS_BAREMETAL_POLICY_KEY 4    /* a key the caller may not write */

struct flexos_baremetal_fault {
	uint64_t vector; /* x86 exception vector, 14 for a page fault */
	uint64_t error;  /* the CPU's error code (both 0 for reason POLICY) */
	uint64_t reason; /* FLEXOS_BAREMETAL_FAULT_* */
	uint64_t address;
	uint64_t ip, sp, bp;
	uint64_t pkru;
	uint64_t page_key; /* protection key of the page, for reason PKEY;
			    * for POLICY, of the page at `address` or the key
			    * asked for */
	/* For reason POLICY: the rule broken (FLEXOS_BAREMETAL_POLICY_*),
	 * the call's Linux number and its first four arguments. */
	uint64_t rule, call, args[4];
	/* What the report shows of the thread's stacks, found by the kernel
	 * (fault_walk.c), since the handler runs with key 0 alone: the return
	 * addresses into the program's code from the faulting stack outwards,
	 * with the gates crossed between them; then the gates the thread is
	 * inside of.  Empty before start-up. */
	uint64_t ntrace, ngates;
	struct flexos_baremetal_trace {
		uint64_t address; /* a return address, or a gate's function */
		uint8_t caller;   /* FLEXOS_BAREMETAL_TRACE_RETURN, or a gate's */
		uint8_t callee;   /* compartments */
		uint8_t unused[6];
	} trace[FLEXOS_BAREMETAL_TRACE], gates[FLEXOS_BAREMETAL_GATES];
};

/* Time stamps in nanoseconds since the kernel's first instruction. */
struct flexos_baremetal_times {
	uint64_t now;
	uint64_t user_entry; /* first instruction of the program */
	uint64_t tsc_hz;
};

#endif
