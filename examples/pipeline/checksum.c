#include "checksum.h"

uint32_t checksum_update(uint32_t state, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		state = (state ^ (unsigned char)data[i]) * 16777619u;
	return state;
}
