/* baremetal: compartments as protection-key domains, with the keys in the
 * page tables of our own kernel (backends/baremetal/kernel).  The program
 * asks the kernel for keys and for tagged memory with the Linux calls
 * pkey_alloc and pkey_mprotect, and switches with WRPKRU in the gate only,
 * as mpk/hw does on Linux; the kernel keeps itself out of reach
 * (supervisor pages), and opens every key for the fault report itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../abi.h"
#include "baremetal.h"
#include "internal.h"
#include "pkru.h"

static int keys[FLEXOS_MAX_COMPARTMENTS];

static int bm_init(unsigned ncompartments,
		   const struct flexos_backend **variant)
{
	uint32_t all_closed = 0; /* every compartment's key denied */

	(void)variant;
	for (unsigned c = 0; c < ncompartments; c++) {
		keys[c] = (int)syscall(SYS_pkey_alloc, 0, 0);
		if (keys[c] < 0 && errno == ENOSPC)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s' has %u compartments but the "
				    "CPU offers only %u protection keys",
				    flexos__rt.image->name, ncompartments, c);
		if (keys[c] < 0)
			return FLEXOS_EBACKEND;
		all_closed |= PKRU_KEY_BITS(keys[c]);
	}
	flexos__pkru_gate_use(keys, ncompartments, all_closed);
	return 0;
}

/* A compartment's arena also gets a guard page at the bottom of each
 * thread stack: a compartment running off its stack faults there, with a
 * report, instead of writing over the heap below. */
static int bm_assign(unsigned compartment, void *start, size_t len)
{
	char *arena = flexos__rt.compartments[compartment].arena;

	if (syscall(SYS_pkey_mprotect, start, len, PROT_READ | PROT_WRITE,
		    keys[compartment]) != 0)
		return -errno;
	if (start != arena)
		return 0;
	for (unsigned slot = 0; slot < FLEXOS__STACK_SLOTS; slot++)
		if (mprotect(arena + FLEXOS__HEAP_SIZE +
				     (size_t)slot * FLEXOS__STACK_SIZE,
			     FLEXOS__PAGE, PROT_NONE) != 0)
			return -errno;
	return 0;
}

/* Start-up is over, and the main thread is in the default compartment:
 * from now on the kernel holds every compartment to its system-call
 * policy, the sealed page and the table of entry points included. */
static int bm_start(void)
{
	if (syscall(FLEXOS_BAREMETAL_SYS_START, &flexos__sealed,
		    flexos__sealed.entries, flexos__sealed.entry_bytes) != 0)
		return -errno;
	return 0;
}

int flexos_baremetal__compartment_of_key(unsigned key)
{
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (keys[c] == (int)key)
			return (int)c;
	return -1;
}

const struct flexos_backend flexos_backend_baremetal = {
	.name = "baremetal",
	.flags = FLEXOS_BACKEND_PRIVATE_MEMORY,
	.init = bm_init,
	.assign = bm_assign,
	.start = bm_start,
	.thread_start = flexos__pkru_thread_start,
};
