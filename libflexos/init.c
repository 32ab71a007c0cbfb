/* Start-up: turn the image description into compartments, arenas and
 * protection, before main and before any gate. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef FLEXOS__BAREMETAL
#include <sys/sysinfo.h>
#endif
#include <unistd.h>

#include "internal.h"

extern const struct flexos_backend flexos_backend_fcall;

_Static_assert(sizeof(struct flexos__heap) <= FLEXOS__PAGE,
	       "a heap's state fits the first page of its range");

_Atomic bool flexos__stopping;

void flexos__die(int status, const char *fmt, ...)
{
	va_list ap;

	flexos__stopping = true;
	fflush(stdout);
	fputs("flexos: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (flexos__sealed.backend && flexos__sealed.backend->halt)
		flexos__sealed.backend->halt();
#ifndef FLEXOS__BAREMETAL
	flexos__crossings_abandon();
#endif
	_exit(status);
}

/* Reserves `size` bytes with an unmapped gap on both sides.  `sharing`:
 * MAP_PRIVATE, or MAP_SHARED for memory that must stay shared across
 * fork. */
static char *map_guarded(size_t size, int sharing)
{
	char *map = mmap(NULL, size + 2 * FLEXOS__GUARD, PROT_READ | PROT_WRITE,
			 sharing | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED)
		return NULL;
	munmap(map, FLEXOS__GUARD);
	munmap(map + FLEXOS__GUARD + size, FLEXOS__GUARD);
	return map + FLEXOS__GUARD;
}

size_t flexos__env_size(const char *name, size_t fallback, size_t most)
{
	const char *text = getenv(name);
	char *end;

	if (!text || !*text)
		return fallback;
	errno = 0;
	unsigned long long size = strtoull(text, &end, 0);
	if (errno || end == text || *end || size < FLEXOS__PAGE ||
	    size > most)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "%s='%s' is not a size in bytes between 4096 and "
			    "%zu", name, text, most);
	return (size + FLEXOS__PAGE - 1) & ~(size_t)(FLEXOS__PAGE - 1);
}

bool flexos__env_set(const char *name)
{
	const char *value = getenv(name);

	return value && *value && strcmp(value, "0");
}

/* The address space of each heap, the shared heap's included: more than
 * the machine's memory could ever fill, so that its memory, not the
 * reservation, limits a heap (internal.h).  On Linux, whose reservations
 * cost nothing until touched, 16 GiB; a baremetal kernel keeps a page
 * table entry for every reserved page (2 MiB of table a GiB), so there
 * twice the machine's memory, which it says at boot: a block's size class
 * rounds it up by at most a quarter, and the part nobody touches takes
 * address space but no memory. */
static size_t heap_reservation(void)
{
#ifdef FLEXOS__BAREMETAL
	struct sysinfo machine;

	if (sysinfo(&machine) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot learn the machine's "
			    "memory for the heaps (sysinfo: %s)",
			    strerror(errno));
	return ((size_t)machine.totalram * machine.mem_unit * 2) &
	       ~(size_t)(FLEXOS__PAGE - 1);
#else
	return (size_t)16 << 30;
#endif
}

/* The shared heap: a MAP_SHARED mapping (so that it stays shared across
 * fork), whose first page holds the allocator's own state. */
static void setup_shared_heap(void)
{
	size_t size = flexos__env_size("FLEXOS_SHARED_HEAP_SIZE",
				       FLEXOS__HEAP_SIZE, (size_t)1 << 40);
	char *base = map_guarded(FLEXOS__PAGE + size, MAP_SHARED);

	if (!base)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot reserve the shared heap "
			    "(%zu bytes): %s", size, strerror(errno));
	flexos__sealed.shared_heap = (struct flexos__heap *)base;
	flexos__sealed.shared_start = (uintptr_t)base + FLEXOS__PAGE;
	flexos__sealed.shared_end = flexos__sealed.shared_start + size;
	flexos__heap_init(flexos__sealed.shared_heap, base + FLEXOS__PAGE, size);
}

/* A range of the image description: page aligned, maybe empty. */
static bool page_range(const char *start, const char *end)
{
	return !((uintptr_t)start % FLEXOS__PAGE) &&
	       !((uintptr_t)end % FLEXOS__PAGE) && end >= start;
}

/* Which compartments' memory each compartment reaches: its own and its
 * sandboxes'.  flexos_image() refuses a relation with a cycle (two
 * compartments would hold the same rights, and a gate could not tell them
 * apart); a description written by hand is checked here. */
