/* mpk: compartments as protection-key domains in one address space.
 *
 * Two ways to enforce the same model: hardware keys (pkey_mprotect, and
 * WRPKRU on every switch) where the CPU has PKU, and an emulation with
 * mprotect where it does not.  FLEXOS_MPK=hw|emu|auto picks one at start-up
 * (auto: hardware when pkey_alloc works). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mpk.h"

static int mpk_init(unsigned ncompartments,
		    const struct flexos_backend **variant)
{
	const struct flexos_backend *chosen;
	const char *mode = getenv("FLEXOS_MPK");

	if (flexos__learning && mode && !strcmp(mode, "hw"))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_MPK=hw: learning mode steps over accesses "
			    "with page protection; use FLEXOS_MPK=emu or auto");
	if (flexos__learning)
		chosen = &flexos_mpk__emu;
	else if (!mode || !*mode || !strcmp(mode, "auto"))
		chosen = flexos_mpk__hw_available() ? &flexos_mpk__hw
						    : &flexos_mpk__emu;
	else if (!strcmp(mode, "hw"))
		chosen = &flexos_mpk__hw;
	else if (!strcmp(mode, "emu"))
		chosen = &flexos_mpk__emu;
	else
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_MPK='%s' is not a mode: use hw, emu or "
			    "auto", mode);
	*variant = chosen;
	return chosen->init(ncompartments, variant);
}

const struct flexos_backend flexos_backend_mpk = {
	.name = "mpk",
	.flags = FLEXOS_BACKEND_PRIVATE_MEMORY,
	.init = mpk_init,
};
