/* The one place from which the system-call policy lets the runtime itself
 * change protection after start-up (libflexos/syscall_filter.c exempts
 * this instruction's address for mprotect, sigaltstack and rt_sigaction):
 * emulated keys open and close compartments with mprotect, the sealed page
 * is rewritten when hooks are registered, each new thread gets a signal
 * stack, and the runtime installs every signal handler (signal.c).
 *
 * long flexos__runtime_syscall(long nr, long a, long b, long c);
 * long flexos__runtime_syscall4(long nr, long a, long b, long c, long d):
 * the kernel's result, -errno on failure. */
	.text
	.globl flexos__runtime_syscall4
	.type flexos__runtime_syscall4, @function
flexos__runtime_syscall4:
	movq %r8, %r10
	/* falls through: one syscall instruction for both */
	.globl flexos__runtime_syscall
	.type flexos__runtime_syscall, @function
flexos__runtime_syscall:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	syscall
	.globl flexos__runtime_syscall_return
flexos__runtime_syscall_return:
	ret
	.size flexos__runtime_syscall, .-flexos__runtime_syscall
	.size flexos__runtime_syscall4, .-flexos__runtime_syscall4

/* The restorer of every handler the runtime installs (signal.c): the
 * kernel's frame ends in a return here, and the policy lets rt_sigreturn
 * through from this instruction only, so that a compartment cannot ask
 * the kernel to load a frame of its own making with a syscall of its own.
 * No CFI: unwinders recognise a restorer by its two instructions. */
	.globl flexos__sigreturn
	.type flexos__sigreturn, @function
flexos__sigreturn:
	movq $15, %rax /* rt_sigreturn */
	syscall
	.globl flexos__sigreturn_return
flexos__sigreturn_return:
	ud2 /* rt_sigreturn does not return; a refused frame ends here */
	.size flexos__sigreturn, .-flexos__sigreturn
	.section .note.GNU-stack,"",@progbits
