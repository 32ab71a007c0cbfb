/* Which byte sequences write PKRU, for the three places that look for them
 * in code: flexos-gen (compartments' objects), the baremetal loader (the
 * whole image) and the runtime on Linux (every executable mapping).  A
 * jump may land inside an instruction, so every byte offset counts. */
#ifndef FLEXOS_ARCH_PKRU_WRITE_H
#define FLEXOS_ARCH_PKRU_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* "WRPKRU" (0f 01 ef) or "XRSTOR" (0f ae /5 with a memory operand, which
 * loads PKRU where XSAVE manages it) when the `left` bytes at `b` begin
 * with one, else NULL.  XRSTORS runs in ring 0 only. */
static inline const char *flexos_arch__pkru_write(const uint8_t *b,
						  size_t left)
{
	if (left < 3 || b[0] != 0x0f)
		return NULL;
	if (b[1] == 0x01 && b[2] == 0xef)
		return "WRPKRU";
	if (b[1] == 0xae && (b[2] >> 3 & 7) == 5 && b[2] >> 6 != 3)
		return "XRSTOR";
	return NULL;
}

#endif
