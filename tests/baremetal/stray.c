/* An image with an instruction that writes PKRU outside the runtime's
 * gate, in a function never called: the baremetal kernel refuses to boot
 * it (loader.c), and on Linux it does not start on hardware keys
 * (libflexos/pkru_sites.c), since a jump there would open every key.
 * STRAY_XRSTOR builds the XRSTOR twin. */
#include <stdio.h>

__attribute__((used)) void stray_pkru_write(void)
{
#ifdef STRAY_XRSTOR
	__asm__ volatile(".byte 0x0f, 0xae, 0x2f"); /* xrstor (%rdi) */
#else
	__asm__ volatile(".byte 0x0f, 0x01, 0xef"); /* wrpkru */
#endif
}

int main(void)
{
	puts("booted");
	return 0;
}
