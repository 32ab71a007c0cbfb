/* The gate trampoline of the baremetal backend: the shape of gate.S (same
 * frame, same stubs, same C halves around the call) with one WRPKRU per
 * direction instead of two.  gate.S opens the destination before closing
 * the caller so that C can copy between the two stacks; under TCG every
 * WRPKRU flushes QEMU's TLB, so here the arguments go through a per-thread
 * area of the TCB (flexos_baremetal__xfer, key 0) and PKRU goes straight
 * from "caller only" to "callee only":
 *
 *   caller's stack: save registers in a frame; C copies the frame and the
 *                   stack arguments to xfer and picks the callee's stack
 *   WRPKRU          callee only
 *   callee's stack: copy xfer there, call, C puts the results in xfer
 *   WRPKRU          caller only
 *   caller's stack: C restores the bookkeeping, results come from xfer
 *
 * Between a WRPKRU and the stack switch nothing touches memory: the old
 * stack is already closed, the new one not yet in use.
 *
 * Fast path.  After each WRPKRU, QEMU refills its TLB for every page
 * touched, so the common case (runtime started, no domain_switch hook, the
 * thread already has a stack in the destination) stays in this file and
 * carries everything across the WRPKRUs in registers:
 *
 *   caller open     bookkeeping of gate_enter on the thread's page, the
 *                   frame fields fault reports and the way back read (src,
 *                   dest, fn, saved_caller, saved_sp) below the caller's
 *                   callee-saved registers on its stack, the 128 bytes of
 *                   stack arguments loaded in %xmm8-15 (caller-saved),
 *                   %rax %rcx %rdx (which WRPKRU clobbers) moved to %r10
 *                   %rbx %r12, %rsp to the callee's stack
 *   WRPKRU          callee only
 *   callee open     stack arguments stored from %xmm8-15, call; touches
 *                   only the callee's stack (and this code)
 *   WRPKRU          caller only (the results wait in %r10 %r11 %xmm0
 *                   %xmm1)
 *   caller open     bookkeeping of gate_leave and gate_left, restore,
 *                   return
 *
 * Both paths share the prologue and the way back: the caller's PKRU and
 * its frame come from the thread's record (flexos__self.caller and sp[]),
 * and %rbx, %rbp, %r12-%r15 from the caller's stack, never from anything
 * the callee could have written (its registers, its stack). */
#include "gate_frame.h"

#define XFER_SIZE (GATE_STACK_ARGS + GATE_FRAME_SIZE)
/* Below the caller's %rbp: %rbx %r12-%r15, then the frame (the fast path
 * writes only its first fields).  Keeps the frame 16-byte aligned. */
#define SAVED_REGS 40
#define FRAME_SPACE (GATE_FRAME_SIZE + 8)

.macro WRPKRU_EDX		/* PKRU = %edx; clobbers %eax, %ecx, %edx */
	movl	%edx, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	.byte	0x0f, 0x01, 0xef
.endm

	.text
	/* The whole fast path on one code page. */
	.p2align 9
	.globl	flexos__gate
	.type	flexos__gate, @function
flexos__gate:
	.cfi_startproc
	GATE_RESOLVE_ENTRY .Lunresolved
	cmpl	%r10d, %fs:flexos__self@tpoff
	jne	1f
	jmp	*%r11
1:	pushq	%rbp
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
	subq	$FRAME_SPACE, %rsp
