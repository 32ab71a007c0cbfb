/* Gates: calls that cross from one compartment to another.
 *
 *   flexos_gate(lib, fn, args...)          call fn in lib's compartment
 *   flexos_gate_r(ret, lib, fn, args...)   same, storing the result in ret
 *   flexos_callback(lib, fn)               a pointer to fn, of fn's type, that
 *                                          enters lib's compartment when called
 *                                          from anywhere (callbacks)
 *   FLEXOS_EXPOSE(lib, fn);                at file scope, in lib's own code:
 *                                          gate sites in other libraries'
 *                                          code may call fn (upcalls)
 *
 * Who may call through a gate is checked where it is entered: the
 * compartment whose code holds the gate site (any of them for a callback or
 * an exposed function).  A gate site in a library's code may name a
 * function of another compartment only if that compartment's own code (or
 * the program's) exposes it, or makes a callback of it; otherwise the image
 * stops at start-up, naming the site.
 *
 * `lib` names the destination *library* (a token declared by the build in
 * <flexos_image_libraries.h>), never a compartment: the build decides where
 * each library lives.  An unknown library is a compile-time error naming
 * flexos_lib_<lib>.
 *
 * What a gate carries is checked at compile time: arguments may take at most
 * FLEXOS_GATE_MAX_ARG_BYTES bytes in all, results at most 16 bytes, and
 * long double results (returned in x87 registers) are refused. */
#ifndef FLEXOS_GATE_H
#define FLEXOS_GATE_H

#if defined(__has_include)
#if __has_include(<flexos_image_libraries.h>)
#include <flexos_image_libraries.h>
#endif
#endif

#include <flexos/image.h>

#define FLEXOS_GATE_MAX_ARG_BYTES 128

/* Argument counting and per-argument mapping, up to 16 arguments. */
#define FLEXOS__NARG(...)                                                     \
	FLEXOS__NARG_(_0, ##__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, \
		      6, 5, 4, 3, 2, 1, 0)
#define FLEXOS__NARG_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, \
		      _13, _14, _15, _16, n, ...)                             \
	n
#define FLEXOS__CAT(a, b) FLEXOS__CAT_(a, b)
#define FLEXOS__CAT_(a, b) a##b
/* The type of an argument as the call passes it: an array decays to a
 * pointer. */
#define FLEXOS__PASSED(x) __typeof__((void)0, (x))
#define FLEXOS__SIZE(x) ((sizeof(FLEXOS__PASSED(x)) + 7) / 8 * 8)
#define FLEXOS__SIZES_0() 0
#define FLEXOS__SIZES_1(a) FLEXOS__SIZE(a)
#define FLEXOS__SIZES_2(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_1(__VA_ARGS__)
#define FLEXOS__SIZES_3(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_2(__VA_ARGS__)
#define FLEXOS__SIZES_4(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_3(__VA_ARGS__)
#define FLEXOS__SIZES_5(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_4(__VA_ARGS__)
#define FLEXOS__SIZES_6(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_5(__VA_ARGS__)
#define FLEXOS__SIZES_7(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_6(__VA_ARGS__)
#define FLEXOS__SIZES_8(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_7(__VA_ARGS__)
#define FLEXOS__SIZES_9(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_8(__VA_ARGS__)
#define FLEXOS__SIZES_10(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_9(__VA_ARGS__)
#define FLEXOS__SIZES_11(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_10(__VA_ARGS__)
#define FLEXOS__SIZES_12(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_11(__VA_ARGS__)
#define FLEXOS__SIZES_13(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_12(__VA_ARGS__)
#define FLEXOS__SIZES_14(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_13(__VA_ARGS__)
#define FLEXOS__SIZES_15(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_14(__VA_ARGS__)
#define FLEXOS__SIZES_16(a, ...) FLEXOS__SIZE(a) + FLEXOS__SIZES_15(__VA_ARGS__)
#define FLEXOS__ARG_BYTES(...)                                                \
	(FLEXOS__CAT(FLEXOS__SIZES_, FLEXOS__NARG(__VA_ARGS__))(__VA_ARGS__))

