/* mpk emulated with mprotect, for CPUs without protection keys.
 *
 * A compartment's memory is readable and writable while at least one
 * thread runs in it or in a compartment it is the sandbox of, and
 * PROT_NONE otherwise.  Page protection is shared by
 * all threads, so two threads running in different compartments at the
 * same moment can reach each other's memory: docs/threat-model.md. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"
#include "mpk.h"

#define MAX_RANGES 4

struct range {
	void *start;
	size_t len;
};

static struct range ranges[FLEXOS_MAX_COMPARTMENTS][MAX_RANGES];
static unsigned nranges[FLEXOS_MAX_COMPARTMENTS];
static unsigned occupants[FLEXOS_MAX_COMPARTMENTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void protect(unsigned compartment, int prot)
{
	for (unsigned i = 0; i < nranges[compartment]; i++) {
		const struct range *r = &ranges[compartment][i];
		long err = flexos__runtime_syscall(SYS_mprotect,
						   (long)r->start,
						   (long)r->len, prot);
		if (err < 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "mprotect of compartment '%s' failed: %s",
				    flexos__rt.compartments[compartment].name,
				    strerror((int)-err));
	}
}

static int emu_init(unsigned ncompartments,
		    const struct flexos_backend **variant)
{
	(void)ncompartments;
	(void)variant;
	return 0;
}

static int emu_assign(unsigned compartment, void *start, size_t len)
{
	if (nranges[compartment] == MAX_RANGES)
		return FLEXOS_ENOMEM;
	if (mprotect(start, len, PROT_NONE) != 0)
		return -errno;
	ranges[compartment][nranges[compartment]++] =
		(struct range){ start, len };
	return 0;
}

/* A thread in `compartment` reaches its memory and its sandboxes'. */
static void emu_grant(unsigned compartment)
{
	pthread_mutex_lock(&lock);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (flexos__sealed.reach[compartment] & 1u << c &&
		    occupants[c]++ == 0)
			protect(c, PROT_READ | PROT_WRITE);
	pthread_mutex_unlock(&lock);
}

static void emu_revoke(unsigned compartment)
{
	pthread_mutex_lock(&lock);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (flexos__sealed.reach[compartment] & 1u << c &&
		    --occupants[c] == 0)
			protect(c, PROT_NONE);
	pthread_mutex_unlock(&lock);
}

static void emu_grant_all(void)
{
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		for (unsigned i = 0; i < nranges[c]; i++)
			flexos__runtime_syscall(SYS_mprotect,
						(long)ranges[c][i].start,
						(long)ranges[c][i].len,
						PROT_READ | PROT_WRITE);
}

const struct flexos_backend flexos_mpk__emu = {
	.name = "mpk/emu",
	.flags = FLEXOS_BACKEND_PRIVATE_MEMORY,
	.init = emu_init,
	.assign = emu_assign,
	.start = flexos__syscall_policy_install,
	.grant = emu_grant,
	.revoke = emu_revoke,
	.thread_start = emu_grant,
	.thread_end = emu_revoke,
	.grant_all = emu_grant_all,
};
