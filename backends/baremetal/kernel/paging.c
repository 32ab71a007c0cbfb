/* The program's half of the address space, [USER_START, USER_END): 4 KiB
 * user pages, each tagged with a protection key (bits 59..62 of its page
 * table entry).  The kernel's half, the first GiB mapped one to one with
 * supervisor-only pages, is out of reach of ring 3 whatever PKRU says:
 * protection keys apply to user pages only.
 *
 * A mapping is recorded in the page table entries themselves, present or
 * not: software bits say that the page is mapped, with which protection,
 * and whether it has a frame yet.  Frames come on first touch (vm_fault),
 * so a 64 MiB arena costs what its program uses of it. */
#include "kernel.h"

#define PTE_P (1ul << 0)
#define PTE_W (1ul << 1)
#define PTE_U (1ul << 2)
#define PTE_PS (1ul << 7)
#define PTE_NX (1ul << 63)
#define PTE_FRAME 0x000ffffffffff000ul
#define PTE_KEY_SHIFT 59
#define PTE_KEY (0xful << PTE_KEY_SHIFT)
/* Ignored by the MMU, ours. */
#define SW_MAPPED (1ul << 9)
#define SW_W (1ul << 10)
#define SW_X (1ul << 11)
#define SW_R (1ul << 52)
#define SW_FRAME (1ul << 53)

extern uint64_t boot_pml4[512];
static bool out_of_memory;

/* The first 2 MiB in 4 KiB pages, so that page 0 can stay unmapped and a
 * null pointer in the kernel faults. */
void paging_init(void)
{
	uint64_t *pdpt = (uint64_t *)(boot_pml4[0] & PTE_FRAME);
	uint64_t *pd = (uint64_t *)(pdpt[0] & PTE_FRAME);
	uint64_t *pt = (uint64_t *)frame_alloc();

	for (uint64_t i = 1; i < 512; i++)
		pt[i] = i * PAGE_SIZE | PTE_P | PTE_W;
	pd[0] = (uint64_t)pt | PTE_P | PTE_W;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

/* The entry of `va`, creating the tables on the way when `create`. */
static uint64_t *walk(uint64_t va, bool create)
{
	uint64_t *table = boot_pml4;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t frame = frame_alloc();
			if (!frame) {
				out_of_memory = true;
				return NULL;
			}
			*e = frame | PTE_P | PTE_W | PTE_U;
		}
		*e |= PTE_U;
		table = (uint64_t *)(*e & PTE_FRAME);
	}
	return &table[(va >> 12) & 511];
}

/* The hardware bits follow from ours: present when the page has a frame
 * and may be touched at all. */
static uint64_t with_hardware_bits(uint64_t e)
{
	e &= ~(PTE_P | PTE_W | PTE_NX);
	if ((e & SW_FRAME) && (e & SW_R))
		e |= PTE_P | PTE_U;
	if (e & SW_W)
		e |= PTE_W;
	if (!(e & SW_X))
		e |= PTE_NX;
	return e;
}

static uint64_t prot_bits(int prot)
{
	uint64_t bits = 0;

	/* x86 cannot write or execute what it cannot read. */
	if (prot & (PROT_R | PROT_W | PROT_X))
		bits |= SW_R;
	if (prot & PROT_W)
		bits |= SW_W;
	if (prot & PROT_X)
		bits |= SW_X;
	return bits;
}

static bool user_range(uint64_t va, uint64_t len)
{
	return va >= USER_START && va < USER_END && len <= USER_END - va;
}

static bool give_frame(uint64_t *e)
{
	uint64_t frame = frame_alloc();

	if (!frame) {
		out_of_memory = true;
		return false;
	}
	*e = (*e & ~PTE_FRAME) | frame | SW_FRAME;
	return true;
}

int vm_map(uint64_t va, uint64_t len, int prot, int key, bool populate)
{
	if (!user_range(va, len))
		return -22; /* EINVAL */
	for (uint64_t p = PAGE_DOWN(va); p < va + len; p += PAGE_SIZE) {
		uint64_t *e = walk(p, true);
		if (!e)
			return -12; /* ENOMEM */
		/* Two ELF segments may share a page: it gets both rights. */
		if (!(*e & SW_MAPPED))
			*e = SW_MAPPED | (uint64_t)key << PTE_KEY_SHIFT;
		*e |= prot_bits(prot);
		if (populate && !(*e & SW_FRAME) && !give_frame(e))
			return -12;
		*e = with_hardware_bits(*e);
		invlpg(p);
	}
	return 0;
}

