/* What arch/x86_64/pkru_gate.S needs from C: the secrets its check of a
 * caller compares, where a caller off its stack slot waits for a gate, the
 * stack it stops the image on when one of its checks fails, and the
 * reports. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "gate_frame.h"
#include "internal.h"
#include "pkru.h"

char flexos__pkru_gate_stack[GATE_VIOLATION_STACK] __attribute__((aligned(16)));

_Static_assert(offsetof(struct flexos__thread, current) ==
		       GATE_THREAD_CURRENT, "");
_Static_assert(sizeof(((struct flexos__thread *)0)->current) == 4, "");
_Static_assert(offsetof(struct flexos__slot_record, top) == GATE_RECORD_TOP,
	       "");
_Static_assert(offsetof(struct flexos__slot_record, busy) ==
		       GATE_RECORD_BUSY, "");
_Static_assert(FLEXOS__SLOT_RECORD == GATE_SLOT_RECORD, "");
_Static_assert(FLEXOS__STACK_SLACK == GATE_SLOT_SLACK, "");
_Static_assert(FLEXOS__STACK_SHIFT == GATE_STACK_SHIFT, "");
_Static_assert(FLEXOS__STACK_SLOTS == GATE_STACK_SLOTS, "");
_Static_assert(offsetof(struct flexos_hooks, domain_switch) ==
		       GATE_HOOKS_DOMAIN_SWITCH, "");
_Static_assert(offsetof(struct flexos_hooks, context) == GATE_HOOKS_CONTEXT,
	       "");

void flexos__pkru_gate_use(const int *keys, unsigned ncompartments,
			   uint32_t closed)
{
	/* Past the compartments too: the gate masks a caller hint into the
	 * array before its check, and must not find every key open there. */
	for (unsigned c = ncompartments; c < FLEXOS_MAX_COMPARTMENTS; c++)
		flexos__sealed.pkru[c] = closed;
	for (unsigned c = 0; c < ncompartments; c++) {
		flexos__sealed.pkru[c] = closed;
		for (unsigned s = 0; s < ncompartments; s++)
			if (flexos__sealed.reach[c] & 1u << s)
				flexos__sealed.pkru[c] &= ~PKRU_KEY_BITS(keys[s]);
	}
	flexos__sealed.pkru_closed = closed;
	flexos__sealed.pkru_gate = true;
}

void flexos__pkru_gate_secrets(void)
{
	uint64_t secret[FLEXOS_MAX_COMPARTMENTS][FLEXOS_MAX_COMPARTMENTS];

	if (!flexos__sealed.pkru_gate)
		return;
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot draw the gate's "
			    "secrets: getrandom: %s", strerror(errno));
	/* Pair (a, b) shares secret[min][max]; the entries past the
	 * compartments, and a compartment's own, are drawn like the others,
	 * so that no claimed caller finds a known value there. */
	for (unsigned a = 0; a < flexos__sealed.ncompartments; a++)
		for (unsigned b = 0; b < FLEXOS_MAX_COMPARTMENTS; b++)
			flexos__sealed.heaps[a]->gate_secrets[b] =
				a < b ? secret[a][b] : secret[b][a];
	explicit_bzero(secret, sizeof(secret));
}

/* Only the main thread switches here, once.  A thread the runtime
 * creates starts with every compartment closed and enters its own
 * through flexos__pkru_thread_enter (pthread.c). */
void flexos__pkru_thread_start(unsigned compartment)
{
	uint32_t pkru = flexos__rdpkru();

	if (pkru != flexos__sealed.pkru_closed &&
	    pkru != flexos__sealed.pkru[compartment])
		flexos__pkru_first(flexos__sealed.pkru[compartment]);
}

bool flexos__pkru_closed(void)
{
	return flexos__sealed.pkru_gate &&
	       flexos__rdpkru() == flexos__sealed.pkru_closed;
}

/* The gate of a caller that runs on no stack slot of its own waits on the
 * thread's slot of the caller's compartment instead, in memory only the
 * caller can write: below the frame the caller already waits in there, or
 * at the top.  Runs with the caller's rights, before any switch.  A caller
 * that runs on that slot too (a signal handler that interrupted it there)
 * has no room we know of: its stack pointer on the slot is the kernel's
 * secret. */
struct flexos__off_slot flexos__pkru_gate_off_slot(unsigned caller)
{
	struct flexos__slot_record *record;
	char *slot_top, *top;

