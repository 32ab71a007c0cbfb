/* A compartment holding a secret, for the tests of what the kernel does on
 * another compartment's behalf (reach.c). */
#include <time.h>

static char vault_secret[16] = "vault-secret-42";
static struct timespec vault_clock;

const char *vault_secret_address(void)
{
	return vault_secret;
}

struct timespec *vault_clock_address(void)
{
	return &vault_clock;
}
