/* The gate of the backends that switch compartments with WRPKRU (mpk on
 * hardware keys, baremetal): one WRPKRU each way, no C on the common path,
 * and nothing the callee can write deciding where the call returns.
 *
 * Entered from flexos__gate with %r10 = the sealed entry (struct
 * flexos__entry) its stub's record resolved to, which names this gate's
 * variant, and the call's arguments where the C ABI puts them.
 *
 * What the gate trusts:
 *   - PKRU, which no compartment can write (WRPKRU appears in this file
 *     only, each followed by a check, see below): the caller is the
 *     compartment whose sealed PKRU value the thread holds;
 *   - the sealed page (flexos__sealed, read-only): each compartment's PKRU
 *     and where its stack slots begin;
 *   - a compartment's own memory, for what only that compartment relies
 *     on: its callee-saved registers and return address (on its stack),
 *     its slot record (struct flexos__slot_record, at the end of each
 *     stack slot), which says which of its frames waits for a gate to
 *     return and whether the slot's thread runs its code, and the secret
 *     it shares with each other compartment (in its heap's state page),
 *     which tells the callee's side which compartment called.
 * The thread's slot is the one the caller's stack pointer lies in: one
 * index in every compartment.
 *
 *   caller open   caller's %rbp %rbx %r12-%r15, FS base and a gate frame
 *                 pushed on its stack; its slot record says: waiting in this frame,
 *                 not running; stack arguments (when the site passes any)
 *                 loaded into %xmm8-15; the secret it shares with the
 *                 callee loaded into %r11
 *   WRPKRU        the callee's PKRU
 *   callee open   check, and check that the entry admits the caller and
 *                 the secret is the callee's copy; callee's slot record:
 *                 running; stack below the frame it waits in, if any;
 *                 stack arguments stored; call
 *   (return)      callee's slot record: not running
 *   WRPKRU        the caller's PKRU
 *   caller open   check; the frame the caller's slot record names is
 *                 where the call returns: %rsp, the registers, the FS
 *                 base and the return address come from there; record:
 *                 running again
 *
 * ERIM's rule makes a jump into the middle of this code worthless: after
 * each WRPKRU, before any store or register-dependent jump, the code
 * checks that the value written is the sealed PKRU of the compartment it
 * is about to run (an entry's compartment on the way in, on the way back
 * the compartment whose slot record it resumes), and a failed check stops
 * the image.  So a compartment that jumps to a WRPKRU here can only run a
 * declared entry point, or resume a frame that waits for a gate to return,
 * with the rights of that entry's or that frame's compartment.
 *
 * No C path: a domain_switch hook is called from here, with the caller's
 * rights, before the switch in and after the switch back; a caller on no
 * stack slot of its compartment (a constructor, a destructor, a thread
 * the runtime did not start) is moved onto its slot first (.Loff_slot).
 * These, flexos__pkru_first, and the switches of a thread's start
 * below (flexos__pkru_call_closed, flexos__pkru_thread_enter) are the only
 * WRPKRUs of the runtime. */
#include "gate_frame.h"

#define CURRENT %fs:flexos__self@tpoff+GATE_THREAD_CURRENT
/* The gate frame GATE_PUSH_CALLER leaves, from %rbp: below the five other
 * registers it pushes. */
#define FRAME_FROM_RBP (-(40 + GATE_FRAME_SPACE))

/* \reg = the end of stack slot \slot (a register) of compartment \comp
 * (a register holding its index), from the sealed page at \sealed.  The
 * slot's record lies just below: its fields are addressed from the end
 * (RECORD_TOP, RECORD_BUSY). */
.macro SLOT_END reg, comp, slot, sealed
	leaq	1(\slot), \reg
	shlq	$GATE_STACK_SHIFT, \reg
	addq	GATE_SEALED_STACKS(\sealed,\comp,8), \reg
.endm
#define RECORD_TOP (GATE_RECORD_TOP - GATE_SLOT_RECORD)
#define RECORD_BUSY (GATE_RECORD_BUSY - GATE_SLOT_RECORD)

/* The argument registers the gate put aside, back in place. */
.macro ARGUMENTS_BACK
	movq	%r12, %rax
	movq	%rbx, %rcx
	movq	%r13, %rdx
.endm

.macro WRPKRU			/* PKRU = %eax; %ecx, %edx must be 0 */
	.byte	0x0f, 0x01, 0xef
.endm

/* Switches to the rights of compartment \comp (the sealed page at
 * \sealed) and checks, as ERIM's rule has it, that they are: \comp is a
 * compartment, the value written its sealed PKRU, \slot a slot; then
 * \end = the end of its stack slot \slot.  Clobbers %eax %ecx %edx. */
