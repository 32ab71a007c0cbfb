#include <stdio.h>

#include "formatter.h"

static unsigned lines;

int formatter_line(char *out, size_t size, unsigned line, unsigned long words,
		   uint32_t sum)
{
	int n = snprintf(out, size, "line %5u: %6lu words, checksum %08x\n",
			 line, words, (unsigned)sum);

	if (n < 0 || (size_t)n >= size)
		return -1;
	lines++;
	return n;
}

unsigned formatter_count(void)
{
	return lines;
}
