/* Faults and exhaustion inside the image: each must end in a report on the
 * console and a distinct exit status, never in a silent reset.
 * Usage: faults <null|ud2|abort|stack-overflow|heap|big|touch>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

int deep_recurse(int n);

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	printf("faults: %s\n", what);
	fflush(stdout);
	if (!strcmp(what, "null"))
		return *(volatile int *)16;
	if (!strcmp(what, "ud2"))
		__asm__ volatile("ud2");
	if (!strcmp(what, "abort"))
		abort();
	if (!strcmp(what, "stack-overflow"))
		return flexos_gate(deep, deep_recurse, 100000);
	if (!strcmp(what, "heap")) {
		/* The compartment's private heap runs out: NULL, ENOMEM. */
		unsigned n = 0;
		errno = 0;
		while (malloc(1 << 20))
			n++;
		printf("heap exhausted after %u MiB: NULL, %s\n", n,
		       errno == ENOMEM ? "ENOMEM" : "no ENOMEM");
		return 0;
	}
	if (!strcmp(what, "big")) {
		/* A heap grows with the machine: twice the 48 MiB every
		 * heap had before, written through. */
		size_t size = (size_t)96 << 20;
		char *block = malloc(size);
		if (!block) {
			printf("no 96 MiB block: %s\n", strerror(errno));
			return 1;
		}
		memset(block, 7, size);
		printf("a 96 MiB block, written: %d %d\n", block[0],
		       block[size - 1]);
		free(block);
		return 0;
	}
	if (!strcmp(what, "touch")) {
		/* The machine's memory runs out before the heap does. */
		for (;;) {
			char *p = malloc(1 << 20);
			if (!p)
				return 1;
			memset(p, 1, 1 << 20);
		}
	}
	return 2;
}