static void set_reach(const struct flexos_image_desc *image)
{
	unsigned n = image->ncompartments;
	uint32_t all = (uint32_t)((1ull << n) - 1);

	for (unsigned c = 0; c < n; c++)
		flexos__sealed.reach[c] = 1u << c;
	for (unsigned s = 0; s < n; s++) {
		uint32_t by = image->compartments[s].trusted_by;

		if (by & ~all || by & 1u << s)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s': compartment '%s' is trusted "
				    "by itself or by no compartment of the "
				    "image (0x%x)", image->name,
				    image->compartments[s].name, by);
		for (unsigned c = 0; c < n; c++)
			if (by & 1u << c)
				flexos__sealed.reach[c] |= 1u << s;
	}
	/* A cycle: some compartment reaches itself through the relation. */
	for (unsigned a = 0; a < n; a++) {
		uint32_t seen = flexos__sealed.reach[a] & ~(1u << a), last = 0;

		while (seen != last) {
			last = seen;
			for (unsigned b = 0; b < n; b++)
				if (seen & 1u << b)
					seen |= flexos__sealed.reach[b];
		}
		if (seen & 1u << a)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s': compartment '%s' is the "
				    "sandbox of its own sandbox (SANDBOXED_BY "
				    "forms a cycle)", image->name,
				    image->compartments[a].name);
	}
}

bool flexos__reached_by_others(unsigned compartment)
{
	for (unsigned c = 0; c < flexos__rt.image->ncompartments; c++)
		if (c != compartment &&
		    flexos__sealed.reach[c] & 1u << compartment)
			return true;
	return false;
}

static void check_image(const struct flexos_image_desc *image)
{
	if (image->ncompartments < 1 ||
	    image->ncompartments > FLEXOS_MAX_COMPARTMENTS)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "image '%s' has %u compartments; 1 to %u are "
			    "supported", image->name, image->ncompartments,
			    FLEXOS_MAX_COMPARTMENTS);
	for (unsigned c = 0; c < image->ncompartments; c++) {
		const struct flexos_compartment_desc *d = &image->compartments[c];
		if (!d->name || !page_range(d->data_start, d->data_end) ||
		    !page_range(d->bss_start, d->bss_end))
			flexos__die(FLEXOS_EXIT_SETUP,
				    "image '%s': compartment %u has no name or "
				    "unaligned static data (link step missing?)",
				    image->name, c);
	}
	set_reach(image);
}

static void setup_compartment(unsigned c, const struct flexos_compartment_desc *d)
{
	struct flexos__compartment *comp = &flexos__rt.compartments[c];
	const struct flexos_backend *backend = flexos__sealed.backend;
	int err;

	comp->name = d->name;
	comp->static_data[0] = (struct flexos__range){ d->data_start,
						       d->data_end };
	comp->static_data[1] = (struct flexos__range){ d->bss_start,
						       d->bss_end };
	if (!flexos__rt.isolating)
		return;
	/* A sandbox's arena is MAP_SHARED where compartments are processes
	 * (proc): the processes that reach it map the same pages. */
	comp->arena = map_guarded(FLEXOS__ARENA_SIZE,
				  backend->call && flexos__reached_by_others(c)
					  ? MAP_SHARED
					  : MAP_PRIVATE);
	if (!comp->arena)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot reserve the arena of compartment '%s': %s",
			    d->name, strerror(errno));
	flexos__sealed.heaps[c] = (struct flexos__heap *)comp->arena;
	flexos__heap_init(flexos__sealed.heaps[c], comp->arena + FLEXOS__PAGE,
			  flexos__env_size("FLEXOS_HEAP_SIZE",
					   FLEXOS__HEAP_SIZE - FLEXOS__PAGE,
					   FLEXOS__HEAP_SIZE - FLEXOS__PAGE));
	for (unsigned i = 0; i < FLEXOS__STATIC_RANGES; i++) {
		const struct flexos__range *r = &comp->static_data[i];

		if (r->end == r->start)
			continue;
		err = backend->assign(c, r->start, (size_t)(r->end - r->start));
		if (err < 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "cannot protect the static data of "
				    "compartment '%s': %s",
				    d->name, flexos_strerror(err));
	}
	err = backend->assign(c, comp->arena, FLEXOS__ARENA_SIZE);
	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot protect the arena of compartment '%s': %s",
			    d->name, flexos_strerror(err));
}

