/* Physical memory: a bitmap of 4 KiB frames, built from the loader's
 * memory map.  Only the first GiB is used, the part the boot page tables
 * map one to one, so the kernel reaches a frame at its own address. */
#include "kernel.h"
#include "multiboot.h"

#define NFRAMES (PHYS_LIMIT / PAGE_SIZE)

static uint64_t bitmap[NFRAMES / 64]; /* bit set: frame in use */
static uint64_t free_count, total_count, hint;

static void set_used(uint64_t frame, bool used)
{
	uint64_t i = frame / PAGE_SIZE, bit = 1ul << (i % 64);
	bool was = bitmap[i / 64] & bit;

	if (used == was)
		return;
	bitmap[i / 64] ^= bit;
	if (used)
		free_count--;
	else
		free_count++;
}

void memory_reserve(uint64_t start, uint64_t end)
{
	for (uint64_t f = PAGE_DOWN(start); f < end && f < PHYS_LIMIT;
	     f += PAGE_SIZE)
		set_used(f, true);
}

void memory_init(uint32_t info_address)
{
	const struct multiboot_info *info = (void *)(uintptr_t)info_address;

	for (size_t i = 0; i < NFRAMES / 64; i++)
		bitmap[i] = ~0ul;
	if (!(info->flags & MULTIBOOT_INFO_MMAP))
		panic_setup("the boot loader gave no memory map");
	for (uint64_t p = info->mmap_addr;
	     p < (uint64_t)info->mmap_addr + info->mmap_length;) {
		const struct multiboot_mmap *e = (void *)p;
		if (e->type == 1) {
			uint64_t start = PAGE_UP(e->addr);
			uint64_t end = PAGE_DOWN(e->addr + e->len);
			for (uint64_t f = start; f < end && f < PHYS_LIMIT;
			     f += PAGE_SIZE) {
				set_used(f, false);
				total_count++;
			}
		}
		p += e->size + 4;
	}
	/* Low memory (BIOS, real-mode structures) stays out of reach. */
	memory_reserve(0, 1ul << 20);
}

uint64_t frame_alloc(void)
{
	for (uint64_t n = 0; n < NFRAMES / 64; n++) {
		uint64_t i = (hint + n) % (NFRAMES / 64);
		if (bitmap[i] == ~0ul)
			continue;
		uint64_t frame = (i * 64 + __builtin_ctzl(~bitmap[i])) * PAGE_SIZE;
		hint = i;
		set_used(frame, true);
		memset((void *)frame, 0, PAGE_SIZE);
		return frame;
	}
	return 0;
}

void frame_free(uint64_t frame)
{
	set_used(frame, false);
}

uint64_t frames_free(void)
{
	return free_count;
}

uint64_t memory_total(void)
{
	return total_count * PAGE_SIZE;
}
