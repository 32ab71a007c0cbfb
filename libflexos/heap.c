/* A small allocator over one fixed range of memory.
 *
 * Each compartment's private heap and the shared heap must come from ranges
 * FlexOS controls, so that the backend can protect them as a whole; general
 * purpose allocators grow with mmap wherever the kernel likes.  This one is
 * deliberately simple: size classes (multiples of 16 bytes up to 128, then
 * eight a power of two, so that a fresh block wastes at most an eighth of
 * itself, one from the next class's free list a quarter: a 33 KiB request
 * takes 36 KiB, not 64), a free list per class, a bump pointer for fresh
 * blocks, one spinlock.  The range is reserved
 * address space whose pages are committed when first touched, so the part
 * of a block nobody touches costs no memory.  A freed block that ends at
 * the bump pointer lowers it instead of joining a free list: its pages then
 * serve the next block of any size (the multi-MiB buffer a program frees
 * and allocates again at another size), where a free list would keep them
 * for its own class and leave the next buffer fresh pages.  Other freed
 * blocks keep their pages for the next block of their class: the allocator
 * never gives pages back (decision 33: madvise is a call the system-call
 * policy refuses compartments on the arenas, and the runtime's own
 * instruction must not be able to drop another compartment's pages).  A
 * buddy variant (splitting and merging large blocks) measured slower and
 * larger on tests/bench/alloc.c: mixed sizes kept its blocks apart. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Memory debuggers, on fcall (tools.c): valgrind learns the heap's blocks
 * as malloc's (the part nobody has used yet is no memory to it, so that
 * its leak check does not read 16 GiB), and LeakSanitizer scans the used
 * part for pointers.  Not in a baremetal image: no such tool runs there. */
#ifdef FLEXOS__BAREMETAL
#define VALGRIND(request) ((void)0)
#else
#include <valgrind/memcheck.h>
#define VALGRIND(request)                          \
	do {                                       \
		if (flexos__sealed.tools.valgrind) \
			request;                   \
	} while (0)
#endif

#define SMALL_CLASSES 7 /* 32, 48, ..., 128 bytes */
#define STEPS_SHIFT 3     /* 8 classes from one power of two to the next */
#define STEPS (1u << STEPS_SHIFT)
#define REUSE 2 /* classes whose free blocks serve a request, from its own */
#define NCLASSES FLEXOS__HEAP_CLASSES

/* The bytes of a block of class c: past the small classes, 2^power plus
 * one to STEPS steps of 2^(power - STEPS_SHIFT), from 144 bytes (128 + 16,
 * so that every block stays a multiple of 16).  A table, read-only like
 * the code: a malloc/free pair asks it four times, and computing it each
 * time was a sixth of the pair's instructions (cachegrind). */
#define STEP(p, j) (((size_t)1 << (p)) + (j) * ((size_t)1 << ((p) - STEPS_SHIFT)))
#define POWER(p)                                                          \
	STEP(p, 1), STEP(p, 2), STEP(p, 3), STEP(p, 4), STEP(p, 5),       \
		STEP(p, 6), STEP(p, 7), STEP(p, 8)
static const size_t class_sizes[] = {
	32,        48,        64,        80,        96,        112,
	128,       POWER(7),  POWER(8),  POWER(9),  POWER(10), POWER(11),
	POWER(12), POWER(13), POWER(14), POWER(15), POWER(16), POWER(17),
	POWER(18), POWER(19), POWER(20), POWER(21), POWER(22), POWER(23),
	POWER(24), POWER(25), POWER(26), POWER(27), POWER(28), POWER(29),
	POWER(30), POWER(31), POWER(32), POWER(33), POWER(34), POWER(35),
	STEP(36, 1),
};
_Static_assert(STEPS == 8, "POWER() spells out eight steps");
_Static_assert(sizeof(class_sizes) / sizeof(class_sizes[0]) == NCLASSES,
	       "a size for every class");

static size_t class_size(unsigned c)
{
	return class_sizes[c];
}

