/* An image larger than the memory it is given (tests/baremetal: 96 MiB
 * of static data, which the generated link step keeps in the file, on a
 * 160 MiB machine that holds the file once but not twice). */
#include <stdio.h>

char big[96u << 20];

int main(void)
{
	volatile char *p = big;

	p[sizeof(big) - 1] = 1;
	printf("big: %d\n", p[sizeof(big) - 1]);
	return 0;
}
