/* The frame the gate trampoline (gate.S) builds on the caller's stack and
 * copies onto the callee's: shared between assembly and C, so every offset
 * is checked. */
#ifndef FLEXOS_ARCH_GATE_FRAME_H
#define FLEXOS_ARCH_GATE_FRAME_H

#define GATE_RDI 0
#define GATE_RSI 8
#define GATE_RDX 16
#define GATE_RCX 24
#define GATE_R8 32
#define GATE_R9 40
#define GATE_RAX 48
#define GATE_DEST 56
#define GATE_FN 64
#define GATE_SAVED_CALLER 72
#define GATE_SRC 80
#define GATE_SAVED_SP 88
#define GATE_XMM 96 /* xmm0..xmm7, 16 bytes each */
#define GATE_RET_RAX 224
#define GATE_RET_RDX 232
#define GATE_RET_XMM0 240
#define GATE_RET_XMM1 256
#define GATE_SAVED_TOP 272
#define GATE_FP_CONTROL 280 /* the caller's MXCSR, then its x87 control word */
#define GATE_ENTRY 288
#define GATE_FS_BASE 296 /* pkru_gate.S: the caller's thread pointer */
#define GATE_FRAME_SIZE 304
/* Bytes of the caller's stack arguments copied to the callee's stack:
 * FLEXOS_GATE_MAX_ARG_BYTES of <flexos/gate.h>. */
#define GATE_STACK_ARGS 128
/* Fields the gates read without C: struct flexos__thread
 * (libflexos/internal.h) and struct flexos_hooks <flexos/hooks.h>; checked
 * in libflexos/pkru_gate.c. */
#define GATE_THREAD_CURRENT 0
#define GATE_HOOKS_DOMAIN_SWITCH 16
#define GATE_HOOKS_CONTEXT 32
/* struct flexos__sealed and the entries it points at (libflexos/internal.h),
 * checked in libflexos/entries.c: a record of section flexos_entries and
 * its sealed copy are both GATE_RECORD_SIZE bytes. */
#define GATE_RECORD_SIZE 64
#define GATE_ENTRY_FN 0
#define GATE_ENTRY_COMPARTMENT 8
#define GATE_ENTRY_PKRU 12
#define GATE_ENTRY_GATE 16
#define GATE_ENTRY_STACKS 24
#define GATE_ENTRY_SECRETS 32
#define GATE_ENTRY_CALLERS 40
#define GATE_SEALED_DIRECT 0
#define GATE_SEALED_RECORDS 8
#define GATE_SEALED_RECORD_BYTES 16
#define GATE_SEALED_ENTRIES 24
#define GATE_SEALED_PKRU 32
#define GATE_SEALED_NCOMPARTMENTS 104
#define GATE_SEALED_STACKS 112
#define GATE_SEALED_ENTRY_BYTES 240
#define GATE_SEALED_HEAPS 248
#define GATE_SEALED_HOOKS 400
#define GATE_SEALED_PKRU_CLOSED 440
#define GATE_SEALED_SEALED 456
/* struct flexos__heap, the first page of a compartment's arena. */
#define GATE_HEAP_SECRETS 1960
/* struct flexos__slot_record, FLEXOS__SLOT_RECORD bytes before the end of
 * a stack slot of FLEXOS__STACK_SIZE bytes (libflexos/internal.h). */
#define GATE_RECORD_TOP 0
#define GATE_RECORD_BUSY 8
#define GATE_SLOT_RECORD 64
#define GATE_SLOT_SLACK 2048
#define GATE_STACK_SHIFT 18
#define GATE_STACK_SLOTS 64
/* FLEXOS_MAX_COMPARTMENTS of <flexos/image.h>: the length of the sealed
 * page's arrays, a power of two, so that a mask keeps an index in them. */
#define GATE_MAX_COMPARTMENTS 16
#define GATE_OFF_SLOT 1
/* The first bytes below the base of every activation of a compartment on
 * a slot (the slot's top, or the gate frame the compartment waits in
 * there): the gate frame that entered it, on the caller's stack, or 0 for
 * a thread's first activation.  A longjmp out of calls walks them. */