/* The smallest class whose blocks hold `bytes`. */
static unsigned class_of(size_t bytes)
{
	if (bytes <= 128)
		return bytes <= 32 ? 0 : (unsigned)((bytes - 32 + 15) / 16);
	unsigned power = 63 - (unsigned)__builtin_clzl(bytes - 1);
	size_t step = (size_t)1 << (power - STEPS_SHIFT);
	size_t steps = (bytes - ((size_t)1 << power) + step - 1) / step;

	return SMALL_CLASSES + (power - 7) * STEPS + (unsigned)steps - 1;
}

/* Sits right before every pointer handed out. */
struct header {
	uint8_t size_class;
	uint8_t counted; /* its flexos__heap_counts entry, or NOT_COUNTED */
	uint16_t unused;
	uint32_t magic;
	uint64_t offset; /* from the block start to the user pointer */
};
#define NOT_COUNTED 0xff
#define HEADER_MAGIC 0xf1e805u

_Static_assert(sizeof(struct header) == 16, "header keeps 16-byte alignment");

struct flexos__heap_count flexos__heap_counts[2 * FLEXOS_MAX_COMPARTMENTS];

/* Whose `heap` is, from the sealed page: a compartment's private heap,
 * SHARED for the shared heap, or NOBODY (a heap of no image: unit tests,
 * or before start-up). */
#define SHARED FLEXOS_MAX_COMPARTMENTS
#define NOBODY (FLEXOS_MAX_COMPARTMENTS + 1)

static unsigned owner_of(const struct flexos__heap *heap)
{
	if (heap == flexos__sealed.shared_heap)
		return SHARED;
	for (unsigned c = 0; c < FLEXOS_MAX_COMPARTMENTS; c++)
		if (flexos__sealed.heaps[c] == heap)
			return c;
	return NOBODY;
}

/* Which count a block of a heap of `owner` goes to: the owner's private
 * heap, or the shared heap of the compartment that allocates. */
static unsigned count_of(unsigned owner)
{
	/* Two atomic updates per block are for FLEXOS_STATS alone. */
	if (!flexos__stats_on || owner == NOBODY)
		return NOT_COUNTED;
	unsigned c = owner == SHARED ? flexos__current() : owner;

	if (c >= FLEXOS_MAX_COMPARTMENTS)
		return NOT_COUNTED;
	return owner == SHARED ? FLEXOS_MAX_COMPARTMENTS + c : c;
}

/* Counts may come from a header another compartment wrote: an index out
 * of the table is not counted.  On proc a shared block may be freed by
 * another process than the one that counted it: in_use stops at 0. */
static void count(unsigned at, ptrdiff_t bytes)
{
	struct flexos__heap_count *n;
	size_t now, next;

	if (at >= 2 * FLEXOS_MAX_COMPARTMENTS)
		return;
	n = &flexos__heap_counts[at];
	now = atomic_load_explicit(&n->in_use, memory_order_relaxed);
	do
		next = bytes < 0 && (size_t)-bytes > now ? 0
							 : now + (size_t)bytes;
	while (!atomic_compare_exchange_weak_explicit(
		&n->in_use, &now, next, memory_order_relaxed,
		memory_order_relaxed));
	now = atomic_load_explicit(&n->peak, memory_order_relaxed);
	while (next > now && !atomic_compare_exchange_weak_explicit(
				     &n->peak, &now, next,
				     memory_order_relaxed,
				     memory_order_relaxed))
		;
}

/* Where the blocks of a heap of `owner` must lie, from the sealed page:
 * its own state (the free lists, `base`, `used`) is writable by the
 * compartment that owns it, or by everybody for the shared heap, and a
 * block outside this range would have its header and free-list link
 * written wherever they chose, with the rights of whoever allocates or
 * frees (a trusting compartment that frees its sandbox's block, anybody
 * for the shared heap).  Empty for a heap of nobody. */
