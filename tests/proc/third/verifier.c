/* The verifier: honest, slow. */
#include <time.h>

#include "verifier.h"

int verifier_ready(void)
{
	return 1;
}

int verifier_slow_check(const char *document)
{
	struct timespec wait = { 0, 300 * 1000 * 1000 };

	(void)document;
	nanosleep(&wait, NULL);
	return 0;
}

int verifier_quick_check(const char *document)
{
	(void)document;
	return 1;
}
