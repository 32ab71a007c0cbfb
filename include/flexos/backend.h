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

/* A gate's registers as the C ABI placed them, and room for the results;
 * the layout is the architecture's (arch/<name>/gate_frame.h). */
struct flexos__gate_frame;

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
	/* The runtime is ready and the main thread set up in compartment 0:
	 * start the image (the proc backend forks its compartment processes
	 * here).  Returns 0 or a negative error. */
	int (*start)(void);
	/* Runs a gate to another compartment elsewhere (another process):
	 * `frame` holds the destination, the function and the argument
	 * registers, `stack_args` the caller's stack arguments; the results
	 * go into `frame`.  When set, gates never switch stacks locally and
	 * grant/revoke are not called. */
	void (*call)(struct flexos__gate_frame *frame, const void *stack_args);
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
	/* The image stops abnormally (fault report, setup error) and is
	 * about to _exit: release what would outlive it. */
	void (*halt)(void);
	/* Whether a SIGSEGV is an isolation fault this backend raised; NULL:
	 * decided from the address alone. */
	bool (*is_isolation_fault)(const siginfo_t *info);
};

#endif
