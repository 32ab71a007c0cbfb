/* mpk on hardware protection keys: one key per compartment, memory tagged
 * with pkey_mprotect, and a switch is one WRPKRU of the calling thread,
 * in the gate (arch/x86_64/pkru_gate.S) and nowhere else in C: no grant or
 * revoke a compartment could call.  Key 0 stays open to everybody: the
 * TCB, the shared region, the C library's memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "internal.h"
#include "mpk.h"
#include "pkru.h"

#ifndef HWCAP2_FSGSBASE /* <asm/hwcap2.h> */
#define HWCAP2_FSGSBASE (1 << 1)
#endif
#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

/* Linux's default PKRU: every key but 0 access-disabled. */
#define PKRU_DEFAULT 0x55555554u

static int keys[FLEXOS_MAX_COMPARTMENTS];

/* The gate puts the caller's thread pointer back with WRFSBASE, which
 * Linux lets programs use from 5.9 on. */
static bool fsgsbase_available(void)
{
	return getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
}

bool flexos_mpk__hw_available(void)
{
	if (!fsgsbase_available())
		return false;
	int key = pkey_alloc(0, 0);

	if (key < 0)
		return false;
	pkey_free(key);
	return true;
}

static int hw_init(unsigned ncompartments,
		   const struct flexos_backend **variant)
{
	uint32_t all_closed = PKRU_DEFAULT; /* every compartment's key denied */

	(void)variant;
	flexos__pkru_sites_disarm();
	for (unsigned c = 0; c < ncompartments; c++) {
		keys[c] = pkey_alloc(0, 0);
		if (keys[c] >= 0) {
			all_closed |= PKRU_KEY_BITS(keys[c]);
			continue;
		}
		if (errno == ENOSPC)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s' has %u compartments but the "
				    "CPU offers only %u protection keys",
				    flexos__rt.image->name, ncompartments, c);
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_MPK=hw: no protection keys on this "
			    "machine (pkey_alloc: %s); use FLEXOS_MPK=emu",
			    strerror(errno));
	}
	/* After the keys: without them, that is what to say. */
	if (!fsgsbase_available())
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_MPK=hw: this kernel does not let programs "
			    "use the FSGSBASE instructions the gate needs "
			    "(Linux 5.9 and later do, where the CPU has them); "
			    "use FLEXOS_MPK=emu");
	flexos__pkru_gate_use(keys, ncompartments, all_closed);
	return 0;
}

static int hw_assign(unsigned compartment, void *start, size_t len)
{
	if (pkey_mprotect(start, len, PROT_READ | PROT_WRITE,
			  keys[compartment]) != 0)
		return -errno;
	return 0;
}

static bool hw_is_isolation_fault(const siginfo_t *info)
{
	return info->si_code == SEGV_PKUERR;
}

const struct flexos_backend flexos_mpk__hw = {
	.name = "mpk/hw",
	.flags = FLEXOS_BACKEND_PRIVATE_MEMORY,
	.init = hw_init,
	.assign = hw_assign,
	.start = flexos__syscall_policy_install,
	.thread_start = flexos__pkru_thread_start,
	.is_isolation_fault = hw_is_isolation_fault,
};
