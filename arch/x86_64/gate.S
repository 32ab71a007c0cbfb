/* The gate trampoline, reached from a gate stub with
 *   %r10 = &flexos_lib_<destination> (its first member: the compartment)
 *   %r11 = the function to call
 * and the function's arguments where the C ABI puts them.  A call within
 * the caller's own compartment is a tail call.  Otherwise: save the
 * argument registers, let C open the destination and copy arguments and
 * stack arguments onto the destination's stack, switch to it, let C close
 * the caller, call (and with a backend that isolates nothing, every gate is
 * a tail call).  The way back mirrors it, carrying %rax, %rdx, %xmm0
 * and %xmm1.  A backend that runs compartments elsewhere (proc) does the
 * whole call inside flexos__gate_enter, which then returns NULL.  %rbp keeps pointing at the caller's frame throughout, which
 * is what lets unwinders walk from the callee into the caller. */
#include "gate_frame.h"

	.text
	.globl	flexos__gate
	.type	flexos__gate, @function
flexos__gate:
	.cfi_startproc
	cmpb	$0, flexos__gate_direct(%rip)
	jne	0f
	movl	(%r10), %r10d
	cmpl	%r10d, %fs:flexos__self@tpoff
	jne	1f
0:	jmp	*%r11
1:	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	subq	$GATE_FRAME_SIZE, %rsp
	movq	%rdi, GATE_RDI(%rsp)
	movq	%rsi, GATE_RSI(%rsp)
	movq	%rdx, GATE_RDX(%rsp)
	movq	%rcx, GATE_RCX(%rsp)
	movq	%r8, GATE_R8(%rsp)
	movq	%r9, GATE_R9(%rsp)
	movq	%rax, GATE_RAX(%rsp)
	movq	%r10, GATE_DEST(%rsp)
	movq	%r11, GATE_FN(%rsp)
	movaps	%xmm0, GATE_XMM+0(%rsp)
	movaps	%xmm1, GATE_XMM+16(%rsp)
	movaps	%xmm2, GATE_XMM+32(%rsp)
	movaps	%xmm3, GATE_XMM+48(%rsp)
	movaps	%xmm4, GATE_XMM+64(%rsp)
	movaps	%xmm5, GATE_XMM+80(%rsp)
	movaps	%xmm6, GATE_XMM+96(%rsp)
	movaps	%xmm7, GATE_XMM+112(%rsp)
	movq	%rsp, %rdi
	leaq	16(%rbp), %rsi
	call	flexos__gate_enter
	testq	%rax, %rax
	jz	2f			/* run elsewhere: results in our frame */
	movq	%rax, %rsp
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos__gate_entered
#define F(x) GATE_STACK_ARGS+x(%rsp)
	movq	F(GATE_RDI), %rdi
	movq	F(GATE_RSI), %rsi
	movq	F(GATE_RDX), %rdx
	movq	F(GATE_RCX), %rcx
	movq	F(GATE_R8), %r8
	movq	F(GATE_R9), %r9
	movaps	F(GATE_XMM+0), %xmm0
	movaps	F(GATE_XMM+16), %xmm1
	movaps	F(GATE_XMM+32), %xmm2
	movaps	F(GATE_XMM+48), %xmm3
	movaps	F(GATE_XMM+64), %xmm4
	movaps	F(GATE_XMM+80), %xmm5
	movaps	F(GATE_XMM+96), %xmm6
	movaps	F(GATE_XMM+112), %xmm7
	movq	F(GATE_FN), %r11
	movq	F(GATE_RAX), %rax
	call	*%r11
	movq	%rax, F(GATE_RET_RAX)
	movq	%rdx, F(GATE_RET_RDX)
	movaps	%xmm0, F(GATE_RET_XMM0)
	movaps	%xmm1, F(GATE_RET_XMM1)
#undef F
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos__gate_leave
	movq	%rax, %rsp
	movq	%rsp, %rdi
	call	flexos__gate_left
2:	movq	GATE_RET_RAX(%rsp), %rax
	movq	GATE_RET_RDX(%rsp), %rdx
	movaps	GATE_RET_XMM0(%rsp), %xmm0
	movaps	GATE_RET_XMM1(%rsp), %xmm1
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	flexos__gate, .-flexos__gate

	.section .note.GNU-stack,"",@progbits
