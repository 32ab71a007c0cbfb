/* FLEXOS_STATS=1: how much of each compartment's memory stayed private and
 * how much it shared, printed when the image (or, on proc, the
 * compartment's process) ends.  Per compartment:
 *   static data  its .data and .bss, against its part of the shared region
 *                (FLEXOS_SHARED data, and what flexos-gen or the policy
 *                moved there);
 *   heap         the peak bytes of blocks in use in its private heap,
 *                against the peak of those it allocated from the shared
 *                heap (blocks are powers of two: heap.c);
 *   stacks       the resident pages of its stacks, private, or shared when
 *                the policy shares every stack (share-stacks).
 * and, where gates take the C path (emulated keys, proc), the gates it
 * took out of itself ("crossings").
 * The heap figures and crossings live where every compartment can write
 * (heap.c): a compromised compartment can forge its own. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

#define KIB(bytes) ((unsigned long)((bytes) + 1023) >> 10)

bool flexos__stats_on;
bool flexos__gate_counting;
_Atomic unsigned long flexos__gate_crossings[FLEXOS_MAX_COMPARTMENTS];

/* Resident bytes of [start, start + len), page aligned; -1 when the
 * kernel cannot say (baremetal's has no mincore). */
static ssize_t resident(const char *start, size_t len)
{
	unsigned char pages[256];
	size_t bytes = 0;

	for (size_t at = 0; at < len; at += sizeof(pages) * FLEXOS__PAGE) {
		size_t chunk = len - at < sizeof(pages) * FLEXOS__PAGE
				       ? len - at
				       : sizeof(pages) * FLEXOS__PAGE;

		if (mincore((void *)(start + at), chunk, pages) != 0)
			return -1;
		for (size_t p = 0; p < chunk / FLEXOS__PAGE; p++)
			bytes += (pages[p] & 1) * FLEXOS__PAGE;
	}
	return (ssize_t)bytes;
}

void flexos__stats_line(unsigned compartment, char *out, size_t size)
{
	const struct flexos_compartment_desc *d =
		&flexos__rt.image->compartments[compartment];
	size_t statics = (size_t)(d->data_end - d->data_start) +
			 (size_t)(d->bss_end - d->bss_start);
	size_t shared_statics = (size_t)(d->shared_end - d->shared_start);
	size_t heap = flexos__heap_counts[compartment].peak;
	size_t shared_heap =
		flexos__heap_counts[FLEXOS_MAX_COMPARTMENTS + compartment].peak;
	ssize_t stacks = flexos__rt.isolating
				 ? resident((const char *)flexos__sealed
						    .stacks[compartment],
					    (size_t)FLEXOS__STACK_SLOTS *
						    FLEXOS__STACK_SIZE)
				 : 0;
	char stack_figure[64];

	if (stacks < 0)
		snprintf(stack_figure, sizeof(stack_figure),
			 "not measured (no mincore)");
	else
		snprintf(stack_figure, sizeof(stack_figure), "%lu KiB %s",
			 KIB(stacks),
			 !flexos__rt.isolating
				 ? "(not tracked: nothing is isolated)"
			 : flexos__rt.shared_stacks ? "shared (share-stacks)"
						    : "private");
	int len = snprintf(out, size,
		"compartment '%s': static data %lu KiB "
		"private, %lu KiB shared; heap peak %lu KiB private, %lu KiB "
		"shared; stacks %s",
		d->name, KIB(statics), KIB(shared_statics), KIB(heap),
		KIB(shared_heap), stack_figure);

	if (flexos__rt.isolating && !flexos__sealed.pkru_gate && len >= 0 &&
	    (size_t)len < size)
		snprintf(out + len, size - (size_t)len, "; crossings %lu",
			 atomic_load(&flexos__gate_crossings[compartment]));
}

static void print(unsigned compartment)
{
	char line[512];

	flexos__stats_line(compartment, line, sizeof(line));
	fprintf(stderr, "flexos: stats: %s\n", line);
}

static void print_all(void)
{
	fflush(stdout);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (!flexos__sealed.backend->call || c == 0)
			print(c);
}

void flexos__stats_install(void)
{
	flexos__stats_on = flexos__env_set("FLEXOS_STATS");
	flexos__gate_counting = flexos__stats_on;
	if (flexos__stats_on && flexos__at_exit(print_all) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_STATS: cannot register "
			    "the report at exit");
}

void flexos__stats_print_process(unsigned compartment)
{
	if (flexos__env_set("FLEXOS_STATS"))
		print(compartment);
}
