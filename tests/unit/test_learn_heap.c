/* Learning mode's index of heap blocks (learn_heap.c): which allocation
 * site a faulting address belongs to, through frees and reallocs.  The
 * addresses are made up: the index never touches the blocks. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#define SITE(n) ((uintptr_t)0x400000 + (n))

static void *at(uintptr_t address)
{
	return (void *)address;
}

static void allocated(uintptr_t address, size_t size, uintptr_t code)
{
	struct flexos__site site = { .code = code };

	flexos__learn_allocated(at(address), size, &site);
}

/* The code address of the site of the block holding `address`, 0 for
 * none. */
static uintptr_t site_of(uintptr_t address)
{
	struct flexos__site site = { 0 };

	return flexos__learn_allocation_site(address, &site) ? site.code : 0;
}

Test(learn_heap, names_every_byte_of_a_block_and_none_outside)
{
	allocated(0x1000, 0x100, SITE(1));
	allocated(0x1100, 0x80, SITE(2));
	allocated(0x2000, 0x10, SITE(3));
	cr_assert_eq(site_of(0xfff), 0);
	cr_assert_eq(site_of(0x1000), 0x400001);
	cr_assert_eq(site_of(0x10ff), 0x400001);
	cr_assert_eq(site_of(0x1100), 0x400002);
	cr_assert_eq(site_of(0x117f), 0x400002);
	cr_assert_eq(site_of(0x1180), 0);
	cr_assert_eq(site_of(0x2008), 0x400003);
	cr_assert_eq(site_of(0x2010), 0);
}

Test(learn_heap, a_freed_block_names_nothing)
{
	allocated(0x1000, 0x100, SITE(1));
	allocated(0x1100, 0x100, SITE(2));
	flexos__learn_freed(at(0x1000));
	cr_assert_eq(site_of(0x1010), 0);
	cr_assert_eq(site_of(0x1110), 0x400002);
	flexos__learn_freed(at(0x1080)); /* not a block's start: no effect */
	cr_assert_eq(site_of(0x1110), 0x400002);
}

Test(learn_heap, realloc_keeps_the_site_at_the_new_place)
{
	allocated(0x1000, 0x100, SITE(1));
	flexos__learn_moved(at(0x1000), at(0x8000), 0x1000);
	cr_assert_eq(site_of(0x1010), 0);
	cr_assert_eq(site_of(0x8fff), 0x400001);
	/* Grown in place. */
	flexos__learn_moved(at(0x8000), at(0x8000), 0x2000);
	cr_assert_eq(site_of(0x9fff), 0x400001);
}

/* The wrappers a block came through move with it. */
Test(learn_heap, realloc_keeps_the_wrappers_and_the_entry_mark)
{
	struct flexos__site site = { SITE(1), { SITE(7), SITE(8) }, true };
	struct flexos__site found = { 0 };

	flexos__learn_allocated(at(0x1000), 0x100, &site);
	flexos__learn_moved(at(0x1000), at(0x4000), 0x200);
	cr_assert(flexos__learn_allocation_site(0x41ff, &found));
	cr_assert_eq(found.code, SITE(1));
	cr_assert_eq(found.via[0], SITE(7));
	cr_assert_eq(found.via[1], SITE(8));
	cr_assert_eq(found.via[2], 0);
	cr_assert(found.entered);
}

/* A block reused without a free we saw: the newest allocation wins. */
Test(learn_heap, a_block_reported_again_takes_the_new_site)
{
	allocated(0x1000, 0x100, SITE(1));
	allocated(0x1000, 0x40, SITE(2));
	cr_assert_eq(site_of(0x1020), 0x400002);
	cr_assert_eq(site_of(0x1080), 0);
}

/* Random allocations, frees and moves against a plain array of the same
 * blocks: every lookup agrees. */
Test(learn_heap, agrees_with_a_list_through_random_changes)
{
	enum { SLOTS = 512, STEPS = 20000, SLOT_BYTES = 0x1000 };
	static uintptr_t start[SLOTS], size[SLOTS], site[SLOTS];

	srand(7);
	for (int step = 0; step < STEPS; step++) {
		unsigned s = (unsigned)rand() % SLOTS;
		uintptr_t base = 0x100000 + (uintptr_t)s * SLOT_BYTES;
		int what = rand() % 3;

		if (!size[s]) {
			start[s] = base + (uintptr_t)(rand() % 64) * 16;
			size[s] = 1 + (uintptr_t)rand() % 1024;
			site[s] = 0x400000 + (uintptr_t)step;
			allocated(start[s], size[s], site[s]);
		} else if (what == 0) {
			flexos__learn_freed(at(start[s]));
			size[s] = 0;
		} else if (what == 1) {
			uintptr_t to = base + (uintptr_t)(rand() % 64) * 16;
			size[s] = 1 + (uintptr_t)rand() % 1024;
			flexos__learn_moved(at(start[s]), at(to), size[s]);
			start[s] = to;
		}
		unsigned q = (unsigned)rand() % SLOTS;
		uintptr_t address = 0x100000 + (uintptr_t)q * SLOT_BYTES +
				    (uintptr_t)rand() % SLOT_BYTES;
		uintptr_t expected = size[q] && address >= start[q] &&
						     address < start[q] + size[q]
					     ? site[q]
					     : 0;
		cr_assert_eq(site_of(address), expected,
			     "step %d, address %#lx", step,
			     (unsigned long)address);
	}
}

/* What the learning benchmark does at scale: many live blocks, a fault on
 * the oldest after each allocation, and frees in allocation order.  A
 * list searched from its newest end takes minutes here. */
Test(learn_heap, stays_fast_with_many_live_blocks, .timeout = 10)
{
	enum { BLOCKS = 200000 };

	allocated(0x1000, 64, SITE(1));
	for (uintptr_t i = 0; i < BLOCKS; i++) {
		allocated(0x100000 + i * 64, 48, SITE(2));
		cr_assert_eq(site_of(0x1010), 0x400001);
	}
	for (uintptr_t i = 0; i < BLOCKS; i++)
		flexos__learn_freed(at(0x100000 + i * 64));
	cr_assert_eq(site_of(0x100000), 0);
}