/* 1 when every argument travels in one general-purpose register (integer,
 * character, enumeration, boolean or pointer of at most 8 bytes) and there
 * are at most six: such a call needs no vector or stack arguments.  The
 * proc backend then moves one cache line per direction. */
#define FLEXOS__INT_ARG(x)                                                    \
	(sizeof(FLEXOS__PASSED(x)) <= 8 &&                                    \
	 __builtin_classify_type(x) >= 1 && __builtin_classify_type(x) <= 5)
#define FLEXOS__INTS_0() 1
#define FLEXOS__INTS_1(a) FLEXOS__INT_ARG(a)
#define FLEXOS__INTS_2(a, ...) FLEXOS__INT_ARG(a) && FLEXOS__INTS_1(__VA_ARGS__)
#define FLEXOS__INTS_3(a, ...) FLEXOS__INT_ARG(a) && FLEXOS__INTS_2(__VA_ARGS__)
#define FLEXOS__INTS_4(a, ...) FLEXOS__INT_ARG(a) && FLEXOS__INTS_3(__VA_ARGS__)
#define FLEXOS__INTS_5(a, ...) FLEXOS__INT_ARG(a) && FLEXOS__INTS_4(__VA_ARGS__)
#define FLEXOS__INTS_6(a, ...) FLEXOS__INT_ARG(a) && FLEXOS__INTS_5(__VA_ARGS__)
#define FLEXOS__INTS_MORE(...) 0
#define FLEXOS__INTS_7 FLEXOS__INTS_MORE
#define FLEXOS__INTS_8 FLEXOS__INTS_MORE
#define FLEXOS__INTS_9 FLEXOS__INTS_MORE
#define FLEXOS__INTS_10 FLEXOS__INTS_MORE
#define FLEXOS__INTS_11 FLEXOS__INTS_MORE
#define FLEXOS__INTS_12 FLEXOS__INTS_MORE
#define FLEXOS__INTS_13 FLEXOS__INTS_MORE
#define FLEXOS__INTS_14 FLEXOS__INTS_MORE
#define FLEXOS__INTS_15 FLEXOS__INTS_MORE
#define FLEXOS__INTS_16 FLEXOS__INTS_MORE
#define FLEXOS__REGISTER_ARGS(...)                                            \
	(FLEXOS__CAT(FLEXOS__INTS_, FLEXOS__NARG(__VA_ARGS__))(__VA_ARGS__))

/* The checks a gate makes at compile time.  The type of fn's result is
 * found by an unevaluated call, so nothing here runs. */
