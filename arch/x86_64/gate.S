/* The gate trampoline, reached from a gate stub with
 *   %r11 = the stub's record in section flexos_entries
 * and the function's arguments where the C ABI puts them.  The record
 * resolves, through the sealed table, to the function and its compartment
 * (GATE_RESOLVE_ENTRY); an address that is no record stops the image.  A
 * call within the caller's own compartment is a tail call.  Otherwise:
 * save the caller's callee-saved registers on its own stack, save the
 * argument registers, let C open the destination and copy arguments and
 * stack arguments onto the destination's stack, switch to it, let C close
 * the caller, call (and with a backend that isolates nothing, every gate is
 * a tail call).  The way back takes the caller's frame from the runtime's
 * record, not from the callee's stack, carries %rax, %rdx, %xmm0 and %xmm1,
 * and restores %rbx, %rbp and %r12-%r15 from the caller's stack: whatever
 * the callee left in them, or in its own stack, is dropped.  A backend that
 * runs compartments elsewhere (proc) does the whole call inside
 * flexos__gate_enter, which then returns NULL.  %rbp keeps pointing at the
 * caller's frame during the call, which is what lets unwinders walk from
 * the callee into the caller. */
#include "gate_frame.h"

	.text
	.globl	flexos__gate
	.type	flexos__gate, @function
flexos__gate:
	.cfi_startproc
	GATE_RESOLVE_ENTRY .Lunresolved
	/* The entry's gate: the hardware-key gate's variant, the C path
	 * below, or the function itself where nothing isolates. */
	jmp	*GATE_ENTRY_GATE(%r10)
	/* The C path: every gate of a backend that does not switch with
	 * WRPKRU (%r10: the entry).  A jump here must not skip the check. */
	.globl	flexos__gate_c
	.hidden	flexos__gate_c
flexos__gate_c:
	GATE_CHECK_ENTRY %r10, %r11, %r11b, .Lnot_an_entry
	movl	GATE_ENTRY_COMPARTMENT(%r10), %r11d
	cmpl	%r11d, %fs:flexos__self@tpoff
	jne	1f
	jmp	*GATE_ENTRY_FN(%r10)
1:	GATE_PUSH_CALLER
	GATE_SAVE_ARGS 0, %rsp
	GATE_SAVE_FP_CONTROL
	cld			/* the C below copies; the caller chose DF */
	movq	%r11, GATE_DEST(%rsp)
	movq	%r10, GATE_ENTRY(%rsp)
	movq	GATE_ENTRY_FN(%r10), %r11
	movq	%r11, GATE_FN(%rsp)
	movq	%rsp, %rdi
	leaq	16(%rbp), %rsi
	call	flexos__gate_enter
	testq	%rax, %rax
	jz	2f			/* run elsewhere: results in our frame */
	movq	%rsp, %rdi		/* our frame */
	movq	%rax, %rsp
	call	flexos__gate_entered
	cld					/* as the ABI has it at a call */
	GATE_CALL_FRAME GATE_STACK_ARGS, %rsp, flexos__gate_returned
	cld			/* the C below copies; the callee chose DF */
	leaq	GATE_STACK_ARGS(%rsp), %rdi
	call	flexos__gate_leave
	movq	%rax, %rsp
	movq	%rsp, %rdi
	call	flexos__gate_left
2:	GATE_LOAD_FP_CONTROL
	GATE_LOAD_RESULTS 0, %rsp
	/* Everything below comes from the caller's own stack. */
	GATE_POP_CALLER
	ret
.Lnot_an_entry:
	movq	%r10, %r11
.Lunresolved:
	GATE_UNRESOLVED flexos__gate
	.cfi_endproc
	.size	flexos__gate, .-flexos__gate

	.section .note.GNU-stack,"",@progbits
