/* Memory debuggers: valgrind and the sanitizers (docs/decisions.md, 31).
 *
 * On an isolating backend they cannot work: valgrind knows neither
 * protection keys nor the runtime's own heaps and stacks, and a
 * sanitizer's runtime, linked before FlexOS's, serves malloc in place of
 * the compartments' private heaps (the image would not even be isolated)
 * and meets memory it may not read.  Both would report errors that are
 * not the program's, or hang.  So start-up refuses them there and names
 * the way that works: the same image on fcall.  On fcall they run, and
 * heap.c tells them about the one heap of the runtime's that is left, the
 * shared heap. */
#include <valgrind/valgrind.h>

#include "internal.h"

/* Weak: defined where the program or a library it loads is built with a
 * sanitizer, whether its runtime is a shared library (gcc's default) or
 * linked into the executable (clang's, gcc's -static-libasan). */
extern void __asan_init(void) __attribute__((weak));
extern void __tsan_init(void) __attribute__((weak));
extern void __msan_init(void) __attribute__((weak));
extern void __lsan_do_leak_check(void) __attribute__((weak));
extern void __lsan_register_root_region(const void *p, size_t size)
	__attribute__((weak));
extern void __lsan_unregister_root_region(const void *p, size_t size)
	__attribute__((weak));

/* The sanitizer whose runtime is in the process, or NULL.  LeakSanitizer
 * comes with AddressSanitizer: it is named alone only on its own. */
static const char *sanitizer(void)
{
	if (__asan_init)
		return "AddressSanitizer";
	if (__msan_init)
		return "MemorySanitizer";
	if (__tsan_init)
		return "ThreadSanitizer";
	if (__lsan_do_leak_check)
		return "LeakSanitizer";
	return NULL;
}

void flexos__tools_check(const struct flexos_image_desc *image,
			 const struct flexos_backend *backend)
{
	const char *name = sanitizer();

	flexos__sealed.tools.valgrind = RUNNING_ON_VALGRIND;
	flexos__sealed.tools.lsan = __lsan_register_root_region &&
				    __lsan_unregister_root_region;
	if (!(backend->flags & FLEXOS_BACKEND_PRIVATE_MEMORY))
		return;
	if (flexos__sealed.tools.valgrind)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "image '%s' runs under valgrind, which the %s "
			    "backend does not support: valgrind knows neither "
			    "protection keys nor the runtime's own heaps and "
			    "stacks, and would report false errors\n"
			    "flexos:   to debug memory errors, build the same "
			    "image with BACKEND fcall (-DFLEXOS_BACKEND=fcall) "
			    "and run that under valgrind",
			    image->name, backend->name);
	if (name)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "image '%s' is built with %s, which the %s backend "
			    "does not support: the sanitizer's allocator takes "
			    "the place of the compartments' private heaps, and "
			    "it knows neither protection keys nor the "
			    "runtime's own stacks, so it would report false "
			    "errors\n"
			    "flexos:   to debug memory errors, build the same "
			    "image with BACKEND fcall (-DFLEXOS_BACKEND=fcall) "
			    "and the same -fsanitize option",
			    image->name, name, backend->name);
}

/* The shared heap's blocks lie in one mapping LeakSanitizer does not scan
 * for pointers: a block of malloc's that only a shared block points to
 * would be reported lost.  Its used part (the heap grows from its base)
 * is registered as a root region instead; the whole reservation would have
 * LeakSanitizer read, and commit, 16 GiB. */
void flexos__tools_heap_grown(const char *base, size_t before, size_t now)
{
	if (before)
		__lsan_unregister_root_region(base, before);
	__lsan_register_root_region(base, now);
}
