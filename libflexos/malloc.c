/* malloc & co. for compartmentalized code, on every backend.
 *
 * A call made by the program's own code is served from the private heap of
 * the compartment the thread runs in, or from the shared heap when the
 * sharing policy names its allocation site (allocation_site.c).  A call
 * that belongs to the TCB (the C library allocating a stdio buffer, a
 * shared library) is served by the C library's allocator, reachable from
 * every compartment: otherwise
 * stdout's buffer would belong to whichever compartment printed first.
 * Which calls those are is the platform's to say (flexos__tcb_allocate):
 * the Linux runtime tells them apart by their return address
 * (malloc_glibc.c); inside a baremetal image every call is the program's
 * (backends/baremetal/user/malloc_musl.c).  A pointer of no heap of ours
 * came from the C library's allocator and goes back to it. */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CALLER __builtin_return_address(0)

/* Decided by the sealed ranges alone: another compartment's heap state
 * may not be readable. */
static struct flexos__heap *owning_heap(const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;

	if (p >= flexos__sealed.shared_start && p < flexos__sealed.shared_end)
		return flexos__sealed.shared_heap;
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		uintptr_t heap = (uintptr_t)flexos__sealed.heaps[c];

		if (heap && p >= heap + FLEXOS__PAGE &&
		    p < heap + FLEXOS__HEAP_SIZE)
			return flexos__sealed.heaps[c];
	}
	return NULL;
}

/* An allocation of the program's, returning to `caller`. */
static void *allocate_private(const void *caller, size_t size, size_t align)
{
	struct flexos__heap *heap = flexos__sealed.heaps[flexos__current()];
	struct flexos__site site;
	void *ptr;

	if (!flexos__learning && !flexos__policy_shares_heap())
		return flexos__heap_alloc(heap, size, align);
	/* The sharing policy names the sites whose memory crosses. */
	flexos__allocation_site((uintptr_t)caller, &site);
	if (flexos__policy_shared_site(site.code))
		return flexos__heap_alloc(flexos__sealed.shared_heap, size,
					  align);
	ptr = flexos__heap_alloc(heap, size, align);
	if (flexos__learning)
		flexos__learn_allocated(ptr, size, &site);
	return ptr;
}

static void *allocate(const void *caller, size_t size, size_t align)
{
	void *ptr;

	if (flexos__tcb_allocate(caller, size, align, false, &ptr))
		return ptr;
	return allocate_private(caller, size, align);
}

void *malloc(size_t size)
{
	return allocate(CALLER, size, 16);
}

void *calloc(size_t count, size_t size)
{
	size_t bytes;
	void *ptr;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	/* The C library's calloc knows which of its blocks are zero already. */
	if (flexos__tcb_allocate(CALLER, bytes, 16, true, &ptr))
		return ptr;
	/* Not malloc(): GCC would fuse malloc and memset back into calloc. */
	ptr = allocate_private(CALLER, bytes, 16);
	if (ptr)
		memset(ptr, 0, bytes);
	return ptr;
}

/* Learning mode: the program frees or reallocates a block of the private
 * heap of a compartment it does not reach (libjpeg's jpeg_mem_dest hands
 * its caller a buffer to free).  That is recorded as a write to the
 * block, so that the learned policy shares it, and done with the owner
 * open rather than faulting at every word of the heap's state, which
 * names nothing.  Returns the compartment opened, or -1. */
static int open_foreign_block(const struct flexos__heap *heap, void *ptr,
			      const void *caller)
{
	uint32_t reach = flexos__sealed.reach[flexos__current()];

	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		if (flexos__sealed.heaps[c] != heap || reach & 1u << c)
			continue;
		flexos__learn_foreign_block((uintptr_t)ptr, c,
					    (uintptr_t)caller);
		flexos__grant(c);
		return (int)c;
	}
	return -1;
}

static void close_foreign_block(int opened)
{
	if (opened >= 0)
		flexos__revoke((unsigned)opened);
}

