/* A small allocator over one fixed range of memory.
 *
 * Each compartment's private heap and the shared heap must come from ranges
 * FlexOS controls, so that the backend can protect them as a whole; general
 * purpose allocators grow with mmap wherever the kernel likes.  This one is
 * deliberately simple: power-of-two size classes, a free list per class,
 * a bump pointer for fresh blocks, one spinlock.  It wastes up to half of a
 * block; that is the price of a few dozen lines that are easy to trust. */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define MIN_CLASS 5 /* 32-byte blocks */

/* Sits right before every pointer handed out. */
struct header {
	uint8_t size_class;
	uint8_t counted; /* its flexos__heap_counts entry, or NOT_COUNTED */
	uint16_t unused;
	uint32_t magic;
	uint64_t offset; /* from the block start to the user pointer */
};
#define NOT_COUNTED 0xff

struct flexos__heap_count flexos__heap_counts[2 * FLEXOS_MAX_COMPARTMENTS];

/* Which count a block of `heap` goes to: its owner's private heap, or
 * the shared heap of the compartment that allocates. */
static unsigned count_of(const struct flexos__heap *heap)
{
	if (heap == flexos__sealed.shared_heap) {
		unsigned c = flexos__current();

		return c < FLEXOS_MAX_COMPARTMENTS ? FLEXOS_MAX_COMPARTMENTS + c
						   : NOT_COUNTED;
	}
	for (unsigned c = 0; c < FLEXOS_MAX_COMPARTMENTS; c++)
		if (flexos__sealed.heaps[c] == heap)
			return c;
	return NOT_COUNTED;
}

static void count(unsigned at, ptrdiff_t bytes)
{
	struct flexos__heap_count *n = &flexos__heap_counts[at];
	size_t now;

	if (at == NOT_COUNTED)
		return;
	now = atomic_fetch_add_explicit(&n->in_use, (size_t)bytes,
					memory_order_relaxed) +
	      (size_t)bytes;
	if (now > atomic_load_explicit(&n->peak, memory_order_relaxed))
		atomic_store_explicit(&n->peak, now, memory_order_relaxed);
}
#define HEADER_MAGIC 0xf1e805u

_Static_assert(sizeof(struct header) == 16, "header keeps 16-byte alignment");

static void lock(struct flexos__heap *heap)
{
	while (atomic_flag_test_and_set_explicit(&heap->lock,
						 memory_order_acquire))
		__builtin_ia32_pause();
}

static void unlock(struct flexos__heap *heap)
{
	atomic_flag_clear_explicit(&heap->lock, memory_order_release);
}

void flexos__heap_init(struct flexos__heap *heap, void *base, size_t size)
{
	memset(heap, 0, sizeof(*heap));
	heap->base = base;
	heap->size = size;
	atomic_flag_clear(&heap->lock);
}

static unsigned class_of(size_t bytes)
{
	unsigned c = MIN_CLASS;

	while (((size_t)1 << c) < bytes)
		c++;
	return c;
}

void *flexos__heap_alloc(struct flexos__heap *heap, size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (size > heap->size || (align & (align - 1)) != 0) {
		errno = size > heap->size ? ENOMEM : EINVAL;
		return NULL;
	}
	unsigned c = class_of(size + sizeof(struct header) + (align - 16));
	if (c >= sizeof(heap->free) / sizeof(heap->free[0])) {
		errno = ENOMEM;
		return NULL;
	}

	char *block = NULL;
	lock(heap);
	if (heap->free[c]) {
		block = heap->free[c];
		heap->free[c] = *(void **)block;
	} else if (heap->size - heap->used >= ((size_t)1 << c)) {
		block = heap->base + heap->used;
		heap->used += (size_t)1 << c;
	}
	unlock(heap);
	if (!block) {
		errno = ENOMEM;
		return NULL;
	}

	uintptr_t user = ((uintptr_t)block + sizeof(struct header) + align - 1) &
			 ~(uintptr_t)(align - 1);
	struct header *h = (struct header *)user - 1;
	h->size_class = (uint8_t)c;
	h->counted = (uint8_t)count_of(heap);
	h->magic = HEADER_MAGIC;
	h->offset = user - (uintptr_t)block;
	count(h->counted, (ptrdiff_t)1 << c);
	return (void *)user;
}

void flexos__heap_free(struct flexos__heap *heap, void *ptr)
{
	struct header *h = (struct header *)ptr - 1;

	if (h->magic != HEADER_MAGIC)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "free(%p): not a block of this heap (corrupt or "
			    "freed twice)", ptr);
	h->magic = 0;
	count(h->counted, -((ptrdiff_t)1 << h->size_class));
	char *block = (char *)ptr - h->offset;
	lock(heap);
	*(void **)block = heap->free[h->size_class];
	heap->free[h->size_class] = block;
	unlock(heap);
}

/* realloc within one heap; ptr is a block of it. */
void *flexos__heap_realloc(struct flexos__heap *heap, void *ptr, size_t size)
{
	if (size == 0) {
		flexos__heap_free(heap, ptr);
		return NULL;
	}
	size_t old = flexos__heap_usable(ptr);
	if (size <= old)
		return ptr;
	void *grown = flexos__heap_alloc(heap, size, 16);
	if (!grown)
		return NULL;
	memcpy(grown, ptr, old);
	flexos__heap_free(heap, ptr);
	return grown;
}

size_t flexos__heap_usable(void *ptr)
{
	struct header *h = (struct header *)ptr - 1;

	return ((size_t)1 << h->size_class) - h->offset;
}
