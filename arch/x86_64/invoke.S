/* void flexos__invoke(struct flexos__gate_frame *frame, const void *stack_args)
 *
 * Calls frame->fn with the argument registers of `frame` and a copy of the
 * caller's GATE_STACK_ARGS bytes of stack arguments, and stores the result
 * registers back into `frame`: the callee half of a gate whose caller runs
 * elsewhere (the proc backend). */
#include "gate_frame.h"

	.text
	.globl	flexos__invoke
	.type	flexos__invoke, @function
flexos__invoke:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rbx
	.cfi_offset %rbx, -24
	subq	$GATE_STACK_ARGS + 8, %rsp
	movq	%rdi, %rbx
	movq	%rsp, %rdi
	movl	$GATE_STACK_ARGS / 8, %ecx
	cld
	rep movsq
	movq	GATE_RDI(%rbx), %rdi
	movq	GATE_RSI(%rbx), %rsi
	movq	GATE_RDX(%rbx), %rdx
	movq	GATE_RCX(%rbx), %rcx
	movq	GATE_R8(%rbx), %r8
	movq	GATE_R9(%rbx), %r9
	movaps	GATE_XMM+0(%rbx), %xmm0
	movaps	GATE_XMM+16(%rbx), %xmm1
	movaps	GATE_XMM+32(%rbx), %xmm2
	movaps	GATE_XMM+48(%rbx), %xmm3
	movaps	GATE_XMM+64(%rbx), %xmm4
	movaps	GATE_XMM+80(%rbx), %xmm5
	movaps	GATE_XMM+96(%rbx), %xmm6
	movaps	GATE_XMM+112(%rbx), %xmm7
	movq	GATE_RAX(%rbx), %rax
	call	*GATE_FN(%rbx)
	movq	%rax, GATE_RET_RAX(%rbx)
	movq	%rdx, GATE_RET_RDX(%rbx)
	movaps	%xmm0, GATE_RET_XMM0(%rbx)
	movaps	%xmm1, GATE_RET_XMM1(%rbx)
	movq	-8(%rbp), %rbx
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	flexos__invoke, .-flexos__invoke

	.section .note.GNU-stack,"",@progbits
