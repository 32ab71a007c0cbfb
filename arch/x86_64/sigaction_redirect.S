/* Where an rt_sigaction that trapped resumes (libflexos/syscall_policy.c,
 * on_sigsys): the SIGSYS handler runs with key 0 alone on hardware keys
 * and cannot read a struct sigaction in the caller's compartment, so it
 * sends the thread here instead, with the caller's registers and rights,
 * and %r11 the address after the system call.  The C library's inline
 * system call expects every register but %rax, %rcx and %r11 as it left
 * them, and may keep its struct sigaction in the red zone: both are
 * kept.
 *
 * Calls flexos__sigaction_answer(%rdi, %rsi, %rdx, %r10) and returns its
 * result in %rax, as the kernel would have. */
	.text
	.globl flexos__sigaction_redirect
	.type flexos__sigaction_redirect, @function
flexos__sigaction_redirect:
	leaq -128(%rsp), %rsp /* over the red zone */
	pushq %r11            /* where the system call returns */
	pushq %rbp
	movq %rsp, %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r8
	pushq %r9
	pushq %r10
	andq $-64, %rsp
	subq $512, %rsp
	fxsave64 (%rsp)       /* %xmm0-15, MXCSR, x87 */
	movq %r10, %rcx
	call flexos__sigaction_answer
	fxrstor64 (%rsp)
	leaq -48(%rbp), %rsp
	popq %r10
	popq %r9
	popq %r8
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	ret $128
	.size flexos__sigaction_redirect, .-flexos__sigaction_redirect
	.section .note.GNU-stack,"",@progbits
