/* The peer's side of errors across compartments (errors.c): it raises
 * errors into the host's setjmp, catches the host's in its own, and, as
 * a compromised library, forges where the host resumes. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

#include "internal.h"
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

static uintptr_t as_read(uintptr_t saved)
{
#ifdef __GLIBC__
	uintptr_t guard;

	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	return (saved >> 17 | saved << 47) ^ guard;
#else
	return saved;
#endif
}

/* Where the host's next activation (the callback's) runs: below the gate
 * frame that entered the peer, which the peer's own activation links to;
 * on proc, below the frame the host's thread waits in. */
static uintptr_t callback_stack(uintptr_t host_sp)
{
	if (!flexos__rt.isolating)
		return host_sp - 1024;
	if (flexos__sealed.backend->call)
		return host_sp - 1024;
	char *base = flexos__activation_base(flexos__current());
	uintptr_t frame = *(const uintptr_t *)(base - FLEXOS__ACTIVATION_LINK);
	return ((frame - 64) & ~(uintptr_t)15) - 8;
}

int peer_forge_then_call_back(jmp_buf *where, void (*to)(void),
			      int (*cb)(int))
{
	uintptr_t *words = (uintptr_t *)*where;

	words[6] = as_saved(callback_stack(as_read(words[6])));
	words[7] = as_saved((uintptr_t)to);
	return cb(1);
}

void peer_block_and_raise(sigjmp_buf *where, int code)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	siglongjmp(*where, code);
}

void peer_dirty_raise(jmp_buf *where, int code)
{
	peer_dirty_controls();
	longjmp(*where, code);
}
