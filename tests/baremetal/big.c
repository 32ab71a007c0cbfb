/* An image larger than the memory it is given (tests/baremetal: 96 MiB
 * of zero-filled static data, which the loader maps whole before the
 * program starts, on a 96 MiB machine). */
#include <stdio.h>

char big[96u << 20];

int main(void)
{
	volatile char *p = big;

	p[sizeof(big) - 1] = 1;
	printf("big: %d\n", p[sizeof(big) - 1]);
	return 0;
}