void flexos__init(void)
{
	const struct flexos_image_desc *image = &flexos_image;
	const struct flexos_backend *backend;

	if (flexos__rt.ready)
		return;
	if (flexos__rt.starting)
		flexos__die(FLEXOS_EXIT_SETUP, "a gate was called while the "
			    "runtime was starting (from a library the runtime "
			    "itself uses?)");
	flexos__rt.starting = true;
	check_image(image);
	backend = image->backend ? image->backend : &flexos_backend_fcall;
#ifndef FLEXOS__BAREMETAL
	/* Before the backend starts: under valgrind, mpk's probe of hardware
	 * keys would already be an unknown system call to it. */
	flexos__tools_check(image, backend);
#endif
	flexos__rt.image = image;
	flexos__rt.ncompartments = image->ncompartments;
	flexos__learn_init();
	if (backend->init) {
		int err = backend->init(image->ncompartments, &backend);
		if (err < 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "backend '%s' cannot start image '%s' "
				    "(%u compartments): %s",
				    backend->name, image->name,
				    image->ncompartments, flexos_strerror(err));
	}
	flexos__sealed.backend = backend;
	if (flexos__learning && strcmp(backend->name, "mpk/emu"))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "learning mode steps over accesses with page "
			    "protection: it runs on the mpk backend (emulated "
			    "keys), not on '%s'", backend->name);
	flexos__rt.isolating = backend->flags & FLEXOS_BACKEND_PRIVATE_MEMORY;
	flexos__sealed.gate_direct = !flexos__rt.isolating && !backend->call;
	if (flexos__rt.isolating &&
	    (!backend->assign ||
	     (!backend->call && !flexos__sealed.pkru_gate &&
	      (!backend->grant || !backend->revoke))))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "backend '%s' keeps private memory but cannot "
			    "assign, grant or revoke it", backend->name);

	flexos__sealed.heap_size = heap_reservation();
	setup_shared_heap();
	flexos__policy_load();
	if (flexos__policy_shared_stacks) {
		/* MAP_SHARED: proc's processes write the same stacks. */
		flexos__rt.shared_stacks = map_guarded(
			(size_t)FLEXOS_MAX_COMPARTMENTS * FLEXOS__STACK_SLOTS *
				FLEXOS__STACK_SIZE,
			MAP_SHARED);
		if (!flexos__rt.shared_stacks)
			flexos__die(FLEXOS_EXIT_SETUP, "cannot reserve shared "
				    "stacks: %s", strerror(errno));
	}
	for (unsigned c = 0; c < image->ncompartments; c++) {
		setup_compartment(c, &image->compartments[c]);
		/* A sharing policy may put every stack in shared memory:
		 * variables on the stack then cross gates like shared data. */
		flexos__sealed.stacks[c] =
			flexos__rt.shared_stacks
				? (uintptr_t)flexos__rt.shared_stacks +
					  (uintptr_t)c * FLEXOS__STACK_SLOTS *
						  FLEXOS__STACK_SIZE
				: (uintptr_t)flexos__rt.compartments[c].arena +
					  FLEXOS__HEAP_SIZE;
	}
	flexos__sealed.ncompartments = image->ncompartments;
	flexos__pkru_gate_secrets();
	flexos__fault_install();
	flexos__stats_install();
	/* The main thread takes compartment 0's rights before the seal: a
	 * backend's first switch may happen only while nothing else runs. */
	flexos__thread_setup(0);
	flexos__entries_seal();
	flexos__rt.ready = true;
	flexos__rt.starting = false;
#ifndef FLEXOS__BAREMETAL
	/* Ready: naming the entries calls the allocator, which may start
	 * the runtime.  Before start: proc forks there. */
	flexos__crossings_install();
#endif
	if (backend->start) {
		int err = backend->start();
		if (err < 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "backend '%s' cannot start image '%s': %s",
				    backend->name, image->name,
				    flexos_strerror(err));
	}
}

__attribute__((constructor(101))) static void init_before_main(void)
{
	flexos__init();
}

struct main_call {
	int argc;
	char **argv, **envp;
};

extern int __real_main(int argc, char **argv, char **envp);

/* Returning from main is exit(): called here, on the default compartment's
 * stack, the atexit handlers and destructors run there too, and a gate
 * they make waits in private memory (the first stack is key 0's). */
static void *call_main(void *arg)
{
	struct main_call *call = arg;

	exit(__real_main(call->argc, call->argv, call->envp));
}

/* The image links with --wrap=main: main runs on the default compartment's
 * own stack, so that its locals are private like the rest of its memory. */
int __wrap_main(int argc, char **argv, char **envp)
{
	struct main_call call = { argc, argv, envp };

	flexos__init();
	if (!flexos__rt.isolating)
		return __real_main(argc, argv, envp);
	flexos__run_in_compartment(0, call_main, &call);
	__builtin_unreachable();
}