static void heap_range(unsigned owner, uintptr_t *lo, uintptr_t *hi)
{
	*lo = *hi = 0;
	if (owner == SHARED) {
		*lo = flexos__sealed.shared_start;
		*hi = flexos__sealed.shared_end;
	} else if (owner < FLEXOS_MAX_COMPARTMENTS) {
		*lo = (uintptr_t)flexos__sealed.heaps[owner] + FLEXOS__PAGE;
		*hi = (uintptr_t)flexos__sealed.heaps[owner] +
		      FLEXOS__HEAP_SIZE;
	}
}

__attribute__((noreturn)) static void rewritten(const void *where)
{
	flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: a heap's state or a "
		    "block's header was rewritten: a block at %p lies outside "
		    "its heap\nflexos:   backend %s", where,
		    flexos_backend_name());
}

/* Whether a block of class `c` at `block`, from a heap of `owner`, lies
 * within the sealed range. */
static bool block_fits(unsigned owner, uintptr_t block, unsigned c)
{
	uintptr_t lo, hi;

	/* Nothing to protect without isolation (and before start-up). */
	if (!flexos__rt.isolating)
		return true;
	heap_range(owner, &lo, &hi);
	return c < NCLASSES && block >= lo && block <= hi &&
	       hi - block >= class_size(c);
}

static void check_block(unsigned owner, uintptr_t block, unsigned c)
{
	if (!block_fits(owner, block, c))
		rewritten((const void *)block);
}

/* The header of `ptr`, a block of `heap`, read once and checked: the
 * copy is what the caller uses, since another thread of a compartment
 * that can write the header could change it between the check and a
 * second read. */
static struct header checked_header(const struct flexos__heap *heap,
				    void *ptr)
{
	struct header h = *(volatile struct header *)((struct header *)ptr - 1);

	if (h.magic != HEADER_MAGIC)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "free(%p): not a block of this heap (corrupt or "
			    "freed twice)", ptr);
	if (h.size_class >= NCLASSES || h.offset < sizeof(struct header) ||
	    h.offset >= class_size(h.size_class))
		rewritten(ptr);
	check_block(owner_of(heap), (uintptr_t)ptr - h.offset, h.size_class);
	return h;
}

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

/* A block about to be taken from `heap` (locked): checked before anything
 * is read or written there, since a free-list head or the bump pointer
 * rewritten to another compartment's memory would have the allocating
 * compartment read and write there with its rights. */
static void check_taken(struct flexos__heap *heap, unsigned owner,
			char *block, unsigned c)
{
	if (!block_fits(owner, (uintptr_t)block, c)) {
		unlock(heap);
		rewritten(block);
	}
}

void flexos__heap_init(struct flexos__heap *heap, void *base, size_t size)
{
	memset(heap, 0, sizeof(*heap));
	heap->base = base;
	heap->size = size;
	atomic_flag_clear(&heap->lock);
	VALGRIND(VALGRIND_MAKE_MEM_NOACCESS(base, size));
}

/* An allocation `heap` cannot serve: NULL and ENOMEM, as the C library
 * does; with FLEXOS_VERBOSE set, a line that names the heap (a program
 * seldom says why its malloc failed, and the fixed sizes are ours). */
static void *exhausted(const struct flexos__heap *heap, unsigned owner,
		       size_t size)
{
	errno = ENOMEM;
	if (!flexos__env_set("FLEXOS_VERBOSE") || owner == NOBODY)
		return NULL;
	if (owner == SHARED)
		fprintf(stderr, "flexos: the shared heap (%zu MiB, "
			"FLEXOS_SHARED_HEAP_SIZE) cannot serve %zu bytes: "
			"NULL, ENOMEM\n", heap->size >> 20, size);
	else
		fprintf(stderr, "flexos: the heap of compartment '%s' "
			"(%zu MiB, FLEXOS_HEAP_SIZE) cannot serve %zu bytes: "
			"NULL, ENOMEM\n",
			flexos__rt.compartments[owner].name,
			heap->size >> 20, size);
	return NULL;
}