#define GATE_ACTIVATION_LINK 16
/* The word above the link: the function the gate called to start the
 * activation, which names the memory it allocates with a tail call
 * (libflexos/allocation_site.c). */
#define GATE_ACTIVATION_ENTRY 8
/* The setjmp points a compartment registered on a slot (struct
 * flexos__setjmp_point, libflexos/longjmp.c): GATE_JMP_POINTS of them,
 * just below the slot record. */
#define GATE_JMP_BUF 0
#define GATE_JMP_RBX 8
#define GATE_JMP_RBP 16
#define GATE_JMP_R12 24
#define GATE_JMP_R13 32
#define GATE_JMP_R14 40
#define GATE_JMP_R15 48
#define GATE_JMP_SP 56
#define GATE_JMP_PC 64
#define GATE_JMP_FP_CONTROL 72 /* MXCSR, then the x87 control word */
#define GATE_JMP_POINT_SIZE 80
#define GATE_JMP_POINTS 16
#define GATE_JMP_TABLE (GATE_JMP_POINT_SIZE * GATE_JMP_POINTS)
/* Why pkru_gate.S stopped the image (flexos__pkru_gate_violation). */
#define GATE_STOP_CHECK 0
#define GATE_STOP_NO_SETJMP 1
#define GATE_STOP_STALE 2
#define GATE_STOP_CALLER 3
/* The key destructors of isolated compartments (key_destructor_slots.S,
 * libflexos/exit_handlers.c): as many as the C library has keys. */
#define GATE_KEY_SLOTS 1024
#define GATE_KEY_SLOT_BYTES 16
/* Bytes of the stack pkru_gate.S stops the image on (pkru_gate.c). */
#define GATE_VIOLATION_STACK 16384

#ifdef __ASSEMBLER__
/* %r11 holds what a gate stub loaded: the address of its record in
 * section flexos_entries.  Leaves the sealed copy (struct flexos__entry)
 * in %r10, or jumps to \unresolved with %r11 unchanged when the address
 * is no record's (a forged stub, or a gate before start-up sealed the
 * table). */
.macro GATE_RESOLVE_ENTRY unresolved
	movq	%r11, %r10
	subq	flexos__sealed+GATE_SEALED_RECORDS(%rip), %r10
	cmpq	flexos__sealed+GATE_SEALED_RECORD_BYTES(%rip), %r10
	jae	\unresolved
	testb	$GATE_RECORD_SIZE - 1, %r10b
	jnz	\unresolved
	addq	flexos__sealed+GATE_SEALED_ENTRIES(%rip), %r10
.endm

/* Jumps to \fail unless \entry is a sealed entry (struct flexos__entry
 * of the table flexos__sealed.entries); clobbers \scratch. */
.macro GATE_CHECK_ENTRY entry, scratch, scratch8, fail
	movq	\entry, \scratch
	subq	flexos__sealed+GATE_SEALED_ENTRIES(%rip), \scratch
	testb	$GATE_RECORD_SIZE - 1, \scratch8
	jnz	\fail
	cmpq	flexos__sealed+GATE_SEALED_ENTRY_BYTES(%rip), \scratch
	jae	\fail
.endm

/* A gate whose record did not resolve: saves the argument registers, lets
 * flexos__gate_unresolved start the runtime or stop the image, restores
 * them and resolves again at \again.  A backend that isolates nothing
 * (gate_direct) only has gates a program wrote by hand, and calls what
 * they name. */
.macro GATE_UNRESOLVED again
	cmpb	$0, flexos__sealed+GATE_SEALED_DIRECT(%rip)
	je	1f
	jmp	*%r11
1:	pushq	%rbp
	movq	%rsp, %rbp
	subq	$GATE_FRAME_SIZE, %rsp
	GATE_SAVE_ARGS 0, %rsp
	movq	%r11, GATE_FN(%rsp)
	movq	%r11, %rdi
	call	flexos__gate_unresolved
	movq	GATE_FN(%rsp), %r11
	GATE_LOAD_ARGS 0, %rsp
	leave
	jmp	\again
.endm

/* A gate's own frame on the caller's stack: %rbp, %rbx, %r12-%r15 pushed
 * (the caller's, restored from here on the way back, whatever the callee
 * left in them), then room for a struct flexos__gate_frame, 16-byte
 * aligned.  %rbp keeps pointing at the caller's frame, with CFI, so that
 * unwinders walk from a callee into its caller. */
