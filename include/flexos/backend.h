/* FlexOS backend interface: for backend authors, not applications.
 *
 * A backend is one `struct flexos_backend` the image description points at.
 * The core validates, keeps the compartment registry and memory layout, and
 * calls the backend only to enforce it.  Operations act on the calling
 * thread unless they say otherwise.  An optional operation left NULL means
 * "nothing to do": a backend with no operations at all isolates nothing
 * (that is `fcall`). */
#ifndef FLEXOS_BACKEND_H
#define FLEXOS_BACKEND_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <flexos/image.h>

/* Compartments get private heaps and stacks, and gates switch stacks. */
#define FLEXOS_BACKEND_PRIVATE_MEMORY 0x1u

struct flexos_backend {
	const char *name;
	unsigned flags;

	/* Prepares `ncompartments` protection domains.  Called once, before
	 * any other operation, on the main thread.  A backend with several
	 * ways to enforce (mpk: hardware keys or emulation) stores the ops of
	 * the one it chose in *variant; the runtime uses those from then on.
	 * Returns 0, or FLEXOS_EBACKEND / FLEXOS_ENOKEYS / FLEXOS_ECONFIG. */
	int (*init)(unsigned ncompartments,
		    const struct flexos_backend **variant);
	/* Puts the page-aligned range [start, start+len) into compartment's
	 * domain.  After it, only threads granted that compartment may touch
	 * it.  Returns 0 or a negative error. */
	int (*assign)(unsigned compartment, void *start, size_t len);
	/* The calling thread may now access `compartment`'s memory too. */
	void (*grant)(unsigned compartment);
	/* The calling thread may no longer access `compartment`'s memory. */
	void (*revoke)(unsigned compartment);
	/* The calling thread is new and runs in `compartment` only. */
	void (*thread_start)(unsigned compartment);
	/* The calling thread ends while in `compartment`. */
	void (*thread_end)(unsigned compartment);
	/* Lifts all restrictions for the calling thread: used to write a fault
	 * report, after which the image exits. */
	void (*grant_all)(void);
	/* Whether a SIGSEGV is an isolation fault this backend raised; NULL:
	 * decided from the address alone. */
	bool (*is_isolation_fault)(const siginfo_t *info);
};

#endif
