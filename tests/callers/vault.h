#ifndef CALLERS_VAULT_H
#define CALLERS_VAULT_H

/* Prints the vault's key, which only the vault's compartment can read:
 * for the host alone, whose own gate site names it. */
int vault_open(const char *who);

#endif
