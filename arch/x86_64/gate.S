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
	GATE_SAVE_ARGS 0, %rsp
	movq	%r10, GATE_DEST(%rsp)
	movq	%r11, GATE_FN(%rsp)
	movq	%rsp, %rdi
	leaq	16(%rbp), %rsi
	call	flexos__gate_enter
	testq	%rax, %rax
	jz	2f			/* run elsewhere: results in our frame */
	movq	%rax, %rsp
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos__gate_entered
	GATE_CALL_FRAME GATE_STACK_ARGS, %rsp
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos__gate_leave
	movq	%rax, %rsp
	movq	%rsp, %rdi
	call	flexos__gate_left
2:	GATE_LOAD_RESULTS 0, %rsp
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	flexos__gate, .-flexos__gate

	.section .note.GNU-stack,"",@progbits