	if (!flexos__self.has_slot)
		flexos__stack_slot_take();
	/* The slot index is in key 0, which every compartment can write:
	 * bounded, the record and the room below it are the caller's. */
	if ((unsigned)flexos__self.slot >= FLEXOS__STACK_SLOTS)
		flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: the thread's "
			    "record names stack slot %d, which does not exist "
			    "(rewritten by a compartment)\nflexos:   backend %s",
			    flexos__self.slot, flexos_backend_name());
	record = flexos__slot_record(caller);
	if (record->busy)
		flexos__die(FLEXOS_EXIT_FAULT, "compartment '%s' made a gate "
			    "off its stack while it runs on this thread's "
			    "stack (a signal handler that interrupted it?): "
			    "backend %s keeps the gate's frame on that stack "
			    "and finds no room there",
			    flexos__rt.compartments[caller].name,
			    flexos_backend_name());
	slot_top = flexos__slot_top(caller);
	top = flexos__activation_base(caller);
	if (top > slot_top ||
	    top < slot_top - FLEXOS__STACK_SIZE + FLEXOS__STACK_SLACK +
			  FLEXOS__PAGE)
		flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: compartment "
			    "'%s' waits in a frame at %p, off its stack slot"
			    "\nflexos:   backend %s",
			    flexos__rt.compartments[caller].name, (void *)top,
			    flexos_backend_name());
	/* The caller's activation there: no gate entered it (a longjmp
	 * cannot leave it for the first stack). */
	top = (char *)((uintptr_t)top & ~(uintptr_t)15) -
	      FLEXOS__ACTIVATION_LINK;
	*(uintptr_t *)top = 0;
	return (struct flexos__off_slot){ top, record };
}

unsigned flexos__compartment_of_pkru(uint32_t pkru)
{
	unsigned hint = flexos__self.current;

	if (flexos__sealed.pkru_gate)
		for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
			if (flexos__sealed.pkru[c] == pkru)
				return c;
	return hint < flexos__rt.ncompartments ? hint : 0;
}

unsigned flexos__accessor_of_pkru(uint32_t pkru)
{
	if (flexos__sealed.pkru_gate && pkru == flexos__sealed.pkru_closed)
		return FLEXOS_MAX_COMPARTMENTS;
	return flexos__compartment_of_pkru(pkru);
}

unsigned flexos__accessor_now(void)
{
	if (!flexos__sealed.pkru_gate)
		return flexos__current();
	return flexos__accessor_of_pkru(flexos__rdpkru());
}

bool flexos__pkru_gate_faulted(uintptr_t ip)
{
	extern const unsigned char flexos__pkru_gate_hint_store[],
		flexos__pkru_gate_stack_args_hint_store[];

	return flexos__sealed.pkru_gate &&
	       (ip == (uintptr_t)flexos__pkru_gate_hint_store ||
		ip == (uintptr_t)flexos__pkru_gate_stack_args_hint_store);
}

/* A gate from a thread whose PKRU is no compartment's: on Linux, a signal
 * handler (it runs with only key 0 open), or a compartment that jumped to
 * the gate after writing PKRU some other way. */
void flexos__pkru_gate_no_caller(uint32_t pkru)
{
	flexos__die(FLEXOS_EXIT_FAULT,
		    "isolation fault: a gate from code that runs with no "
		    "compartment's rights (PKRU 0x%08x; a signal handler runs "
		    "with only key 0 open)\nflexos:   backend %s",
		    pkru, flexos_backend_name());
}

/* A check after a WRPKRU failed: code jumped into the middle of the gate,
 * or a compartment returned through a gate that does not wait for it; or
 * a longjmp left every activation of the thread without finding the one
 * that set its jmp_buf; or a gate came from a caller its entry does not
 * admit (`entry`, and the compartment the caller `claimed` to be).
 * `pkru` is the value the WRPKRU wrote. */
void flexos__pkru_gate_violation(uint32_t pkru, int why, uintptr_t entry,
				 unsigned claimed)
{
	unsigned hint = flexos__self.current; /* key 0: only a hint */
	const char *name = hint < flexos__rt.ncompartments
				   ? flexos__rt.compartments[hint].name
				   : "?";

	if (why == GATE_STOP_CALLER)
		flexos__caller_refused(flexos__entry_checked(entry), claimed);
	if (why != GATE_STOP_CHECK)
		flexos__longjmp_refused(hint, why);
	flexos__die(FLEXOS_EXIT_FAULT,
		    "isolation fault: compartment '%s' broke a gate's checks "
		    "(PKRU 0x%08x): a jump into the gate, or a return no gate "
		    "waits for\nflexos:   backend %s",
		    name, pkru, flexos_backend_name());
}
