/* The part of a fault report that reads the compartments' stacks: a scan
 * of the thread's stacks for return addresses, and the gates it is inside
 * of.  The runtime's fault handler runs with key 0 alone (trap.c): with
 * every key open it would follow pointers in key-0 memory (stdio, the
 * runtime's registry, thread-local storage) that any compartment can
 * rewrite, and run that compartment's code with every right.  So the
 * kernel, which reads the program's memory through its frames, whatever
 * their keys, does the walk and hands the handler what it found: code
 * addresses and gate entries only, never the contents of a stack.
 *
 * The same walk as a backtrace without unwind tables: each word of the
 * faulting stack, from its pointer up to the base of the compartment's
 * activation, that is a return address into the program's code; then,
 * through the gate frame that entered that activation (its link, below
 * the base), the caller's stack from that frame up to its own activation's
 * base, and so on out to the thread's first activation.  Everything it
 * reads is the compartments' memory, so each link and frame is checked to
 * lie on the slot of the compartment it names, and each entry against the
 * sealed table: a compartment that rewrote them cuts the report short. */
#include "kernel.h"
#include "gate_frame.h"

#define STACK_SIZE (1ul << GATE_STACK_SHIFT)

struct walk {
	uint64_t stacks[GATE_MAX_COMPARTMENTS];
	unsigned ncompartments;
	uint64_t entries, entry_bytes;
	uint64_t slot;
	struct flexos_baremetal_fault *info;
	unsigned returns;
};

/* The program's word at va (8-aligned), if a frame backs it. */
static bool peek(uint64_t va, uint64_t *out)
{
	uint64_t at = va % 8 ? 0 : vm_frame_of(va);

	if (!at)
		return false;
	*out = *(const uint64_t *)at;
	return true;
}

static bool peek_byte(uint64_t va, uint8_t *out)
{
	uint64_t at = vm_frame_of(va);

	if (!at)
		return false;
	*out = *(const uint8_t *)at;
	return true;
}

static bool is_code(uint64_t va)
{
	int prot, key;

	return vm_page(va, &prot, &key) && (prot & PROT_X);
}

/* Whether `address` follows a call instruction of the program's code:
 * what a return address looks like.  Direct calls (e8 rel32) and the
 * indirect forms compilers emit (ff /2 with a register, a displacement or
 * an index).  The program's code is its only executable memory (W^X). */
static bool after_call(uint64_t address)
{
	uint8_t before[7]; /* before[7 - n]: the byte n before address */

	if (address < USER_START + 7 || !is_code(address - 7) ||
	    !is_code(address - 1))
		return false;
	for (unsigned i = 0; i < 7; i++)
		if (!peek_byte(address - 7 + i, &before[i]))
			return false;
	for (unsigned length = 2; length <= 7; length++)
		if (before[7 - length] == 0xff &&
		    (before[7 - length + 1] & 0x38) == 0x10)
			return true;
	return before[2] == 0xe8;
}

static uint64_t slot_end(const struct walk *w, unsigned c)
{
	return w->stacks[c] + (w->slot + 1) * STACK_SIZE;
}

static uint64_t slot_top(const struct walk *w, unsigned c)
{
	return slot_end(w, c) - GATE_SLOT_SLACK;
}

/* The lowest byte of the thread's slot in c above its guard page. */
static uint64_t slot_first(const struct walk *w, unsigned c)
{
	return slot_end(w, c) - STACK_SIZE + PAGE_SIZE;
}

/* Whether [address, address + size) lies on the thread's slot in c, above
 * its guard page. */
static bool within_slot(const struct walk *w, unsigned c, uint64_t address,
			uint64_t size)
{
	uint64_t top = slot_top(w, c);

	return address >= slot_first(w, c) && address <= top &&
	       size <= top - address;
}

/* The top of c's record on the thread's slot: its latest waiting frame. */
static uint64_t record_top(const struct walk *w, unsigned c)
{
	uint64_t top = 0;

	peek(slot_end(w, c) - GATE_SLOT_RECORD + GATE_RECORD_TOP, &top);
	return top;
}

/* The sealed entry at `entry`: its function and compartment. */
static bool entry_of(const struct walk *w, uint64_t entry, uint64_t *fn,
		     unsigned *compartment)
{
	uint64_t offset = entry - w->entries, word;

	if (offset >= w->entry_bytes || offset % GATE_RECORD_SIZE ||
	    !peek(entry + GATE_ENTRY_FN, fn) ||
	    !peek(entry + GATE_ENTRY_COMPARTMENT, &word))
		return false;
	*compartment = (uint32_t)word;
	return *compartment < w->ncompartments;
}

static void add(struct flexos_baremetal_trace *list, uint64_t *n, unsigned max,
		uint64_t address, unsigned caller, unsigned callee)
{
	if (*n < max)
		list[(*n)++] = (struct flexos_baremetal_trace){
			.address = address,
			.caller = (uint8_t)caller,
			.callee = (uint8_t)callee,
		};
}

/* Each word of [from, to) that is a return address, into the trace; 31 of
 * them at most (the report's #1 to #31). */
