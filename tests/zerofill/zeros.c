#include "zeros.h"

/* Zero-initialised: .bss, which must stay out of the image file. */
static char zeros[ZEROS_SIZE];

int zeros_touch(void)
{
	volatile char *z = zeros;

	if (z[0] || z[ZEROS_SIZE - 1])
		return -1;
	z[ZEROS_SIZE - 1] = 7;
	return z[ZEROS_SIZE - 1];
}

const char *zeros_array(void)
{
	return zeros;
}

int zeros_read(const char *p)
{
	return *p;
}
