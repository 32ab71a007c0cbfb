#ifndef CHECKSUM_H
#define CHECKSUM_H
#include <stddef.h>
#include <stdint.h>

/* FNV-1a over data, continuing from state (start with CHECKSUM_START). */
#define CHECKSUM_START 2166136261u
uint32_t checksum_update(uint32_t state, const char *data, size_t len);
#endif
