/* The fixed-range allocator behind private and shared heaps. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

static _Alignas(4096) char memory[1 << 20];
static struct flexos__heap heap;

static void setup(void)
{
	flexos__heap_init(&heap, memory, sizeof(memory));
}

TestSuite(heap, .init = setup);

Test(heap, blocks_are_aligned_and_disjoint)
{
	char *a = flexos__heap_alloc(&heap, 100, 16);
	char *b = flexos__heap_alloc(&heap, 100, 16);

	cr_assert(a && b);
	cr_assert_eq((uintptr_t)a % 16, 0);
	cr_assert(a + 100 <= b || b + 100 <= a);
	cr_assert(a >= heap.base && b + 100 <= heap.base + heap.size);
	cr_assert_geq(flexos__heap_usable(&heap, a), 100);
}

Test(heap, large_alignment_is_honoured)
{
	for (size_t align = 32; align <= 4096; align *= 2) {
		void *p = flexos__heap_alloc(&heap, 10, align);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % align, 0, "align %zu", align);
	}
}

Test(heap, freed_blocks_are_reused)
{
	void *a = flexos__heap_alloc(&heap, 200, 16);

	flexos__heap_free(&heap, a);
	cr_assert_eq(flexos__heap_alloc(&heap, 200, 16), a);
}

Test(heap, realloc_keeps_contents)
{
	char *p = flexos__heap_alloc(&heap, 10, 16);

	memcpy(p, "flexos", 7);
	p = flexos__heap_realloc(&heap, p, 5000);
	cr_assert_not_null(p);
	cr_assert_str_eq(p, "flexos");
	cr_assert_geq(flexos__heap_usable(&heap, p), 5000);
}

Test(heap, exhaustion_returns_null_with_enomem)
{
	size_t n = 0;

	errno = 0;
	while (flexos__heap_alloc(&heap, 4000, 16))
		n++;
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(n, sizeof(memory) / 4096);
	errno = 0;
	cr_assert_null(flexos__heap_alloc(&heap, sizeof(memory) * 2, 16));
	cr_assert_eq(errno, ENOMEM);
}

Test(heap, bad_alignment_is_einval)
{
	errno = 0;
	cr_assert_null(flexos__heap_alloc(&heap, 8, 48));
	cr_assert_eq(errno, EINVAL);
}

Test(heap, double_free_stops_the_image, .exit_code = FLEXOS_EXIT_FAULT)
{
	void *p = flexos__heap_alloc(&heap, 8, 16);

	flexos__heap_free(&heap, p);
	flexos__heap_free(&heap, p);
}

/* Eight classes a power of two: a fresh block wastes at most an eighth
 * of itself past the 16-byte header (a 33 KiB request took 64 KiB with
 * power-of-two classes, 40 KiB with four a power of two).  Each size in
 * a heap of its own: a free block of a larger class (up to twice the
 * size) may serve a request in a heap that has one. */
Test(heap, a_block_wastes_at_most_an_eighth)
{
	char *p = flexos__heap_alloc(&heap, 33 << 10, 16);

	cr_assert_not_null(p);
	cr_assert_eq(flexos__heap_usable(&heap, p), (36 << 10) - 16);
	for (size_t size = 113; size < (64 << 10); size += size / 7 + 1) {
		struct flexos__heap apart;

		flexos__heap_init(&apart, memory, sizeof(memory));
		p = flexos__heap_alloc(&apart, size, 16);
		cr_assert_not_null(p, "size %zu", size);
		size_t block = flexos__heap_usable(&apart, p) + 16;
		cr_assert_geq(block, size + 16, "size %zu", size);
		cr_assert_leq(block, size + 16 + (size + 16) / 8,
			      "size %zu: a block of %zu", size, block);
	}
}

/* A freed block at the top of the used part is fresh space again: the
 * next block, of any size, starts where it started, and the extent the
 * memory debuggers were told about stays the largest ever used. */
Test(heap, a_freed_top_block_serves_any_size)
{
	char *low = flexos__heap_alloc(&heap, 100, 16);
	size_t below = heap.used;
	char *a = flexos__heap_alloc(&heap, 100 << 10, 16);

	cr_assert(low && a);
	flexos__heap_free(&heap, a);
	cr_assert_eq(heap.used, below);
	char *b = flexos__heap_alloc(&heap, 300 << 10, 16);
	cr_assert_eq(b, a, "a 300 KiB block after a freed 100 KiB one at the "
		     "top: %p, not %p", (void *)b, (void *)a);
	size_t reached = heap.used;
	flexos__heap_free(&heap, b);
	cr_assert_eq(heap.used, below);
	cr_assert_eq(heap.reached, reached);
	cr_assert_eq(flexos__heap_alloc(&heap, 50 << 10, 16), a);
}

/* A freed block below the top joins its class's free list; the top stays. */
Test(heap, a_freed_block_below_the_top_keeps_its_place)
{
	char *a = flexos__heap_alloc(&heap, 1000, 16);
	char *b = flexos__heap_alloc(&heap, 1000, 16);
	size_t used = heap.used;

	cr_assert(a && b);
	flexos__heap_free(&heap, a);
	cr_assert_eq(heap.used, used);
	cr_assert_eq(flexos__heap_alloc(&heap, 1000, 16), a);
}
