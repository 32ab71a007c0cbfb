/* The SIGSEGV handler's entry on Linux with hardware keys (mpk/hw): the
 * kernel runs handlers with only key 0 open, and the report needs more.
 * Linked only where such a handler exists (baremetal's kernel opens the
 * keys itself for its fault upcall). */
#include <sys/syscall.h>

	.text
/* The SIGSEGV handler of the backends that switch with WRPKRU.  The report
 * reads every compartment's memory (the stacks it walks, the heaps malloc
 * takes from), so it opens every key; the site is checked like the gate's
 * and never returns to what called it: the report stops the image, or
 * returns here for a fault that is no isolation fault, and the thread
 * goes back through rt_sigreturn, which restores the PKRU of the frame.
 * A compartment that jumps here gets a report and the end of the image,
 * or an rt_sigreturn it could make itself (docs/threat-model.md). */
	.globl	flexos__pkru_on_segv
	.type	flexos__pkru_on_segv, @function
flexos__pkru_on_segv:
	.cfi_startproc
	movq	%rdx, %r8
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	.byte	0x0f, 0x01, 0xef		/* wrpkru */
	testl	%eax, %eax
	jnz	flexos__pkru_gate_violation_stop
	movq	%r8, %rdx
	movq	%rsp, %rbx			/* the signal frame */
	andq	$-16, %rsp
	call	flexos__fault_report
	leaq	8(%rbx), %rsp
	movl	$SYS_rt_sigreturn, %eax
	syscall
	ud2
	.cfi_endproc
	.size	flexos__pkru_on_segv, .-flexos__pkru_on_segv
	.globl	flexos__pkru_on_segv_end
	.hidden	flexos__pkru_on_segv_end
flexos__pkru_on_segv_end:

	.section .note.GNU-stack,"",@progbits
