/* Split stacks: the runtime of clang's SafeStack (-fsanitize=safe-stack
 * -mllvm -safestack-use-pointer-address, which flexos_image(...
 * SPLIT_STACKS) adds to the image's own code).  SafeStack moves each local
 * whose address escapes its function (and each array it cannot prove is
 * indexed in bounds) onto an "unsafe" stack; return addresses, spilled
 * registers and the other locals stay on the thread's stack, private to its
 * compartment.  The unsafe stacks lie where every compartment reaches (the
 * shared heap, and shared static data before the runtime is ready), so that
 * a local handed through a gate (an out-parameter, a stream struct, a
 * buffer) works with no policy line, on proc too: both are at the same
 * address in every process.  What lies there is every compartment's to
 * read and write, as shared data is (docs/threat-model.md).
 *
 * Where each unsafe stack's pointer is kept is what isolates: SafeStack's
 * default, a thread-local variable, is memory every compartment writes on
 * mpk, and a compartment that pointed its caller's at the caller's private
 * memory would have the caller write its locals there, with its own
 * rights.  So the code asks __safestack_pointer_address() for the word, and
 * on the backends that run compartments in one process the word is in the
 * slot record of the compartment that runs (the one whose PKRU the thread
 * holds, on hardware keys), which only that compartment writes: one unsafe
 * stack per thread and compartment.  This object is linked only into
 * images whose code SafeStack compiled; compiler-rt's runtime must not be
 * linked with it. */
#include <flexos/shared.h>

#include "internal.h"

#define UNSAFE_STACK_SIZE (256u << 10)

_Static_assert(sizeof(struct flexos__slot_record) <= FLEXOS__SLOT_RECORD,
	       "the slot record fits its place at the slot's end");

/* Before the runtime is ready, constructors run on the main thread alone,
 * with no compartments yet. */
FLEXOS_SHARED static char boot_unsafe_stack[UNSAFE_STACK_SIZE]
	__attribute__((aligned(64)));
static void *boot_unsafe_sp = boot_unsafe_stack + UNSAFE_STACK_SIZE;
/* Where a thread's memory is its process's alone (proc), or nothing is
 * isolated: one word per thread. */
static __thread void *thread_unsafe_sp;
static __thread void *thread_unsafe_stack;

void **__safestack_pointer_address(void);

static void *new_unsafe_stack(void **allocated)
{
	void *stack = flexos__rt.isolating
			      ? flexos_shared_malloc(UNSAFE_STACK_SIZE)
			      : __libc_malloc(UNSAFE_STACK_SIZE);

	if (!stack)
		flexos__die(FLEXOS_EXIT_SETUP, "no memory for an unsafe stack "
			    "(SPLIT_STACKS: %u KiB from the shared heap)",
			    UNSAFE_STACK_SIZE >> 10);
	if (allocated)
		*allocated = stack;
	return (char *)stack + UNSAFE_STACK_SIZE;
}

void **__safestack_pointer_address(void)
{
	void **word;

	if (!flexos__rt.ready)
		return &boot_unsafe_sp;
	if (!flexos__rt.isolating || flexos__sealed.backend->call) {
		if (!thread_unsafe_sp)
			thread_unsafe_sp = new_unsafe_stack(&thread_unsafe_stack);
		return &thread_unsafe_sp;
	}
	if (!flexos__self.has_slot)
		flexos__stack_slot_take();
	/* Kept with the slot: the next thread on it uses it again. */
	word = &flexos__slot_record(flexos__current())->unsafe_sp;
	if (!*word)
		*word = new_unsafe_stack(NULL);
	return word;
}

void flexos__unsafe_stack_end(void)
{
	if (!thread_unsafe_stack)
		return;
	if (flexos__rt.isolating)
		flexos_shared_free(thread_unsafe_stack);
	else
		__libc_free(thread_unsafe_stack);
	thread_unsafe_stack = thread_unsafe_sp = NULL;
}
