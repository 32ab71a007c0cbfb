/* Split stacks: the runtime of clang's SafeStack (-fsanitize=safe-stack,
 * which flexos_image(... SPLIT_STACKS) adds to the image's own code).
 * SafeStack moves each local whose address escapes its function onto an
 * "unsafe" stack, reached through the thread-local pointer below; return
 * addresses, spilled registers and the locals whose address never escapes
 * stay on the thread's stack, private to its compartment.  Each thread's
 * unsafe stack lies where every compartment reaches (shared static data
 * for the main thread, whose code may run before the shared heap exists;
 * the shared heap for the others), so that a local handed through a gate
 * (an out-parameter, a stream struct, a buffer) works with no policy line,
 * on proc too: both are at the same address in every process.  What lies
 * there is every compartment's to read and write, as shared data is
 * (docs/threat-model.md).  This object is linked only into images whose
 * code SafeStack compiled (it defines the pointer their code refers to);
 * compiler-rt's own runtime must not be linked with it. */
#include <flexos/shared.h>

#include "internal.h"

#define UNSAFE_STACK_SIZE (256u << 10)

FLEXOS_SHARED static char main_unsafe_stack[UNSAFE_STACK_SIZE]
	__attribute__((aligned(64)));

/* Every thread starts with the main thread's; flexos__unsafe_stack_start
 * gives each other thread its own before its code runs. */
__thread void *__safestack_unsafe_stack_ptr =
	main_unsafe_stack + UNSAFE_STACK_SIZE;
static __thread void *thread_unsafe_stack;

void flexos__unsafe_stack_start(void)
{
	void *stack = flexos__rt.isolating
			      ? flexos_shared_malloc(UNSAFE_STACK_SIZE)
			      : __libc_malloc(UNSAFE_STACK_SIZE);

	if (!stack)
		flexos__die(FLEXOS_EXIT_SETUP, "no memory for a new thread's "
			    "unsafe stack (SPLIT_STACKS: %u KiB from the "
			    "shared heap)", UNSAFE_STACK_SIZE >> 10);
	thread_unsafe_stack = stack;
	__safestack_unsafe_stack_ptr = (char *)stack + UNSAFE_STACK_SIZE;
}

void flexos__unsafe_stack_end(void)
{
	if (flexos__rt.isolating)
		flexos_shared_free(thread_unsafe_stack);
	else
		__libc_free(thread_unsafe_stack);
	thread_unsafe_stack = NULL;
}
