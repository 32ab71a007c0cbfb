/* kvmem: the store's own allocation helpers. */
#ifndef KVMEM_H
#define KVMEM_H

#include <stddef.h>

void *kv_memdup(const void *bytes, size_t n);

#endif
