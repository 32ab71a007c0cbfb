/* Where the unwinder finds a function's unwind table.  libgcc's unwinder
 * (libgcc_eh.a, which allocation_site.c walks with) is built for glibc and
 * asks glibc's _dl_find_object; musl has none.  A baremetal image is one
 * static executable, linked with --eh-frame-hdr: its PT_GNU_EH_FRAME
 * segment indexes every table, and musl's dl_iterate_phdr finds it from
 * the program headers the kernel's loader passes (AT_PHDR). */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <stddef.h>

/* The unwinder also takes a lock and a once-flag through weak references
 * to the thread functions below, but only when the image links
 * pthread_key_create, its sign that threads run.  A static image that
 * linked pthread_key_create and not these called address 0 from the
 * unwinder (baremetal.longjmp, with a peer that creates a key).
 * Referenced here, they are linked wherever the unwinder is. */
__attribute__((used)) static void *const unwinder_thread_functions[] = {
	(void *)pthread_once,	     (void *)pthread_mutex_lock,
	(void *)pthread_mutex_unlock, (void *)pthread_getspecific,
	(void *)pthread_setspecific,
};

/* glibc's layout on x86-64 (<bits/dl_find_object.h>: no dlfo_eh_dbase,
 * no dlfo_eh_count). */
struct dl_find_object {
	unsigned long long dlfo_flags;
	void *dlfo_map_start, *dlfo_map_end;
	void *dlfo_link_map;
	void *dlfo_eh_frame;
	unsigned long long reserved[7];
};

int _dl_find_object(void *address, struct dl_find_object *result);

struct lookup {
	uintptr_t address;
	struct dl_find_object *result;
	int found;
};

static int search(struct dl_phdr_info *info, size_t size, void *lookup_)
{
	struct lookup *lookup = lookup_;
	void *eh_frame = NULL;
	int inside = 0;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *header = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + header->p_vaddr;

		if (header->p_type == PT_GNU_EH_FRAME)
			eh_frame = (void *)start;
		if (header->p_type == PT_LOAD && lookup->address >= start &&
		    lookup->address < start + header->p_memsz) {
			lookup->result->dlfo_map_start = (void *)start;
			lookup->result->dlfo_map_end =
				(void *)(start + header->p_memsz);
			inside = 1;
		}
	}
	if (!inside)
		return 0;
	lookup->result->dlfo_eh_frame = eh_frame;
	lookup->found = 1;
	return 1;
}

int _dl_find_object(void *address, struct dl_find_object *result)
{
	struct lookup lookup = { (uintptr_t)address, result, 0 };

	*result = (struct dl_find_object){ 0 };
	dl_iterate_phdr(search, &lookup);
	return lookup.found ? 0 : -1;
}