void free(void *ptr)
{
	struct flexos__heap *heap;

	if (!ptr)
		return;
	heap = owning_heap(ptr);
	if (!heap) {
		__libc_free(ptr);
		return;
	}
	if (!flexos__learning) {
		flexos__heap_free(heap, ptr);
		return;
	}
	int opened = open_foreign_block(heap, ptr, CALLER);
	flexos__learn_freed(ptr);
	flexos__heap_free(heap, ptr);
	close_foreign_block(opened);
}

void *realloc(void *ptr, size_t size)
{
	struct flexos__heap *heap;

	if (!ptr)
		return allocate(CALLER, size, 16);
	heap = owning_heap(ptr);
	if (!heap)
		return __libc_realloc(ptr, size);
	if (!flexos__learning)
		return flexos__heap_realloc(heap, ptr, size);
	int opened = open_foreign_block(heap, ptr, CALLER);
	void *moved = flexos__heap_realloc(heap, ptr, size);
	if (moved)
		flexos__learn_moved(ptr, moved, size);
	close_foreign_block(opened);
	return moved;
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	void *ptr = allocate(CALLER, size, align);
	if (!ptr)
		return ENOMEM;
	*out = ptr;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	return allocate(CALLER, size, align);
}

void *memalign(size_t align, size_t size)
{
	return allocate(CALLER, size, align);
}

size_t malloc_usable_size(void *ptr)
{
	if (!ptr)
		return 0;
	struct flexos__heap *heap = owning_heap(ptr);

	if (heap)
		return flexos__heap_usable(heap, ptr);
	return flexos__libc_usable_size(ptr);
}

static char *duplicate(const void *caller, const char *s, size_t len)
{
	char *copy = allocate(caller, len + 1, 16);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *strdup(const char *s)
{
	return duplicate(CALLER, s, strlen(s));
}

char *strndup(const char *s, size_t max)
{
	return duplicate(CALLER, s, strnlen(s, max));
}

/* The C library's functions that allocate for their caller: its own calls
 * of malloc would be the TCB's (malloc_glibc.c), so the block would be
 * served from the C library's heap, which every compartment reaches. */
static int format(const void *caller, char **out, const char *fmt,
		  va_list args)
{
	va_list again;
	int length;

	va_copy(again, args);
	length = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (length < 0)
		return -1;
	*out = allocate(caller, (size_t)length + 1, 16);
	if (!*out)
		return -1;
	return vsnprintf(*out, (size_t)length + 1, fmt, args);
}

int vasprintf(char **out, const char *fmt, va_list args)
{
	return format(CALLER, out, fmt, args);
}

int asprintf(char **out, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	int length = format(CALLER, out, fmt, args);
	va_end(args);
	return length;
}

static ssize_t read_delimited(const void *caller, char **line, size_t *size,
			      int delimiter, FILE *stream)
{
	size_t used = 0;
	int c;

	if (!line || !size || !stream) {
		errno = EINVAL;
		return -1;
	}
	if (!*line)
		*size = 0;
	flockfile(stream);
	do {
		c = getc_unlocked(stream);
		if (c == EOF && !used)
			break;
		if (used + 2 > *size) {
			size_t grown = *size < 120 ? 120 : 2 * *size;
			char *moved = *line ? realloc(*line, grown)
					    : allocate(caller, grown, 16);
			if (!moved) {
				funlockfile(stream);
				return -1;
			}
			*line = moved;
			*size = grown;
		}
		if (c != EOF)
			(*line)[used++] = (char)c;
	} while (c != EOF && c != delimiter);
	funlockfile(stream);
	if (!used)
		return -1; /* end of file, or an error the stream keeps */
	(*line)[used] = '\0';
	return (ssize_t)used;
}

ssize_t getdelim(char **line, size_t *size, int delimiter, FILE *stream)
{
	return read_delimited(CALLER, line, size, delimiter, stream);
}

ssize_t getline(char **line, size_t *size, FILE *stream)
{
	return read_delimited(CALLER, line, size, '\n', stream);
}

/* What glibc's <stdio.h> makes of getline when optimizing (an inline
 * that calls it). */
ssize_t __getdelim(char **line, size_t *size, int delimiter, FILE *stream);
ssize_t __getdelim(char **line, size_t *size, int delimiter, FILE *stream)
{
	return read_delimited(CALLER, line, size, delimiter, stream);
}
