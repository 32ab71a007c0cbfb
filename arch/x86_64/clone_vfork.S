/* pid_t flexos__clone_vfork(struct clone_args *args, size_t size,
 *                           int (*fn)(void *), void *arg)
 *
 * clone3 for a child that runs in its parent's memory until execve
 * (CLONE_VM|CLONE_VFORK, as args says): the child calls fn(arg) on
 * args->stack and exits with its result, if fn returns; the caller gets
 * the child's pid, or -errno.  No C library wrapper offers clone3, whose
 * CLONE_CLEAR_SIGHAND resets every handler in the child alone
 * (libflexos/spawn.c).  The child inherits every register but %rax and
 * %rsp: %r8 and %r9 carry fn and arg across. */
	.text
	.globl	flexos__clone_vfork
	.type	flexos__clone_vfork, @function
flexos__clone_vfork:
	.cfi_startproc
	movq	%rdx, %r8
	movq	%rcx, %r9
	movl	$435, %eax		/* SYS_clone3 */
	syscall
	testq	%rax, %rax
	jz	1f
	ret
1:	/* The child, at the top of its own stack: no frame above. */
	.cfi_undefined %rip
	xorl	%ebp, %ebp
	movq	%r9, %rdi
	call	*%r8
	movl	%eax, %edi
	movl	$60, %eax		/* SYS_exit */
	syscall
	hlt
	.cfi_endproc
	.size	flexos__clone_vfork, .-flexos__clone_vfork

	.section .note.GNU-stack,"",@progbits
