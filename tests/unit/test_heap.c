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
