/* The system-call policy (docs/baremetal.md).  A compartment is attacker
 * code: any instruction, any system call.  The keys keep its loads and
 * stores to its own memory; the calls here change memory wholesale
 * (reprotect, retag, replace, unmap), so once start-up is over they may
 * touch only pages the caller owns:
 *
 * - pages whose key the caller's PKRU lets it write: the kernel knows a
 *   compartment by its PKRU alone (the runtime knows names, and writes
 *   the report of a refused call);
 * - but no key-0 page of the program image or of the runtime's table of
 *   entry points.  Key 0 is everybody's, and what start-up fixed there
 *   (code, read-only data, the seal) nobody may change, except the
 *   default compartment switching the runtime's sealed page between
 *   read-only and read-write (hooks registered after start-up).
 *
 * No memory becomes executable at run time, before start-up ends or
 * after: the only code is the program's, loaded and scanned for WRPKRU by
 * the kernel (loader.c), so no page is ever writable and executable, at
 * once or in turn.
 *
 * A refused call stops the image (86): the program resumes in the
 * runtime's fault handler, which names the compartment.  Key management
 * after start-up merely fails (EPERM): it harms nobody when refused. */
#include "kernel.h"

static bool started;
static int default_key;
static uint64_t sealed_page, entries_start, entries_end;

static const char *const rules[] = {
	[FLEXOS_BAREMETAL_POLICY_OTHERS] = "memory of another compartment",
	[FLEXOS_BAREMETAL_POLICY_FIXED] = "memory fixed at start-up",
	[FLEXOS_BAREMETAL_POLICY_EXEC] = "executable memory",
	[FLEXOS_BAREMETAL_POLICY_KEY] = "a key it may not write",
};

/* Whether the calling thread's PKRU lets it write pages of `key`. */
static bool holds(int key)
{
	return !((flexos__rdpkru() >> 2 * key) & 3);
}

uint64_t policy_sealed_page(void)
{
	return started ? sealed_page : 0;
}

int64_t policy_start(uint64_t sealed, uint64_t entries, uint64_t entries_size)
{
	if (started)
		return -EPERM;
	if (sealed % PAGE_SIZE || entries % PAGE_SIZE ||
	    entries_size > USER_END)
		return -EINVAL;
	for (default_key = 1; default_key < NKEYS; default_key++)
		if ((keys_used & (1u << default_key)) && holds(default_key))
			break;
	if (default_key == NKEYS)
		return -EINVAL;
	started = true;
	sealed_page = sealed;
	entries_start = entries;
	entries_end = entries + PAGE_UP(entries_size);
	return 0;
}

bool policy_started(void)
{
	return started;
}

/* Stops the image with the runtime's report, or the kernel's when the
 * runtime has no handler: the call's result is moot. */
static int64_t refuse(struct trap_frame *f, int rule, uint64_t address,
		      int key)
{
	struct flexos_baremetal_fault info = {
		.reason = FLEXOS_BAREMETAL_FAULT_POLICY,
		.address = address, .page_key = (uint64_t)key,
		.rule = (uint64_t)rule, .call = f->rax,
		.args = { f->rdi, f->rsi, f->rdx, f->r10 },
	};

	if (trap_to_user_handler(f, &info))
		return -EPERM;
	kprintf("flexos: the program (PKRU 0x%08x) made a system call the "
		"policy refuses: %lu(0x%lx, 0x%lx, 0x%lx, 0x%lx) on %s "
		"(address 0x%lx, key %d)\n", flexos__rdpkru(), info.call,
		info.args[0], info.args[1], info.args[2], info.args[3],
		rules[rule], address, key);
	kprintf("flexos: stopping the image (exit status %d)\n", EXIT_FAULT);
	machine_exit(EXIT_FAULT);
}

static bool fixed(uint64_t page)
{
	return (page >= PAGE_DOWN(the_program.start) &&
		page < the_program.brk) ||
	       (page >= entries_start && page < entries_end);
}

/* Refuses a change of the pages mapped in [va, va + len) unless the
 * caller owns each; `sealed_ok`: they may include the sealed page.  A
 * range outside the program's half is left to the call, which fails. */
static int64_t own_pages(struct trap_frame *f, uint64_t va, uint64_t len,
			 bool sealed_ok)
{
	int prot, key;

	if (!started || va < USER_START || va >= USER_END ||
	    len > USER_END - va)
		return 0;
	for (uint64_t p = PAGE_DOWN(va); p < va + len; p += PAGE_SIZE) {
		if (!vm_page(p, &prot, &key))
			continue;
		if (!holds(key))
			return refuse(f, FLEXOS_BAREMETAL_POLICY_OTHERS, p,
				      key);
		if (key == 0 && fixed(p) && !(sealed_ok && p == sealed_page))
			return refuse(f, FLEXOS_BAREMETAL_POLICY_FIXED, p, key);
	}
	return 0;
}

int64_t policy_replace(struct trap_frame *f, uint64_t va, uint64_t len,
		       int prot)
{
	if (prot & PROT_X)
		return refuse(f, FLEXOS_BAREMETAL_POLICY_EXEC, va, 0);
	return own_pages(f, va, len, false);
}

int64_t policy_protect(struct trap_frame *f, uint64_t va, uint64_t len,
		       int prot, int key)
{
	if (prot & PROT_X)
		return refuse(f, FLEXOS_BAREMETAL_POLICY_EXEC, va, 0);
	if (started && key > 0 && !holds(key))
		return refuse(f, FLEXOS_BAREMETAL_POLICY_KEY, va, key);
	return own_pages(f, va, len,
			 key < 0 && holds(default_key) &&
				 (prot == PROT_R || prot == (PROT_R | PROT_W)));
}
