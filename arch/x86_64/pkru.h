/* The protection-key rights register of x86-64 (PKRU). */
#ifndef FLEXOS_ARCH_PKRU_H
#define FLEXOS_ARCH_PKRU_H

#include <stdint.h>

/* Access-disable and write-disable bits of one key. */
#define PKRU_KEY_BITS(key) (3u << (2 * (key)))

static inline void flexos__wrpkru(uint32_t value)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" /* wrpkru */
			 :
			 : "a"(value), "c"(0), "d"(0)
			 : "memory");
}

static inline uint32_t flexos__rdpkru(void)
{
	uint32_t value, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" /* rdpkru */
			 : "=a"(value), "=d"(edx)
			 : "c"(0));
	return value;
}

#endif
