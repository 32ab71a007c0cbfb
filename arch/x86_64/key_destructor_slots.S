/* The destructors the C library runs at a thread's end for the keys an
 * isolated compartment created (libflexos/exit_handlers.c): one entry per
 * slot, GATE_KEY_SLOT_BYTES apart, each calling
 * flexos__key_destructor_run(value, slot), since the C library hands a
 * key's destructor only the thread's value.
 *
 * An entry loads its slot and jumps to the same place in the next entry,
 * down a ladder of identical short jumps to the one call at the end.
 * Why not a jump from each entry straight there: start-up reads every
 * byte of the image's code for WRPKRU and XRSTOR (libflexos/pkru_sites.c),
 * and a thousand displacements that differ, in some layout of some image,
 * would spell one.  These bytes are the same in every image: the slot
 * (below 0x400), a short jump of constant length, int3 padding. */
#include "gate_frame.h"

	.text
	.p2align 4
	.globl	flexos__key_destructor_slots
	.hidden	flexos__key_destructor_slots
	.type	flexos__key_destructor_slots, @function
flexos__key_destructor_slots:
	.set	slot, 0
	.rept	GATE_KEY_SLOTS
	movl	$slot, %esi			/* 5 bytes */
	.byte	0xeb, GATE_KEY_SLOT_BYTES - 2	/* the next entry's jump */
	.fill	GATE_KEY_SLOT_BYTES - 7, 1, 0xcc
	.set	slot, slot + 1
	.endr
	.if	. - flexos__key_destructor_slots != GATE_KEY_SLOTS * GATE_KEY_SLOT_BYTES
	.error	"a key destructor entry is not GATE_KEY_SLOT_BYTES long"
	.endif
	.fill	5, 1, 0xcc
	jmp	flexos__key_destructor_run
	.size	flexos__key_destructor_slots, .-flexos__key_destructor_slots

	.section .note.GNU-stack,"",@progbits
