/* Hooks: callbacks the runtime makes at interesting moments, for tracing,
 * profiling and custom fault handling.  One table is registered at a time;
 * any member may be NULL. */
#ifndef FLEXOS_HOOKS_H
#define FLEXOS_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

enum flexos_memory_kind {
	FLEXOS_MEMORY_UNKNOWN, /* not memory FlexOS manages */
	FLEXOS_MEMORY_STATIC,  /* writable static data of a compartment */
	FLEXOS_MEMORY_HEAP,    /* a compartment's private heap */
	FLEXOS_MEMORY_STACK,   /* a compartment's thread stacks */
};

/* What the runtime knows about an isolation fault. */
struct flexos_fault {
	/* The compartment that made the access, or FLEXOS_MAX_COMPARTMENTS
	 * for code that held no compartment's rights (hardware keys,
	 * baremetal: a thread's start or end in the C library). */
	unsigned accessor;
	unsigned owner;               /* compartment owning the memory */
	enum flexos_memory_kind kind; /* what the memory is */
	uintptr_t address;
	uintptr_t ip; /* faulting instruction */
	bool write;
};

struct flexos_hooks {
	/* A thread created with pthread_create starts, or ends, in a
	 * compartment.  Called on that thread, with that compartment's
	 * rights. */
	void (*thread_create)(unsigned compartment, void *context);
	void (*thread_exit)(unsigned compartment, void *context);
	/* A gate switches the calling thread from one compartment to another
	 * (on the way in and on the way back).  Runs with both accessible. */
	void (*domain_switch)(unsigned from, unsigned to, void *context);
	/* An isolation fault, after the report is printed and before the
	 * image exits with FLEXOS_EXIT_FAULT.  Execution cannot resume. */
	void (*fault)(const struct flexos_fault *fault, void *context);
	void *context;
};

#ifdef __cplusplus
extern "C" {
#endif

/* Registers `hooks` (copied), replacing any earlier table; NULL removes it.
 * Returns 0, or -EPERM when called from a compartment other than the
 * default one of an isolating image: hooks run with the rights of the
 * thread that reaches them, so only the default compartment may say what
 * they are. */
int flexos_hooks_register(const struct flexos_hooks *hooks);

#ifdef __cplusplus
}
#endif

#endif
