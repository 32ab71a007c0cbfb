/* Ways into the baremetal kernel (exceptions, interrupts, the `syscall`
 * instruction) and the one way out (trap_return).  Each builds the same
 * struct trap_frame (backends/baremetal/kernel/kernel.h) on the kernel
 * stack, so that C sees and edits one layout, and every return is an
 * iretq from it. */
#define KERNEL_DS 0x10
#define USER_DS 0x1b
#define USER_CS 0x23

	.text
/* Registers below the vector and the error code, lowest address first:
 * rax rbx rcx rdx rsi rdi rbp r8 .. r15. */
.macro SAVE_REGS
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rbx
	pushq	%rax
.endm

.macro TRAP vector, has_error
	.balign 16
trap_\vector:
	.if \has_error == 0
	pushq	$0
	.endif
	pushq	$\vector
	jmp	trap_common
.endm

.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,28,31
	TRAP \v, 0
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
	TRAP \v, 1
.endr
.irp v, 22,23,24,25,26,27
	TRAP \v, 0
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	TRAP \v, 0
.endr

trap_common:
	cld
	SAVE_REGS
	movq	%rsp, %rdi
	call	trap
	movq	%rsp, %rdi
	/* fall through */

/* void trap_return(struct trap_frame *frame): leaves the kernel through
 * frame, to ring 3 or back into the kernel. */
	.globl	trap_return
trap_return:
	movq	%rdi, %rsp
	popq	%rax
	popq	%rbx
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp		/* vector, error */
	iretq

/* `syscall`: RIP in %rcx, RFLAGS in %r11, interrupts off (SFMASK), still
 * on the program's stack.  One CPU, and interrupts stay off until the frame
 * holds it: a global can keep the user stack pointer while we switch
 * stacks, whichever thread made the call. */
	.globl	syscall_entry
syscall_entry:
	movq	%rsp, syscall_user_rsp(%rip)
	movq	kernel_stack_top(%rip), %rsp
	pushq	$USER_DS
	pushq	syscall_user_rsp(%rip)
	pushq	%r11
	pushq	$USER_CS
	pushq	%rcx
	pushq	$0
	pushq	$-1			/* vector: a system call */
	cld
	SAVE_REGS
	movq	%rsp, %rdi
	call	syscall_dispatch
	movq	%rsp, %rdi
	jmp	trap_return

/* The table trap.c turns into the IDT: one stub per vector 0..47. */
	.section .rodata
	.balign 8
	.globl	trap_stubs
trap_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	trap_\v
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad	trap_\v
.endr

	.bss
	.balign 8
syscall_user_rsp:
	.skip	8

	.section .note.GNU-stack,"",@progbits