static void scan(struct walk *w, uint64_t from, uint64_t to)
{
	uint64_t word;

	for (from &= ~7ul; from < to && w->returns < 31; from += 8) {
		if (!peek(from, &word) || !after_call(word))
			continue;
		w->returns++;
		add(w->info->trace, &w->info->ntrace, FLEXOS_BAREMETAL_TRACE,
		    word, FLEXOS_BAREMETAL_TRACE_RETURN, 0);
	}
}

/* Which compartment's stack slot `sp` lies on (not in its slack), and
 * which slot: the thread's. */
static bool find_slot(struct walk *w, uint64_t sp, unsigned *c)
{
	for (*c = 0; *c < w->ncompartments; (*c)++) {
		uint64_t offset = sp - w->stacks[*c];
		if (offset >= GATE_STACK_SLOTS * STACK_SIZE)
			continue;
		w->slot = offset / STACK_SIZE;
		if (sp < slot_top(w, *c))
			return true;
	}
	return false;
}

static void walk_stacks(struct walk *w, uint64_t sp, unsigned c)
{
	uint64_t base = record_top(w, c), first = slot_first(w, c);

	/* The compartment's own record: whatever it says, the scan stays on
	 * its slot (a kernel that is never preempted must not scan far). */
	if (!base || !within_slot(w, c, base, 0))
		base = slot_top(w, c);

	scan(w, sp > first ? sp : first, base);
	for (unsigned hops = 0; hops < 64; hops++) {
		uint64_t link, entry, fn, saved_top;
		unsigned caller = 0, callee;

		if (!within_slot(w, c, base - GATE_ACTIVATION_LINK, 8) ||
		    !peek(base - GATE_ACTIVATION_LINK, &link) || !link)
			return;
		while (caller < w->ncompartments &&
		       !within_slot(w, caller, link, GATE_FRAME_SIZE))
			caller++;
		if (caller == w->ncompartments ||
		    !peek(link + GATE_ENTRY, &entry) ||
		    !entry_of(w, entry, &fn, &callee) || callee != c ||
		    !peek(link + GATE_SAVED_TOP, &saved_top) ||
		    saved_top == GATE_OFF_SLOT)
			return;
		base = saved_top ? saved_top : slot_top(w, caller);
		if (base <= link || !within_slot(w, caller, base, 0))
			return;
		add(w->info->trace, &w->info->ntrace, FLEXOS_BAREMETAL_TRACE,
		    fn, caller, c);
		/* Past the frame and the word that aligns it (stale). */
		scan(w, link + GATE_FRAME_SIZE + 8, base);
		c = caller;
	}
}

/* The gates the thread is inside of: while a gate has left compartment c,
 * the record of the thread's slot in c points at its frame, which names
 * the entry called, and the frame's saved top at the one before. */
static void list_gates(struct walk *w)
{
	for (unsigned c = 0; c < w->ncompartments; c++) {
		uint64_t frame = record_top(w, c), entry, fn;
		unsigned callee;

		for (unsigned hops = 0; frame && frame != GATE_OFF_SLOT &&
					hops < 64; hops++) {
			if (!within_slot(w, c, frame, GATE_FRAME_SIZE) ||
			    !peek(frame + GATE_ENTRY, &entry) ||
			    !entry_of(w, entry, &fn, &callee))
				break;
			add(w->info->gates, &w->info->ngates,
			    FLEXOS_BAREMETAL_GATES, fn, c, callee);
			if (!peek(frame + GATE_SAVED_TOP, &frame))
				break;
		}
	}
}

void fault_walk(uint64_t sp, struct flexos_baremetal_fault *info)
{
	uint64_t sealed = policy_sealed_page(), n;
	struct walk w = { .info = info };
	unsigned c;

	info->ntrace = info->ngates = 0;
	if (!sealed || !peek(sealed + GATE_SEALED_NCOMPARTMENTS, &n) ||
	    n > GATE_MAX_COMPARTMENTS ||
	    !peek(sealed + GATE_SEALED_ENTRIES, &w.entries) ||
	    !peek(sealed + GATE_SEALED_ENTRY_BYTES, &w.entry_bytes))
		return;
	w.ncompartments = (unsigned)n;
	for (c = 0; c < w.ncompartments; c++)
		if (!peek(sealed + GATE_SEALED_STACKS + 8 * c, &w.stacks[c]))
			return;
	if (!find_slot(&w, sp, &c)) {
		/* Off the slots: the page of the stack pointer, unless an
		 * overflow put it past the stack's end, and only if the
		 * faulting thread could read it (a stack pointer set to
		 * another compartment's page would have the report show what
		 * looks like code addresses there). */
		int prot, key;
		if (info->reason != FLEXOS_BAREMETAL_FAULT_GUARD &&
		    vm_page(sp, &prot, &key) &&
		    !(info->pkru >> (2 * key) & 1))
			scan(&w, sp, (sp | 4095) + 1);
		return;
	}
	walk_stacks(&w, sp & ~7ul, c);
	list_gates(&w);
}
