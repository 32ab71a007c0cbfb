/* The peer's side of errors across compartments (errors.c): it raises
 * errors into the host's setjmp, catches the host's in its own, and, as
 * a compromised library, forges where the host resumes. */
#include <setjmp.h>
#include <stdint.h>

#include "peer.h"

static jmp_buf peer_catch;

void peer_raise(jmp_buf *where, int code)
{
	longjmp(*where, code);
}

int peer_protect(void (*body)(void))
{
	int code = setjmp(peer_catch);

	if (code)
		return code;
	body();
	return 0;
}

void peer_throw(int code)
{
	longjmp(peer_catch, code);
}

__attribute__((noinline)) uintptr_t peer_stack_mark(void)
{
	volatile char here = 0;

	return (uintptr_t)&here;
}

/* The resume address as the C library keeps it in a jmp_buf: glibc
 * mangles it with the pointer guard of the thread's TCB, which every
 * compartment can read. */
static uintptr_t as_saved(uintptr_t pc)
{
#ifdef __GLIBC__
	uintptr_t guard;

	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	pc ^= guard;
	return pc << 17 | pc >> 47;
#else
	return pc;
#endif
}

void peer_forge_resume(jmp_buf *where, void (*to)(void), int code)
{
	((uintptr_t *)*where)[7] = as_saved((uintptr_t)to);
	longjmp(*where, code);
}
