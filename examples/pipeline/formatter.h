#ifndef FORMATTER_H
#define FORMATTER_H
#include <stddef.h>
#include <stdint.h>

/* Writes one report line into out; returns its length, or -1 when it does
 * not fit.  Counts the lines it wrote. */
int formatter_line(char *out, size_t size, unsigned line, unsigned long words,
		   uint32_t sum);
unsigned formatter_count(void);
#endif
