/* Shared data: memory every compartment may touch.
 *
 * FLEXOS_SHARED on a static or global object places it in the shared region;
 * the flexos_shared_* functions manage the shared heap.  Everything else a
 * compartment writes is private to it. */
#ifndef FLEXOS_SHARED_H
#define FLEXOS_SHARED_H

#include <stddef.h>

#define FLEXOS_SHARED __attribute__((section(".flexos.shared")))

#ifdef __cplusplus
extern "C" {
#endif

/* Like malloc, calloc, realloc and free, on the shared heap.  When the shared
 * heap is exhausted they return NULL with errno set to ENOMEM.  Its size is
 * FLEXOS_SHARED_HEAP_SIZE bytes (environment; default 16 GiB of address
 * space on Linux, committed as touched, 64 MiB in a baremetal image).
 * flexos_shared_realloc and flexos_shared_free accept only NULL or pointers
 * that came from the shared heap. */
void *flexos_shared_malloc(size_t size);
void *flexos_shared_calloc(size_t count, size_t size);
void *flexos_shared_realloc(void *ptr, size_t size);
void flexos_shared_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