void *flexos__heap_alloc(struct flexos__heap *heap, size_t size, size_t align)
{
	unsigned owner = owner_of(heap);

	if (align < 16)
		align = 16;
	if ((align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	/* Either past the heap would also overflow the sum below. */
	if (size > heap->size || align > heap->size)
		return exhausted(heap, owner, size);
	unsigned c = class_of(size + sizeof(struct header) + (align - 16));
	if (c >= NCLASSES)
		return exhausted(heap, owner, size);

	char *block = NULL;
	lock(heap);
	/* A free block of this class, or of the next one (at most two steps
	 * above the request), before fresh memory.  Looking further up (to
	 * twice the size) moved small blocks into ever larger classes: on
	 * tests/bench/alloc.c's small objects it took 7% more memory than
	 * this and a third more time, with no freed buffer left to reuse that
	 * the top of the heap does not hand back already. */
	for (unsigned k = c; !block && k < c + REUSE && k < NCLASSES; k++)
		if (heap->free[k]) {
			block = heap->free[k];
			/* Its link is read from there. */
			check_taken(heap, owner, block, k);
			heap->free[k] = *(void **)block;
			c = k;
		}
	if (!block && heap->size - heap->used >= class_size(c)) {
		block = heap->base + heap->used;
		check_taken(heap, owner, block, c);
		heap->used += class_size(c);
		if (heap->used > heap->reached) {
#ifndef FLEXOS__BAREMETAL
			if (flexos__sealed.tools.lsan)
				flexos__tools_heap_grown(heap->base,
							 heap->reached,
							 heap->used);
#endif
			heap->reached = heap->used;
		}
	}
	unlock(heap);
	if (!block)
		return exhausted(heap, owner, size);

	uintptr_t user = ((uintptr_t)block + sizeof(struct header) + align - 1) &
			 ~(uintptr_t)(align - 1);
	struct header *h = (struct header *)user - 1;
	/* To valgrind: the part before the block the caller gets is the
	 * allocator's (its header), the rest the caller's, all of the usable
	 * size (realloc grows in place within it). */
	VALGRIND(VALGRIND_MAKE_MEM_UNDEFINED(block, user - (uintptr_t)block));
	h->size_class = (uint8_t)c;
	h->counted = (uint8_t)count_of(owner);
	h->magic = HEADER_MAGIC;
	h->offset = user - (uintptr_t)block;
	count(h->counted, (ptrdiff_t)class_size(c));
	VALGRIND(VALGRIND_MALLOCLIKE_BLOCK(user, class_size(c) - h->offset,
					   0, 0));
	return (void *)user;
}

void flexos__heap_free(struct flexos__heap *heap, void *ptr)
{
	struct header h = checked_header(heap, ptr);

	((struct header *)ptr - 1)->magic = 0;
	count(h.counted, -(ptrdiff_t)class_size(h.size_class));
	VALGRIND(VALGRIND_FREELIKE_BLOCK(ptr, 0));
	char *block = (char *)ptr - h.offset;
	size_t bytes = class_size(h.size_class);
	lock(heap);
	/* At the top of the used part: fresh memory again, for any size. */
	if (block + bytes == heap->base + heap->used) {
		heap->used -= bytes;
	} else {
		*(void **)block = heap->free[h.size_class];
		heap->free[h.size_class] = block;
	}
	unlock(heap);
}

/* realloc within one heap; ptr is a block of it. */
void *flexos__heap_realloc(struct flexos__heap *heap, void *ptr, size_t size)
{
	if (size == 0) {
		flexos__heap_free(heap, ptr);
		return NULL;
	}
	size_t old = flexos__heap_usable(heap, ptr);
	if (size <= old)
		return ptr;
	void *grown = flexos__heap_alloc(heap, size, 16);
	if (!grown)
		return NULL;
	memcpy(grown, ptr, old);
	flexos__heap_free(heap, ptr);
	return grown;
}

size_t flexos__heap_usable(const struct flexos__heap *heap, void *ptr)
{
	struct header h = checked_header(heap, ptr);

	return class_size(h.size_class) - h.offset;
}