#define GATE_FRAME_SPACE (GATE_FRAME_SIZE + 8)
.macro GATE_PUSH_CALLER
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rbx
	.cfi_offset %rbx, -24
	pushq	%r12
	.cfi_offset %r12, -32
	pushq	%r13
	.cfi_offset %r13, -40
	pushq	%r14
	.cfi_offset %r14, -48
	pushq	%r15
	.cfi_offset %r15, -56
	subq	$GATE_FRAME_SPACE, %rsp
.endm

/* The way back from GATE_PUSH_CALLER, %rsp at the frame. */
.macro GATE_POP_CALLER
	addq	$GATE_FRAME_SPACE, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	.cfi_def_cfa %rsp, 8
.endm

/* The caller's floating-point controls into the frame at %rsp, and back
 * with the direction flag cleared: nothing the callee leaves in them
 * reaches the caller (DF set would run its next memcpy backwards). */
.macro GATE_SAVE_FP_CONTROL
	stmxcsr	GATE_FP_CONTROL(%rsp)
	fnstcw	GATE_FP_CONTROL+4(%rsp)
.endm
.macro GATE_LOAD_FP_CONTROL
	ldmxcsr	GATE_FP_CONTROL(%rsp)
	fldcw	GATE_FP_CONTROL+4(%rsp)
	cld
.endm

/* The argument registers of a call, into the frame at \off(\base). */
.macro GATE_SAVE_ARGS off, base
	movq	%rdi, \off+GATE_RDI(\base)
	movq	%rsi, \off+GATE_RSI(\base)
	movq	%rdx, \off+GATE_RDX(\base)
	movq	%rcx, \off+GATE_RCX(\base)
	movq	%r8, \off+GATE_R8(\base)
	movq	%r9, \off+GATE_R9(\base)
	movq	%rax, \off+GATE_RAX(\base)
	movaps	%xmm0, \off+GATE_XMM+0(\base)
	movaps	%xmm1, \off+GATE_XMM+16(\base)
	movaps	%xmm2, \off+GATE_XMM+32(\base)
	movaps	%xmm3, \off+GATE_XMM+48(\base)
	movaps	%xmm4, \off+GATE_XMM+64(\base)
	movaps	%xmm5, \off+GATE_XMM+80(\base)
	movaps	%xmm6, \off+GATE_XMM+96(\base)
	movaps	%xmm7, \off+GATE_XMM+112(\base)
.endm

/* The argument registers of a call, out of the frame at \off(\base). */
.macro GATE_LOAD_ARGS off, base
	movq	\off+GATE_RDI(\base), %rdi
	movq	\off+GATE_RSI(\base), %rsi
	movq	\off+GATE_RDX(\base), %rdx
	movq	\off+GATE_RCX(\base), %rcx
	movq	\off+GATE_R8(\base), %r8
	movq	\off+GATE_R9(\base), %r9
	movaps	\off+GATE_XMM+0(\base), %xmm0
	movaps	\off+GATE_XMM+16(\base), %xmm1
	movaps	\off+GATE_XMM+32(\base), %xmm2
	movaps	\off+GATE_XMM+48(\base), %xmm3
	movaps	\off+GATE_XMM+64(\base), %xmm4
	movaps	\off+GATE_XMM+80(\base), %xmm5
	movaps	\off+GATE_XMM+96(\base), %xmm6
	movaps	\off+GATE_XMM+112(\base), %xmm7
	movq	\off+GATE_RAX(\base), %rax
.endm

/* A word \name holding the address of the code that follows: where a
 * gate's call of an entry returns.  A word in data, not a label, so that
 * backtraces keep naming the gate's own function there. */
.macro GATE_RETURN_ADDRESS name
.Lgate_return\@:
	.pushsection .data.rel.ro, "aw"
	.balign	8
	.globl	\name
	.hidden	\name
	.type	\name, @object
	.size	\name, 8
\name:
	.quad	.Lgate_return\@
	.popsection
.endm

