/* A library of the vault's own, which the build lists in no compartment:
 * its gate site's record lies in an object of no compartment, which
 * start-up refuses (tests/callers, variant "stray"). */
#include <flexos/gate.h>

/* Not a part of the image: it declares the host's token itself. */
extern const struct flexos_library flexos_lib_callers;
int host_log(const char *line);
int stray_log(void);

int stray_log(void)
{
	return flexos_gate(callers, host_log, "stray");
}
