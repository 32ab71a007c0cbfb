#ifndef VAULT_H
#define VAULT_H
/* Returns a checksum of the vault's private state mixed with `x`. */
long vault_mix(long x, long y);
/* Returns the compartment the vault runs in. */
unsigned vault_where(void);
/* Reads *p: a pointer into the caller's private memory is a violation. */
int vault_peek(const int *p);
#endif
