/* Empty callees.  They live in their own translation unit and archive (and,
 * under an isolating backend, their own compartment), built without LTO, so
 * neither a gate nor a plain call to them can be inlined or elided; the
 * empty asm makes each body something the compiler must keep.  No static
 * data: the compartment owns only its arena, as an empty library would. */
#include "benchlib.h"

#if defined(FLEXOS_BACKEND_MPK)
#include "pkru.h"
#endif

__attribute__((noinline)) void bench_empty0(void)
{
	__asm__ volatile("");
}

/* The arguments are "used" in the registers they arrive in: no moves. */
__attribute__((noinline)) void bench_empty6(long a, long b, long c, long d,
					    long e, long f)
{
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d), "r"(e), "r"(f));
}

__attribute__((noinline)) void *bench_frame(void)
{
	return __builtin_frame_address(0);
}

#if defined(FLEXOS_BACKEND_MPK)
/* PKRU as the callee sees it (mpk/hw only: RDPKRU faults without PKU). */
__attribute__((noinline)) unsigned bench_pkru(void)
{
	return flexos__rdpkru();
}
#endif
