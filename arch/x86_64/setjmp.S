/* The setjmp functions of an image's code, wrapped at link time
 * (--wrap, cmake/FlexOSImage.cmake): each registers the point it sets
 * (flexos__setjmp_register, libflexos/longjmp.c) with the registers the
 * C library saves, then jumps to the C library's own with the stack as it
 * found it, so that setjmp saves the caller's frame and returns to it. */
#include "gate_frame.h"

/* The point: struct flexos__setjmp_point, plus %rsi (sigsetjmp's mask
 * flag) kept across the call, in a frame that keeps %rsp 16-byte aligned
 * at the call. */
#define POINT_SAVED_RSI GATE_JMP_POINT_SIZE
#define POINT_FRAME (GATE_JMP_POINT_SIZE + 16)

.macro SETJMP_WRAPPER name
	.text
	.globl	__wrap_\name
	.type	__wrap_\name, @function
__wrap_\name:
	.cfi_startproc
	subq	$POINT_FRAME, %rsp
	.cfi_adjust_cfa_offset POINT_FRAME
	movq	%rdi, GATE_JMP_BUF(%rsp)
	movq	%rbx, GATE_JMP_RBX(%rsp)
	movq	%rbp, GATE_JMP_RBP(%rsp)
	movq	%r12, GATE_JMP_R12(%rsp)
	movq	%r13, GATE_JMP_R13(%rsp)
	movq	%r14, GATE_JMP_R14(%rsp)
	movq	%r15, GATE_JMP_R15(%rsp)
	leaq	POINT_FRAME + 8(%rsp), %rax	/* the caller's, after return */
	movq	%rax, GATE_JMP_SP(%rsp)
	movq	POINT_FRAME(%rsp), %rax		/* where setjmp returns */
	movq	%rax, GATE_JMP_PC(%rsp)
	stmxcsr	GATE_JMP_FP_CONTROL(%rsp)
	fnstcw	GATE_JMP_FP_CONTROL+4(%rsp)
	movq	%rsi, POINT_SAVED_RSI(%rsp)
	movq	%rsp, %rdi
	call	flexos__setjmp_register
	movq	GATE_JMP_BUF(%rsp), %rdi
	movq	POINT_SAVED_RSI(%rsp), %rsi
	addq	$POINT_FRAME, %rsp
	.cfi_adjust_cfa_offset -POINT_FRAME
	jmp	__real_\name
	.cfi_endproc
	.size	__wrap_\name, .-__wrap_\name
.endm

	SETJMP_WRAPPER setjmp
	SETJMP_WRAPPER _setjmp
	SETJMP_WRAPPER __sigsetjmp

	.section .note.GNU-stack,"",@progbits