.macro SWITCH_CHECKED comp, slot, sealed, end
	movl	GATE_SEALED_PKRU(\sealed,\comp,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	leaq	flexos__sealed(%rip), \sealed
	cmpq	GATE_SEALED_NCOMPARTMENTS(\sealed), \comp
	jae	.Lviolation
	cmpl	GATE_SEALED_PKRU(\sealed,\comp,4), %eax
	jne	.Lviolation
	cmpq	$GATE_STACK_SLOTS, \slot
	jae	.Lviolation
	SLOT_END \end, \comp, \slot, \sealed
.endm

.macro RDPKRU			/* %eax = PKRU; %ecx must be 0; clobbers %edx */
	.byte	0x0f, 0x01, 0xee
.endm

/* %r14 = the calling compartment, the one whose PKRU the thread holds
 * (else the image stops), %r15 = the sealed page. */
.macro CALLER_OF_PKRU
	leaq	flexos__sealed(%rip), %r15
	xorl	%ecx, %ecx
	RDPKRU
	xorl	%r14d, %r14d
1:	cmpl	GATE_SEALED_PKRU(%r15,%r14,4), %eax
	je	2f
	incl	%r14d
	cmpq	GATE_SEALED_NCOMPARTMENTS(%r15), %r14
	jb	1b
	movl	%eax, %edi
	call	flexos__pkru_gate_no_caller
2:
.endm

/* The caller \comp's side before it leaves, %rsp at a GATE_PUSH_CALLER
 * frame on its slot \slot (sealed page at \sealed): its floating-point
 * controls and thread pointer in the frame, and its record says it waits
 * there and runs nothing on the slot.  Clobbers %rax %r11. */
.macro WAIT_IN_FRAME comp, slot, sealed
	GATE_SAVE_FP_CONTROL
	rdfsbase %rax
	movq	%rax, GATE_FS_BASE(%rsp)
	SLOT_END %rax, \comp, \slot, \sealed
	movq	RECORD_TOP(%rax), %r11
	movq	%r11, GATE_SAVED_TOP(%rsp)
	movq	%rsp, RECORD_TOP(%rax)
	movq	$0, RECORD_BUSY(%rax)
.endm

/* The way back to the frame compartment \comp waits in on slot \slot
 * (hints: both are bound by the checks): its rights, checked; its record
 * must name a frame and say nothing runs on the slot; then %rsp is that
 * frame, with the thread pointer and floating-point controls it saved.
 * Clobbers %rax %rcx %rdx. */
.macro RESUME_WAITING_FRAME comp, slot, sealed
	SWITCH_CHECKED \comp, \slot, \sealed, %rdx
	movq	RECORD_TOP(%rdx), %rax
	testq	%rax, %rax			/* no frame waits */
	jz	.Lviolation
	movl	$1, %ecx
	xchgq	%rcx, RECORD_BUSY(%rdx)	/* atomic: two threads race */
	testq	%rcx, %rcx
	jnz	.Lviolation
	movq	%rax, %rsp			/* the caller's frame */
	movq	GATE_SAVED_TOP(%rsp), %rax
	movq	%rax, RECORD_TOP(%rdx)
	movq	GATE_FS_BASE(%rsp), %rax	/* before anything %fs: */
	wrfsbase %rax
	movl	\comp\()d, CURRENT
	GATE_LOAD_FP_CONTROL
.endm

/* A compartment's code starts to run on the slot whose end is \end: its
 * record must say nothing runs there (else the frames would overlap),
 * and says so now; %rax = the base of the new activation, below the
 * frame the compartment waits in there, or the slot's top.  Clobbers
 * %rcx. */
.macro ENTER_SLOT end
	movl	$1, %eax
	xchgq	%rax, RECORD_BUSY(\end)	/* atomic: two threads race */
	testq	%rax, %rax
	jnz	.Lviolation
	movq	RECORD_TOP(\end), %rax
	leaq	-GATE_SLOT_SLACK(\end), %rcx
	testq	%rax, %rax
	cmovzq	%rcx, %rax			/* nothing waits: the top */
.endm

/* A caller off its slot, in a GATE_PUSH_CALLER frame at %rbp: %rsp to
 * the top flexos__pkru_gate_off_slot returned in %rax (its record in
 * %rdx), and there, from the top down, where the caller's stack pointer
 * goes back to, its return address, the record, room for a copy of the
 * stack arguments, and .Loff_slot_back as the return address of the call
 * made again from there. */
.macro MOVE_ONTO_SLOT
	movq	%rax, %rsp
	leaq	16(%rbp), %rcx
	pushq	%rcx
	pushq	8(%rbp)
	pushq	%rdx
	subq	$8 + GATE_STACK_ARGS, %rsp
	leaq	.Loff_slot_back(%rip), %rcx
	pushq	%rcx
.endm

/* The callee-saved registers GATE_PUSH_CALLER pushed below %rbp, back. */
.macro CALLER_REGISTERS_BACK
	movq	-8(%rbp), %rbx
	movq	-16(%rbp), %r12
	movq	-24(%rbp), %r13
	movq	-32(%rbp), %r14
	movq	-40(%rbp), %r15
	movq	0(%rbp), %rbp
.endm

/* One variant of the gate, \name: for entries whose arguments all travel
 * in registers (stack_args 0), or that may take some on the stack, which
 * it copies (stack_args 1).  An entry names its variant (GATE_ENTRY_GATE).
 * A jump into the copying one with an entry of the other gives the callee
 * 128 bytes of the jumper's own stack it does not read; the other way
 * round the callee would read what an earlier call left on its stack as
 * arguments, so the register variant checks the entry is its own. */
.macro PKRU_GATE name, stack_args
	.globl	\name
	.type	\name, @function
\name:
	.cfi_startproc
	GATE_PUSH_CALLER
	.cfi_remember_state
	movq	%rax, %r12
	movq	%rcx, %rbx
	movq	%rdx, %r13
	CALLER_OF_PKRU
	movl	GATE_ENTRY_COMPARTMENT(%r10), %ecx
	cmpl	%ecx, %r14d
	je	.Lsame\@
	/* The thread's slot: where the caller's stack lies. */
	movq	%rsp, %rdx
	subq	GATE_SEALED_STACKS(%r15,%r14,8), %rdx
	shrq	$GATE_STACK_SHIFT, %rdx
	cmpq	$GATE_STACK_SLOTS, %rdx
	jae	.Loff_slot\@
	cmpq	$0, flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_DOMAIN_SWITCH(%rip)
	jne	.Lhook_in\@
.Lhooked_in\@:
	/* The frame (the entry, which fault reports read, the caller's
	 * floating-point controls) and the caller's record: waiting in this
	 * frame. */
	WAIT_IN_FRAME %r14, %rdx, %r15
	movq	%r10, GATE_ENTRY(%rsp)
	movl	%ecx, CURRENT
.if \stack_args
	movups	16+0(%rbp), %xmm8
	movups	16+16(%rbp), %xmm9
	movups	16+32(%rbp), %xmm10
	movups	16+48(%rbp), %xmm11
	movups	16+64(%rbp), %xmm12
	movups	16+80(%rbp), %xmm13
	movups	16+96(%rbp), %xmm14
	movups	16+112(%rbp), %xmm15
.endif
	/* The secret the caller shares with the callee, read with the
	 * caller's rights from its own memory: what proves, on the other
	 * side, which compartment called. */
	movq	GATE_SEALED_HEAPS(%r15,%r14,8), %r11
	movq	GATE_HEAP_SECRETS(%r11,%rcx,8), %r11
	movl	GATE_ENTRY_PKRU(%r10), %eax
	movq	%rdx, %r15			/* the slot */
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU					/* callee only */
	/* Check: %r10 is a sealed entry and %eax its compartment's PKRU. */
	GATE_CHECK_ENTRY %r10, %rcx, %cl, .Lviolation
	cmpl	GATE_ENTRY_PKRU(%r10), %eax
	jne	.Lviolation
.if !\stack_args
	/* An entry that may take stack arguments must get them: not a
	 * callee stack left as an earlier caller's call left it. */
	leaq	\name(%rip), %rcx
	cmpq	%rcx, GATE_ENTRY_GATE(%r10)
	jne	.Lviolation
.endif
	/* Check: the entry admits the compartment %r14 says called, and
	 * %r11 is the secret the callee shares with that one, which no
	 * other compartment can read (decision 45). */
	andl	$GATE_MAX_COMPARTMENTS - 1, %r14d
	movl	GATE_ENTRY_CALLERS(%r10), %ecx
	btl	%r14d, %ecx
	jnc	.Lnot_admitted
	movq	GATE_ENTRY_SECRETS(%r10), %rcx
	cmpq	%r11, (%rcx,%r14,8)
	jne	.Lnot_admitted
	cmpq	$GATE_STACK_SLOTS, %r15
	jae	.Lviolation
	/* The callee's record: now we run its code on this slot. */
	leaq	1(%r15), %r11
	shlq	$GATE_STACK_SHIFT, %r11
	addq	GATE_ENTRY_STACKS(%r10), %r11	/* the slot's end */
	ENTER_SLOT %r11
	leaq	FRAME_FROM_RBP(%rbp), %rcx	/* our frame: the link */
	movq	%rcx, -GATE_ACTIVATION_LINK(%rax)
	movq	GATE_ENTRY_FN(%r10), %rcx
	movq	%rcx, -GATE_ACTIVATION_ENTRY(%rax)
	leaq	-(GATE_ACTIVATION_LINK + GATE_STACK_ARGS)(%rax), %rsp
.if \stack_args
	movaps	%xmm8, 0(%rsp)
	movaps	%xmm9, 16(%rsp)
	movaps	%xmm10, 32(%rsp)
	movaps	%xmm11, 48(%rsp)
	movaps	%xmm12, 64(%rsp)
	movaps	%xmm13, 80(%rsp)
	movaps	%xmm14, 96(%rsp)
	movaps	%xmm15, 112(%rsp)
.endif
	ARGUMENTS_BACK
	movq	%r11, %rbx			/* the callee's slot's end */
	cld					/* as the ABI has it at a call */
	call	*GATE_ENTRY_FN(%r10)
	GATE_RETURN_ADDRESS \name\()_returned
	/* Back, with the callee's rights and registers: %rbx (the end of
	 * the callee's slot, its record below), %r14 (the caller) and %r15
	 * (the slot) are hints, which only the checks after the WRPKRU
	 * below bind.  Until then the gate
	 * writes only where the callee could write itself, and reads the
	 * sealed page within its bounds.  The one access through a hint is
	 * marked: a fault there is the callee's forged %rbx, and the fault
	 * handlers report it as such (flexos__pkru_gate_faulted).  Results
	 * in %rax %rdx %xmm0 %xmm1. */
	movq	%rax, %r12
	movq	%rdx, %r13
	.globl	\name\()_hint_store
	.hidden	\name\()_hint_store
\name\()_hint_store:
	movq	$0, RECORD_BUSY(%rbx)	/* the callee: not running */
	leaq	flexos__sealed(%rip), %r11
	andl	$GATE_MAX_COMPARTMENTS - 1, %r14d
	/* Caller only.  Check: %eax is the PKRU of the compartment whose
	 * record we resume, which must wait in a frame and run nothing on
	 * this slot. */
	RESUME_WAITING_FRAME %r14, %r15, %r11
	cmpq	$0, flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_DOMAIN_SWITCH(%rip)
	jne	.Lhook_out\@
.Lreturn\@:
	movq	%r12, %rax
	movq	%r13, %rdx
	/* Everything below comes from the caller's own stack. */
	GATE_POP_CALLER
	ret
.Lsame\@:
	/* Already in the destination: a plain tail call. */
	.cfi_restore_state
	.cfi_remember_state
	ARGUMENTS_BACK
	GATE_POP_CALLER
	jmp	*GATE_ENTRY_FN(%r10)
.Lhook_in\@:
	/* A domain_switch hook, called with the caller's rights before the
	 * switch: the argument registers wait in the frame (%rax %rcx %rdx
	 * in %r12 %rbx %r13 already), %r10 and the slot in its fields. */
	.cfi_restore_state
	.cfi_remember_state
	GATE_SAVE_ARGS 0, %rsp
	movq	%r10, GATE_DEST(%rsp)
	movq	%rdx, GATE_SAVED_SP(%rsp)	/* the slot */
	movl	%r14d, %edi
	movl	%ecx, %esi
	movq	flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_CONTEXT(%rip), %rdx
	call	*flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_DOMAIN_SWITCH(%rip)
	GATE_LOAD_ARGS 0, %rsp
	movq	GATE_DEST(%rsp), %r10
	movq	GATE_SAVED_SP(%rsp), %rdx
	movl	GATE_ENTRY_COMPARTMENT(%r10), %ecx
	jmp	.Lhooked_in\@
.Lhook_out\@:
	/* The hook again, with the caller's rights after the switch back:
	 * %r12 %r13 hold %rax %rdx. */
	movaps	%xmm0, GATE_RET_XMM0(%rsp)
	movaps	%xmm1, GATE_RET_XMM1(%rsp)
	movq	GATE_ENTRY(%rsp), %rdi		/* the caller's memory: */
	GATE_CHECK_ENTRY %rdi, %rsi, %sil, .Lviolation	/* checked */
	movl	GATE_ENTRY_COMPARTMENT(%rdi), %edi
	movl	%r14d, %esi
	movq	flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_CONTEXT(%rip), %rdx
	call	*flexos__sealed+GATE_SEALED_HOOKS+GATE_HOOKS_DOMAIN_SWITCH(%rip)
	movaps	GATE_RET_XMM0(%rsp), %xmm0
	movaps	GATE_RET_XMM1(%rsp), %xmm1
	jmp	.Lreturn\@
.Loff_slot\@:
	/* The caller runs on no stack slot of its own (a constructor on the
	 * main thread's first stack, a thread the runtime did not start): its frame must not wait there, in memory every
	 * compartment can write.  Move the call onto the caller's slot, with
	 * the caller's rights (pkru_gate.c says where), and enter the gate
	 * again from there; .Loff_slot_back returns to the first stack.  On
	 * the slot, from its top down: where the caller's stack pointer goes
	 * back to, its return address, the slot record, padding, a copy of
	 * the stack arguments, and .Loff_slot_back as return address. */
	.cfi_restore_state
	GATE_SAVE_ARGS 0, %rsp
	movq	%r10, GATE_DEST(%rsp)
	movl	%r14d, %edi
	call	flexos__pkru_gate_off_slot	/* %rax: the top, %rdx: record */
	MOVE_ONTO_SLOT
.if \stack_args
	leaq	16(%rbp), %rsi
	leaq	8(%rsp), %rdi
	movl	$GATE_STACK_ARGS / 8, %ecx
	rep movsq
.endif
	GATE_LOAD_ARGS FRAME_FROM_RBP, %rbp
	ARGUMENTS_BACK
	movq	FRAME_FROM_RBP + GATE_DEST(%rbp), %r10
	CALLER_REGISTERS_BACK
	jmp	\name
	.cfi_endproc
	.size	\name, .-\name
.endm

	.text
	/* The whole fast path on one code page. */
	.p2align 10
	PKRU_GATE flexos__pkru_gate, 0
	PKRU_GATE flexos__pkru_gate_stack_args, 1

.Lnot_admitted:
	/* A caller the entry does not admit, or that did not know the
	 * secret of the compartment it claims to be: the report names the
	 * entry (%r10, checked) and the claim (%r14, masked). */
	movl	$GATE_STOP_CALLER, %esi
	jmp	.Lstop

	.globl	flexos__pkru_gate_stop
	.type	flexos__pkru_gate_stop, @function
flexos__pkru_gate_stop:
.Lviolation:
	/* A check failed: shut every compartment first (so that a jump to
	 * this WRPKRU gains nothing), then stop the image on a stack of the
	 * runtime's. */
	movl	$GATE_STOP_CHECK, %esi
.Lstop:
	movl	%eax, %edi			/* the value that failed */
1:	movl	flexos__sealed+GATE_SEALED_PKRU_CLOSED(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	/* Checked like the gate's: a jump to this WRPKRU with every key in
	 * %eax closes them again before anything else runs. */
	cmpl	flexos__sealed+GATE_SEALED_PKRU_CLOSED(%rip), %eax
	jne	1b
	leaq	flexos__pkru_gate_stack+GATE_VIOLATION_STACK(%rip), %rsp
	movq	%r10, %rdx			/* for GATE_STOP_CALLER */
	movl	%r14d, %ecx
	call	flexos__pkru_gate_violation
	.size	flexos__pkru_gate_stop, .-flexos__pkru_gate_stop

/* %rbx = the compartment on whose stacks \address lies, %rbp = the
 * slot, %r15 = the sealed page; to .Lunwind_lost when on none. */
.macro SLOT_OF address
	leaq	flexos__sealed(%rip), %r15
	xorl	%ebx, %ebx
1:	movq	\address, %rbp
	subq	GATE_SEALED_STACKS(%r15,%rbx,8), %rbp
	cmpq	$GATE_STACK_SLOTS << GATE_STACK_SHIFT, %rbp
	jb	2f
	incl	%ebx
	cmpq	GATE_SEALED_NCOMPARTMENTS(%r15), %rbx
	jb	1b
	jmp	.Lunwind_lost
2:	shrq	$GATE_STACK_SHIFT, %rbp
.endm

/* void flexos__pkru_unwind(const void *buf, int value, uintptr_t link,
 *                          uintptr_t hint):
 * a longjmp to `buf` out of the activation whose base holds `link` (the
 * gate frame that entered it), from libflexos/longjmp.c, which has
 * already said that this activation runs no more.  Each gate frame on
 * the way is its caller's latest (its slot record's top), on the slot of
 * the thread (the one the stack pointer lies in): with that compartment's
 * rights alone, the frame is dropped from the record; if a setjmp point
 * that compartment registered for `buf` lies between the frame and the
 * base of the activation that made it, that activation resumes there
 * (the point whose stack pointer is `hint`, what the jmp_buf says, else
 * the innermost: the latest setjmp), else it is left too, for the frame
 * that entered it.  Uses no stack until it resumes: the one it runs on
 * is the first activation's, which the rights it switches to cannot
 * write.
 *
 * Like the gate's, each WRPKRU is followed by a check that the value
 * written is the sealed PKRU of the compartment whose memory is read
 * next.  A jump into this code with forged registers can drop a
 * compartment's latest waiting frame (the gate's way back then stops the
 * image) or resume a setjmp point that compartment set, still above the
 * frames it waits in, with the registers it saved: what a longjmp out of
 * the calls may do. */
	.globl	flexos__pkru_unwind
	.type	flexos__pkru_unwind, @function
flexos__pkru_unwind:
	movq	%rdi, %r12			/* buf */
	movl	%esi, %r13d			/* value */
	movq	%rdx, %r14			/* the frame */
	movq	%rcx, %r9			/* the hint */
	testq	%r12, %r12			/* no point has buf 0 */
	jz	.Lunwind_lost
	/* The thread's slot: where its stack pointer lies. */
	SLOT_OF	%rsp
	movq	%rbp, %r10
.Lunwind_frame:
	SLOT_OF	%r14				/* %rbx, %rbp: whose, which */
	cmpq	%r10, %rbp
	jne	.Lunwind_lost			/* another thread's */
	SWITCH_CHECKED %rbx, %rbp, %r15, %rdx	/* that compartment only */
	cmpq	RECORD_TOP(%rdx), %r14	/* its latest waiting frame */
	jne	.Lviolation
	cmpq	$0, RECORD_BUSY(%rdx)
	jne	.Lviolation
	movq	GATE_SAVED_TOP(%r14), %rax
	movq	%rax, RECORD_TOP(%rdx)	/* dropped */
	/* The base of the activation that made the frame. */
	leaq	-GATE_SLOT_SLACK(%rdx), %rcx
	testq	%rax, %rax
	cmovzq	%rcx, %rax
	/* A setjmp point for buf between the frame and that base?  %r8:
	 * the innermost so far. */
	leaq	-GATE_JMP_TABLE - GATE_SLOT_RECORD(%rdx), %rcx
	movl	$GATE_JMP_POINTS, %esi
	xorl	%r8d, %r8d
3:	cmpq	GATE_JMP_BUF(%rcx), %r12
	jne	5f
	movq	GATE_JMP_SP(%rcx), %rdi
	cmpq	%r14, %rdi
	jbe	5f
	cmpq	%rax, %rdi
	jae	5f
	cmpq	%r9, %rdi
	je	.Lunwind_resume			/* the one the jmp_buf names */
	testq	%r8, %r8
	jz	4f
	cmpq	GATE_JMP_SP(%r8), %rdi
	jae	5f
4:	movq	%rcx, %r8
5:	addq	$GATE_JMP_POINT_SIZE, %rcx
	decl	%esi
	jnz	3b
	movq	%r8, %rcx
	testq	%rcx, %rcx
	jnz	.Lunwind_resume
	/* No: that activation is left too. */
	movq	-GATE_ACTIVATION_LINK(%rax), %r14
	testq	%r14, %r14
	jnz	.Lunwind_frame
.Lunwind_lost:
	/* No activation of this thread set buf. */
	movl	$GATE_STOP_NO_SETJMP, %esi
	jmp	.Lstop
.Lunwind_resume:
	/* %rcx: the point, %rdx: the end of the slot, %rbx: the compartment, %r14:
	 * the gate frame dropped, which holds the thread pointer that
	 * compartment had: loaded before any code of its runs.  The point's
	 * function must still run
	 * (flexos__point_live, libflexos/longjmp.c): asked with the
	 * compartment's rights, on its stack below that gate frame, where
	 * only abandoned frames were, which the walk up from it does not
	 * read. */
	movq	GATE_FS_BASE(%r14), %rax
	wrfsbase %rax
	leaq	-512(%r14), %rax
	andq	$-16, %rax
	movq	%rax, %rsp
	pushq	%rcx
	pushq	%rdx
	movq	%rcx, %rdi
	movq	%r14, %rsi
	call	flexos__point_live
	popq	%rdx
	popq	%rcx
	testb	%al, %al
	jnz	6f
	movl	$GATE_STOP_STALE, %esi
	jmp	.Lstop
6:	movl	$1, %eax
	xchgq	%rax, RECORD_BUSY(%rdx)	/* atomic: two threads race */
	testq	%rax, %rax
	jnz	.Lviolation
	movl	%ebx, CURRENT
	movq	%rcx, %rdi
	movl	%r13d, %esi
	jmp	flexos__setjmp_resume
	.size	flexos__pkru_unwind, .-flexos__pkru_unwind

/* Where an off-slot gate returns, on the caller's slot with its rights:
 * the record says again that the caller does not run on the slot, and
 * the stack pointer and return address, from the caller's own memory,
 * take it back to its first stack. */
	.type	flexos__pkru_gate_off_slot_back, @function
flexos__pkru_gate_off_slot_back:
.Loff_slot_back:
	addq	$8 + GATE_STACK_ARGS, %rsp
	popq	%rcx
	movq	$0, GATE_RECORD_BUSY(%rcx)
	popq	%rcx
	popq	%rsp
	jmp	*%rcx
	.size	flexos__pkru_gate_off_slot_back, .-flexos__pkru_gate_off_slot_back

/* void flexos__setjmp_resume(const struct flexos__setjmp_point *point,
 *                            int value): returns `value` (1 for 0) from
 * the setjmp that registered `point`, on its stack, with its registers:
 * the end of a longjmp out of calls (here and in libflexos/longjmp.c). */
	.globl	flexos__setjmp_resume
	.type	flexos__setjmp_resume, @function
flexos__setjmp_resume:
	ldmxcsr	GATE_JMP_FP_CONTROL(%rdi)
	fldcw	GATE_JMP_FP_CONTROL+4(%rdi)
	cld
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movq	GATE_JMP_RBX(%rdi), %rbx
	movq	GATE_JMP_RBP(%rdi), %rbp
	movq	GATE_JMP_R12(%rdi), %r12
	movq	GATE_JMP_R13(%rdi), %r13
	movq	GATE_JMP_R14(%rdi), %r14
	movq	GATE_JMP_R15(%rdi), %r15
	movq	GATE_JMP_SP(%rdi), %rsp
	jmp	*GATE_JMP_PC(%rdi)
	.size	flexos__setjmp_resume, .-flexos__setjmp_resume

/* Every compartment closed: PKRU = the sealed closed value, checked.  A
 * jump here only drops rights.  Clobbers %eax %ecx %edx. */
.macro CLOSE_ALL
	movl	flexos__sealed+GATE_SEALED_PKRU_CLOSED(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpl	flexos__sealed+GATE_SEALED_PKRU_CLOSED(%rip), %eax
	jne	.Lviolation
.endm

/* void *flexos__pkru_call_closed(void *(*fn)(void *), void *arg,
 *                               char *stack):
 * fn(arg) on `stack`, memory of key 0, with every compartment closed, and
 * back with the caller's rights: how a thread is created (its clone holds
 * the PKRU of its creator, so the C library's code that starts it, on a
 * stack every compartment can write, holds none).  The caller waits in a
 * gate frame on its slot, and comes back the way a gate returns: the
 * frame its record names, on the rights of that record's compartment,
 * whatever fn did to the registers and the stack it ran on. */
	.globl	flexos__pkru_call_closed
	.type	flexos__pkru_call_closed, @function
flexos__pkru_call_closed:
	.cfi_startproc
	GATE_PUSH_CALLER
	movq	%rdi, %r12
	movq	%rsi, %r13
	movq	%rdx, %rbx
	CALLER_OF_PKRU
	movq	%rsp, %rdx
	subq	GATE_SEALED_STACKS(%r15,%r14,8), %rdx
	shrq	$GATE_STACK_SHIFT, %rdx
	cmpq	$GATE_STACK_SLOTS, %rdx
	jae	.Lclosed_off_slot
	WAIT_IN_FRAME %r14, %rdx, %r15
	movq	$0, GATE_ENTRY(%rsp)		/* no callee */
	movq	%rdx, %r15			/* the slot */
	CLOSE_ALL
	movq	%rbx, %rsp
	movq	%r13, %rdi
	call	*%r12
	/* Back with no rights: %r14 (the caller) and %r15 (the slot) are
	 * hints, bound by the checks. */
	movq	%rax, %r12
	leaq	flexos__sealed(%rip), %r11
	andl	$GATE_MAX_COMPARTMENTS - 1, %r14d
	RESUME_WAITING_FRAME %r14, %r15, %r11
	movq	%r12, %rax
	GATE_POP_CALLER
	ret
.Lclosed_off_slot:
	/* Off its slot (a constructor): the call is made again from the
	 * slot, as the gate does (.Loff_slot). */
	movl	%r14d, %edi
	call	flexos__pkru_gate_off_slot	/* %rax: the top, %rdx: record */
	MOVE_ONTO_SLOT
	movq	%r12, %rdi
	movq	%r13, %rsi
	movq	%rbx, %rdx
	CALLER_REGISTERS_BACK
	jmp	flexos__pkru_call_closed
	.cfi_endproc
	.size	flexos__pkru_call_closed, .-flexos__pkru_call_closed

/* void *flexos__pkru_thread_enter(unsigned compartment, unsigned slot,
 *                                 unsigned boot):
 * a thread the runtime started, which holds no compartment's rights,
 * enters `compartment` on its stack slot `slot` and runs there
 * flexos__thread_begin(compartment, boot) (libflexos/thread.c), which
 * starts the thread only if that compartment asked for it, and ends it
 * there; then it closes every compartment again and returns the result
 * on the stack it came from.  The arguments come from memory every compartment writes:
 * the switch is checked like the gate's, and the record, like a callee's,
 * must say that nothing runs on the slot; the thread then runs below the
 * frame that compartment waits in there, if any.  Unwinders (a
 * pthread_exit) step from the compartment's stack to the caller's by
 * %rbx, which holds the caller's stack pointer. */
	.globl	flexos__pkru_thread_enter
	.type	flexos__pkru_thread_enter, @function
flexos__pkru_thread_enter:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	pushq	%rbx
	.cfi_def_cfa_offset 24
	.cfi_offset %rbx, -24
	pushq	%r12
	.cfi_def_cfa_offset 32
	.cfi_offset %r12, -32
	pushq	%r13
	.cfi_def_cfa_offset 40
	.cfi_offset %r13, -40
	pushq	%r14
	.cfi_def_cfa_offset 48
	.cfi_offset %r14, -48
	pushq	%r15
	.cfi_def_cfa_offset 56
	.cfi_offset %r15, -56
	subq	$8, %rsp
	.cfi_def_cfa_offset 64
	movq	%rsp, %rbx
	.cfi_def_cfa %rbx, 64
	movl	%edi, %r14d
	andl	$GATE_MAX_COMPARTMENTS - 1, %r14d
	movl	%esi, %r15d
	movl	%edx, %r12d
	leaq	flexos__sealed(%rip), %r11
	SWITCH_CHECKED %r14, %r15, %r11, %r13	/* %r13: the slot's end */
	ENTER_SLOT %r13
	movq	$0, -GATE_ACTIVATION_LINK(%rax)	/* no gate entered it */
	leaq	flexos__thread_begin(%rip), %rcx
	movq	%rcx, -GATE_ACTIVATION_ENTRY(%rax)
	leaq	-GATE_ACTIVATION_LINK(%rax), %rsp
	movl	%r14d, CURRENT
	movl	%r14d, %edi
	movl	%r12d, %esi
	cld
	call	flexos__thread_begin
	/* With the compartment's rights: %r13 is the slot's end still,
	 * unless something jumped here, which then writes only where it
	 * could write itself before it closes every compartment. */
	movq	$0, RECORD_BUSY(%r13)
	movq	%rax, %r12
	CLOSE_ALL
	movq	%rbx, %rsp
	.cfi_def_cfa %rsp, 64
	movq	%r12, %rax
	addq	$8, %rsp
	.cfi_def_cfa_offset 56
	popq	%r15
	.cfi_def_cfa_offset 48
	popq	%r14
	.cfi_def_cfa_offset 40
	popq	%r13
	.cfi_def_cfa_offset 32
	popq	%r12
	.cfi_def_cfa_offset 24
	popq	%rbx
	.cfi_def_cfa_offset 16
	popq	%rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	flexos__pkru_thread_enter, .-flexos__pkru_thread_enter

/* void flexos__pkru_first(uint32_t pkru): the main thread's first switch,
 * while start-up runs alone; other threads inherit their creator's PKRU.
 * Checked like the gate's: once the sealed page says start-up is over, a
 * jump here stops the image. */
	.globl	flexos__pkru_first
	.type	flexos__pkru_first, @function
flexos__pkru_first:
	.cfi_startproc
	movl	%edi, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpb	$0, flexos__sealed+GATE_SEALED_SEALED(%rip)
	jne	.Lviolation
	ret
	.cfi_endproc
	.size	flexos__pkru_first, .-flexos__pkru_first
	/* Where this file's code ends: the runtime on Linux lets no other
	 * code write PKRU (libflexos/pkru_sites.c). */
	.globl	flexos__pkru_gate_code_end
	.hidden	flexos__pkru_gate_code_end
flexos__pkru_gate_code_end:

	.section .note.GNU-stack,"",@progbits
