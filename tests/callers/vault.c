/* The vault: a compartment whose one function the host may call and the
 * plugin may not (tests/callers). */
#include <stdio.h>

#include <flexos/flexos.h>

#include "vault.h"

static char vault_key[] = "vault-key-5678";

#ifdef CALLERS_STRAY
/* Links the stray library's gate site into the image. */
int stray_log(void);
int (*const vault_stray)(void) = stray_log;
#endif

int vault_open(const char *who)
{
	printf("vault opened for %s: key %s\n", who, vault_key);
	fflush(stdout);
	return 1;
}
