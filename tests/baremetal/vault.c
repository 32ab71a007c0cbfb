/* A compartment holding a secret, for the tests of what the kernel does on
 * another compartment's behalf (reach.c). */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

/* The runtime's sealed page, which only the default compartment may
 * reprotect. */
int vault_unseal(void)
{
	extern char flexos__sealed[];

	return mprotect(flexos__sealed, 4096, PROT_READ | PROT_WRITE);
}

/* Gives the vault's own page to another compartment's key. */
long vault_give_page(int key)
{
	return syscall(SYS_pkey_mprotect,
		       (void *)((unsigned long)vault_secret & ~4095ul), 4096,
		       PROT_READ | PROT_WRITE, key);
}
