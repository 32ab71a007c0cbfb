/* void flexos__call_as_gate_caller(const uint64_t *pushed,
 *                                  void (*fn)(void *), void *arg)
 *
 * Calls fn(arg) from a frame that unwinders take for the one of the
 * function that called a gate: `pushed` is what GATE_PUSH_CALLER pushed
 * (%r15 %r14 %r13 %r12 %rbx %rbp, then the caller's return address), so
 * the call frame address is right above it and every callee-saved
 * register of the caller is found there.  An unwinder that starts in fn
 * steps from this frame straight into the gate's caller: how a longjmp
 * out of calls asks whether the setjmp it resumes still has its function
 * (libflexos/point_live.c) with the C runtime's unwinder alone. */
	.text
	.globl	flexos__call_as_gate_caller
	.type	flexos__call_as_gate_caller, @function
flexos__call_as_gate_caller:
	.cfi_startproc
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	movq	%rdi, %rbx
	.cfi_remember_state
	.cfi_def_cfa %rbx, 56
	.cfi_offset %rbp, -16
	.cfi_offset %rbx, -24
	.cfi_offset %r12, -32
	.cfi_offset %r13, -40
	.cfi_offset %r14, -48
	.cfi_offset %r15, -56
	movq	%rdx, %rdi
	call	*%rsi
	.cfi_restore_state
	popq	%rbx
	.cfi_def_cfa_offset 8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size	flexos__call_as_gate_caller, .-flexos__call_as_gate_caller

	.section .note.GNU-stack,"",@progbits
