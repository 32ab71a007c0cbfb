/* The one place from which the system-call policy lets the runtime itself
 * change protection after start-up (libflexos/syscall_filter.c exempts
 * this instruction's address for mprotect and sigaltstack): emulated keys
 * open and close compartments with mprotect, the sealed page is rewritten
 * when hooks are registered, and each new thread gets a signal stack.
 *
 * long flexos__runtime_syscall(long nr, long a, long b, long c):
 * the kernel's result, -errno on failure. */
	.text
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
	.section .note.GNU-stack,"",@progbits