#define FLEXOS__GATE_CHECKS(lib, fn, ...)                                     \
	_Static_assert(sizeof(flexos_lib_##lib) > 0, "");                     \
	_Static_assert(FLEXOS__ARG_BYTES(__VA_ARGS__) <=                       \
			       FLEXOS_GATE_MAX_ARG_BYTES,                     \
		       "flexos_gate: arguments of " #fn " exceed "             \
		       "FLEXOS_GATE_MAX_ARG_BYTES (128 bytes)");              \
	_Static_assert(sizeof(__typeof__((fn)(__VA_ARGS__))) <= 16,           \
		       "flexos_gate: result of " #fn " is larger than 16 "    \
		       "bytes, returned through caller memory");              \
	_Static_assert(!__builtin_types_compatible_p(                        \
			       __typeof__((fn)(__VA_ARGS__)), long double),   \
		       "flexos_gate: long double result of " #fn             \
		       " cannot cross a gate")

#if defined(FLEXOS_BACKEND_FCALL)

/* No isolation: a gate is the plain call, a callback the plain pointer. */
#define flexos_callback(lib, fn) ((void)sizeof(flexos_lib_##lib), &(fn))
#define FLEXOS_EXPOSE(lib, fn)                                                \
	_Static_assert(sizeof(flexos_lib_##lib) && sizeof(&(fn)),            \
		       "FLEXOS_EXPOSE")
#define flexos__gate_call(lib, fn, ...) (fn)(__VA_ARGS__)

#else

/* Every gate site records (fn, lib, register_args, callers) in section
 * flexos_entries and gets a two-instruction stub in .text.flexos_gates
 * that loads the address of that record and jumps to the generic
 * trampoline; the stub's address is the callable, type-correct pointer.
 * The entry points a compartment accepts from others are exactly those
 * some record names: the trampoline runs only what a record of the build
 * says, in the compartment it says, for the callers it admits
 * (libflexos/entries.c), and the proc backend checks the same list.  A
 * gate site admits the compartment whose code holds it (callers 0); a
 * callback, or a function its own compartment exposes (FLEXOS_EXPOSE),
 * admits every compartment.  register_args says whether that site passes
 * only general-purpose register arguments (a callback may be called with
 * anything: 0).
 * The record is a C object, so the compiler emits its relocations as
 * position-independent code needs them, with gcc or clang; the stub
 * names it as a memory operand, which the small code model makes
 * RIP-relative (larger models may compute it in registers the stub does
 * not have). */
#if defined(__code_model_medium__) || defined(__code_model_large__)
#error "flexos gates need the small code model (-mcmodel=small, the default)"
#endif
#define FLEXOS__ANY_CALLER (~0UL)
#define FLEXOS__RECORD(name, lib, fn, register_args, callers)                 \
	struct { /* struct flexos__entry_record */                           \
		const void *flexos__fn, *flexos__lib;                         \
		unsigned long flexos__in_registers, flexos__callers,          \
			flexos__reserved[4];                                  \
	} name __attribute__((section("flexos_entries"), aligned(64),        \
			      used)) = { (const void *)&(fn),                 \
					 &flexos_lib_##lib, (register_args),  \
					 (callers), { 0 } }
#define flexos_callback(lib, fn) FLEXOS__STUB(lib, fn, 0, FLEXOS__ANY_CALLER)
/* A record without a stub: another compartment's gate site reaches fn
 * through its own record, which start-up admits because of this one. */
#define FLEXOS_EXPOSE(lib, fn)                                                \
	static FLEXOS__RECORD(FLEXOS__CAT(flexos__exposed_, __COUNTER__), lib,   \
			      fn, 0, FLEXOS__ANY_CALLER)
#define FLEXOS__STUB(lib, fn, register_args, callers)                         \
	__extension__({                                                       \
		static FLEXOS__RECORD(flexos__record, lib, fn, register_args, \
				      callers);                               \
		void *flexos__stub;                                           \
		__asm__("lea 1f(%%rip), %0\n\t"                               \
			".pushsection .text.flexos_gates,\"ax\",@progbits\n"  \
			"1:\tlea %1, %%r11\n\t"                                \
			"jmp flexos__gate\n\t"                                \
			".popsection"                                         \
			: "=r"(flexos__stub)                                  \
			: "m"(flexos__record));                               \
		(__typeof__(&(fn)))flexos__stub;                              \
	})
#define flexos__gate_call(lib, fn, ...)                                       \
	FLEXOS__STUB(lib, fn, FLEXOS__REGISTER_ARGS(__VA_ARGS__), 0)(__VA_ARGS__)

#endif

#define flexos_gate(lib, fn, ...)                                             \
	__extension__({                                                       \
		FLEXOS__GATE_CHECKS(lib, fn, ##__VA_ARGS__);                  \
		flexos__gate_call(lib, fn, ##__VA_ARGS__);                    \
	})

#define flexos_gate_r(ret, lib, fn, ...)                                      \
	do {                                                                  \
		FLEXOS__GATE_CHECKS(lib, fn, ##__VA_ARGS__);                  \
		(ret) = flexos__gate_call(lib, fn, ##__VA_ARGS__);            \
	} while (0)

#endif