#define SELF(x) %fs:flexos__self@tpoff+GATE_THREAD_##x
	cmpb	$0, SELF(STARTED)
	je	.Lslow
	cmpq	$0, flexos__hooks+GATE_HOOKS_DOMAIN_SWITCH(%rip)
	jne	.Lslow
	cmpq	$0, SELF(SP)(,%r10,8)
	je	.Lslow
	/* Fast path, only the caller open.  The fields of a gate frame that
	 * fault.c's list of gates and the way back read; the rest of the
	 * frame is not written. */
	movl	SELF(CURRENT), %r12d
	movq	%r12, GATE_SRC(%rsp)
	movq	%r10, GATE_DEST(%rsp)
	movq	%r11, GATE_FN(%rsp)
	movzbl	SELF(CALLER), %r13d
	movq	%r13, GATE_SAVED_CALLER(%rsp)
	movb	%r12b, SELF(CALLER)
	movq	SELF(SP)(,%r12,8), %r13
	movq	%r13, GATE_SAVED_SP(%rsp)
	movq	%rsp, SELF(SP)(,%r12,8)		/* nested entries start below */
	movq	SELF(SP)(,%r10,8), %rbx
	subq	$GATE_STACK_ARGS, %rbx
	andq	$-16, %rbx
	movl	%r10d, SELF(CURRENT)
	leaq	flexos__sealed+GATE_SEALED_PKRU(%rip), %r13
	movl	(%r13,%r10,4), %r12d
	movl	%r12d, %fs:flexos_baremetal__pkru@tpoff
	movups	16+0(%rbp), %xmm8
	movups	16+16(%rbp), %xmm9
	movups	16+32(%rbp), %xmm10
	movups	16+48(%rbp), %xmm11
	movups	16+64(%rbp), %xmm12
	movups	16+80(%rbp), %xmm13
	movups	16+96(%rbp), %xmm14
	movups	16+112(%rbp), %xmm15
	movq	%rbx, %rsp			/* not used before the WRPKRU */
	movq	%rcx, %rbx
	movq	%rax, %r10
	movl	%r12d, %eax
	movq	%rdx, %r12
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	.byte	0x0f, 0x01, 0xef		/* WRPKRU: callee only */
	movaps	%xmm8, 0(%rsp)
	movaps	%xmm9, 16(%rsp)
	movaps	%xmm10, 32(%rsp)
	movaps	%xmm11, 48(%rsp)
	movaps	%xmm12, 64(%rsp)
	movaps	%xmm13, 80(%rsp)
	movaps	%xmm14, 96(%rsp)
	movaps	%xmm15, 112(%rsp)
	movq	%r10, %rax
	movq	%rbx, %rcx
	movq	%r12, %rdx
	call	*%r11
	movq	%rax, %r10
	movq	%rdx, %r11
	movzbl	SELF(CALLER), %r8d
	movq	SELF(SP)(,%r8,8), %r9
	leaq	flexos__sealed+GATE_SEALED_PKRU(%rip), %rcx
	movl	(%rcx,%r8,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	.byte	0x0f, 0x01, 0xef		/* WRPKRU: caller only */
	movq	%r9, %rsp			/* the caller's frame */
	movl	%eax, %fs:flexos_baremetal__pkru@tpoff
	movq	%r10, %rax
	movq	%r11, %rdx
	movq	GATE_SAVED_SP(%rsp), %r10
	movq	GATE_SAVED_CALLER(%rsp), %r11
	movl	%r8d, SELF(CURRENT)
	movq	%r10, SELF(SP)(,%r8,8)
	movb	%r11b, SELF(CALLER)
	jmp	.Lreturn
#undef SELF
.Lslow:
	GATE_SAVE_ARGS 0, %rsp
	movq	%r10, GATE_DEST(%rsp)
	movq	%r11, GATE_FN(%rsp)
	movq	%rsp, %rdi
	leaq	16(%rbp), %rsi
	call	flexos_baremetal__gate_enter	/* %rax: callee's sp, %edx: PKRU */
	movq	%rax, %r11
	WRPKRU_EDX
	movq	%r11, %rsp
	movq	%r11, %rdi
	movq	%fs:0, %rsi
	leaq	flexos_baremetal__xfer@tpoff(%rsi), %rsi
	movl	$XFER_SIZE / 8, %ecx
	rep movsq
	GATE_CALL_FRAME GATE_STACK_ARGS, %rsp
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos_baremetal__gate_leave	/* %rax: caller's frame, %edx: PKRU */
	movq	%rax, %r11
	WRPKRU_EDX
	movq	%r11, %rsp
	movq	%rsp, %rdi
	call	flexos_baremetal__gate_left
	movq	%fs:0, %rsi
	leaq	flexos_baremetal__xfer@tpoff(%rsi), %rsi
	GATE_LOAD_RESULTS GATE_STACK_ARGS, %rsi
.Lreturn:
	/* Everything below comes from the caller's own stack. */
	addq	$FRAME_SPACE, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	ret
.Lunresolved:
	GATE_UNRESOLVED flexos__gate
	.cfi_endproc
	.size	flexos__gate, .-flexos__gate

	.section .note.GNU-stack,"",@progbits
