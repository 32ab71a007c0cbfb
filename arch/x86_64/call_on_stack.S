/* void *flexos__call_on_stack(void *(*fn)(void *), void *arg, char *sp)
 *
 * Calls fn(arg) on the stack `sp` and returns its result: how main and every
 * thread start on a stack of their compartment.  %rbp keeps the old frame,
 * so unwinders walk back onto the stack we came from. */
	.text
	.globl	flexos__call_on_stack
	.type	flexos__call_on_stack, @function
flexos__call_on_stack:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	andq	$-16, %rdx
	movq	%rdx, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	flexos__call_on_stack, .-flexos__call_on_stack

	.section .note.GNU-stack,"",@progbits