int vm_protect(uint64_t va, uint64_t len, int prot, int key)
{
	if (!user_range(va, len) || va % PAGE_SIZE)
		return -22;
	for (uint64_t p = va; p < va + len; p += PAGE_SIZE) {
		uint64_t *e = walk(p, false);
		if (!e || !(*e & SW_MAPPED))
			return -12; /* ENOMEM, as Linux says */
	}
	for (uint64_t p = va; p < va + len; p += PAGE_SIZE) {
		uint64_t *e = walk(p, false);
		uint64_t v = (*e & ~(SW_R | SW_W | SW_X)) | prot_bits(prot);
		if (key >= 0)
			v = (v & ~PTE_KEY) | (uint64_t)key << PTE_KEY_SHIFT;
		*e = with_hardware_bits(v);
		invlpg(p);
	}
	return 0;
}

int vm_unmap(uint64_t va, uint64_t len)
{
	if (!user_range(va, len) || va % PAGE_SIZE)
		return -22;
	for (uint64_t p = va; p < va + len; p += PAGE_SIZE) {
		uint64_t *e = walk(p, false);
		if (!e)
			continue;
		if (*e & SW_FRAME)
			frame_free(*e & PTE_FRAME);
		*e = 0;
		invlpg(p);
	}
	return 0;
}

int vm_fault(uint64_t va, bool write, uint64_t *key)
{
	uint64_t *e = user_range(va, 1) ? walk(va, false) : NULL;

	*key = 0;
	if (!e || !(*e & SW_MAPPED))
		return FLEXOS_BAREMETAL_FAULT_UNMAPPED;
	*key = (*e & PTE_KEY) >> PTE_KEY_SHIFT;
	if (!(*e & SW_R))
		return FLEXOS_BAREMETAL_FAULT_GUARD;
	if (write && !(*e & SW_W))
		return FLEXOS_BAREMETAL_FAULT_ACCESS;
	uint32_t pkru = flexos__rdpkru() >> (2 * *key);
	if ((pkru & 1) || (write && (pkru & 2)))
		return FLEXOS_BAREMETAL_FAULT_PKEY;
	if (!(*e & SW_FRAME)) {
		if (!give_frame(e))
			return FLEXOS_BAREMETAL_FAULT_OTHER;
		*e = with_hardware_bits(*e);
	}
	invlpg(PAGE_DOWN(va));
	return 0;
}

bool vm_page(uint64_t va, int *prot, int *key)
{
	uint64_t *e = user_range(va, 1) ? walk(va, false) : NULL;

	if (!e || !(*e & SW_MAPPED))
		return false;
	*prot = (*e & SW_R ? PROT_R : 0) | (*e & SW_W ? PROT_W : 0) |
		(*e & SW_X ? PROT_X : 0);
	*key = (int)((*e & PTE_KEY) >> PTE_KEY_SHIFT);
	return true;
}

bool vm_user_ok(uint64_t va, uint64_t len, bool write)
{
	uint64_t key;

	if (!len)
		return true;
	if (!user_range(va, len))
		return false;
	for (uint64_t p = PAGE_DOWN(va); p < va + len; p += PAGE_SIZE)
		if (vm_fault(p, write, &key))
			return false;
	return true;
}

int64_t vm_user_string(uint64_t va, uint64_t max)
{
	const char *s = (const char *)va;

	/* Byte by byte: the string may end just before memory the program
	 * cannot read. */
	for (uint64_t n = 0; n < max; n++) {
		if (!vm_user_ok(va + n, 1, false))
			return -EFAULT;
		if (!s[n])
			return (int64_t)n;
	}
	return -ENAMETOOLONG;
}

bool vm_out_of_memory(void)
{
	return out_of_memory;
}

uint64_t vm_frame_of(uint64_t va)
{
	uint64_t *e = user_range(va, 1) ? walk(va, false) : NULL;

	if (!e || !(*e & SW_FRAME))
		return 0;
	return (*e & PTE_FRAME) + va % PAGE_SIZE;
}

/* Copies into the program's memory through the frames, whatever the
 * page's protection: for the loader, before the program runs. */
void vm_write(uint64_t va, const void *src, uint64_t n)
{
	const uint8_t *s = src;

	while (n) {
		uint64_t chunk = PAGE_SIZE - va % PAGE_SIZE;
		if (chunk > n)
			chunk = n;
		memcpy((void *)vm_frame_of(va), s, chunk);
		va += chunk, s += chunk, n -= chunk;
	}
}
