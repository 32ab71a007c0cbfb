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
	/* The thread's floating-point controls, in the word above the stack
	 * arguments, and the direction flag, whatever the callee leaves. */
	stmxcsr	GATE_STACK_ARGS(%rsp)
	fnstcw	GATE_STACK_ARGS+4(%rsp)
	GATE_CALL_FRAME 0, %rbx, flexos__invoke_returned
	ldmxcsr	GATE_STACK_ARGS(%rsp)
	fldcw	GATE_STACK_ARGS+4(%rsp)
	cld
	movq	-8(%rbp), %rbx
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	flexos__invoke, .-flexos__invoke

	.section .note.GNU-stack,"",@progbits