/* Calls the frame's function with the frame's argument registers and
 * stores the result registers back into it.  \base must survive the call
 * (%rsp, or a callee-saved register).  \returned names the word holding
 * the return address (GATE_RETURN_ADDRESS): an allocation made from there
 * was tail-called by the entry. */
.macro GATE_CALL_FRAME off, base, returned
	GATE_LOAD_ARGS \off, \base
	movq	\off+GATE_FN(\base), %r11
	call	*%r11
	GATE_RETURN_ADDRESS \returned
	movq	%rax, \off+GATE_RET_RAX(\base)
	movq	%rdx, \off+GATE_RET_RDX(\base)
	movaps	%xmm0, \off+GATE_RET_XMM0(\base)
	movaps	%xmm1, \off+GATE_RET_XMM1(\base)
.endm

/* The result registers out of the frame at \off(\base), for the caller. */
.macro GATE_LOAD_RESULTS off, base
	movq	\off+GATE_RET_RAX(\base), %rax
	movq	\off+GATE_RET_RDX(\base), %rdx
	movaps	\off+GATE_RET_XMM0(\base), %xmm0
	movaps	\off+GATE_RET_XMM1(\base), %xmm1
.endm
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct flexos__gate_frame {
	uint64_t gpr[7]; /* rdi rsi rdx rcx r8 r9 rax */
	uint64_t dest;   /* compartment */
	uint64_t fn;
	uint64_t saved_caller; /* the thread's caller before this gate */
	uint64_t src;
	uint64_t saved_sp;
	uint64_t xmm[16];
	uint64_t ret_rax, ret_rdx;
	uint64_t ret_xmm0[2], ret_xmm1[2];
	/* pkru_gate.S: the caller's slot record's top before this gate, or
	 * GATE_OFF_SLOT when the caller ran on no stack slot of its own. */
	uint64_t saved_top;
	/* The caller's MXCSR and x87 control word, which the ABI has callees
	 * preserve: loaded again from here on the way back, whatever the
	 * callee left. */
	uint32_t mxcsr;
	uint16_t fpu_control;
	uint16_t unused;
	/* The sealed entry (struct flexos__entry) called, which names the
	 * callee, its compartment and the callers it admits. */
	uint64_t entry;
	/* pkru_gate.S: the caller's FS base (its thread pointer), loaded
	 * again on the way back: a callee that moved it (arch_prctl,
	 * WRFSBASE) would otherwise choose where the caller's thread-local
	 * stores land, the gate's own included. */
	uint64_t fs_base;
};

_Static_assert(offsetof(struct flexos__gate_frame, dest) == GATE_DEST, "");
_Static_assert(offsetof(struct flexos__gate_frame, fn) == GATE_FN, "");
_Static_assert(offsetof(struct flexos__gate_frame, saved_caller) ==
		       GATE_SAVED_CALLER, "");
_Static_assert(offsetof(struct flexos__gate_frame, src) == GATE_SRC, "");
_Static_assert(offsetof(struct flexos__gate_frame, saved_sp) == GATE_SAVED_SP,
	       "");
_Static_assert(offsetof(struct flexos__gate_frame, xmm) == GATE_XMM, "");
_Static_assert(offsetof(struct flexos__gate_frame, ret_rax) == GATE_RET_RAX,
	       "");
_Static_assert(offsetof(struct flexos__gate_frame, ret_xmm1) ==
		       GATE_RET_XMM1, "");
_Static_assert(offsetof(struct flexos__gate_frame, saved_top) ==
		       GATE_SAVED_TOP, "");
_Static_assert(offsetof(struct flexos__gate_frame, mxcsr) == GATE_FP_CONTROL,
	       "");
_Static_assert(offsetof(struct flexos__gate_frame, fpu_control) ==
		       GATE_FP_CONTROL + 4, "");
_Static_assert(offsetof(struct flexos__gate_frame, entry) == GATE_ENTRY, "");
_Static_assert(offsetof(struct flexos__gate_frame, fs_base) == GATE_FS_BASE,
	       "");
_Static_assert(sizeof(struct flexos__gate_frame) == GATE_FRAME_SIZE, "");
_Static_assert(GATE_FRAME_SIZE % 16 == 0, "frames keep the stack aligned");
#endif

#endif
