/* Entry points: a gate runs only a function that some gate site of the
 * build names, in the compartment that site names, for a caller that
 * site admits (decision 45).
 *
 * Every site records (fn, library) in section flexos_entries, and its stub
 * hands the trampoline the address of that record, never the function's.
 * Start-up copies the records, resolved to compartments, into a read-only
 * table, then makes read-only the page that says where that table is
 * (flexos__sealed).  So a stub a compartment writes itself, with any %r11
 * that is not a record, gets the fault report; and rewriting a record
 * after start-up changes nothing the trampoline reads. */
#define _GNU_SOURCE /* MFD_CLOEXEC */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gate_frame.h"
#include "internal.h"

extern const struct flexos__entry_record __start_flexos_entries[]
	__attribute__((weak));
extern const struct flexos__entry_record __stop_flexos_entries[]
	__attribute__((weak));

struct flexos__sealed flexos__sealed;
static size_t entries_bytes;

_Static_assert(sizeof(struct flexos__sealed) == FLEXOS__PAGE,
	       "the sealed state fills its page: nothing else shares it");
/* The offsets arch/x86_64/gate.S and pkru_gate.S use. */
_Static_assert(offsetof(struct flexos__sealed, gate_direct) ==
		       GATE_SEALED_DIRECT, "");
_Static_assert(offsetof(struct flexos__sealed, records) ==
		       GATE_SEALED_RECORDS, "");
_Static_assert(offsetof(struct flexos__sealed, record_bytes) ==
		       GATE_SEALED_RECORD_BYTES, "");
_Static_assert(offsetof(struct flexos__sealed, entries) ==
		       GATE_SEALED_ENTRIES, "");
_Static_assert(offsetof(struct flexos__sealed, pkru) == GATE_SEALED_PKRU, "");
_Static_assert(offsetof(struct flexos__sealed, ncompartments) ==
		       GATE_SEALED_NCOMPARTMENTS, "");
_Static_assert(offsetof(struct flexos__sealed, stacks) == GATE_SEALED_STACKS,
	       "");
_Static_assert(offsetof(struct flexos__sealed, entry_bytes) ==
		       GATE_SEALED_ENTRY_BYTES, "");
_Static_assert(offsetof(struct flexos__sealed, hooks) == GATE_SEALED_HOOKS,
	       "");
_Static_assert(offsetof(struct flexos__sealed, pkru_closed) ==
		       GATE_SEALED_PKRU_CLOSED, "");
_Static_assert(offsetof(struct flexos__sealed, sealed) == GATE_SEALED_SEALED,
	       "");
_Static_assert(GATE_MAX_COMPARTMENTS == FLEXOS_MAX_COMPARTMENTS &&
		       (GATE_MAX_COMPARTMENTS & (GATE_MAX_COMPARTMENTS - 1)) == 0,
	       "");
_Static_assert(sizeof(struct flexos__entry_record) == GATE_RECORD_SIZE, "");
_Static_assert(sizeof(struct flexos__entry) == GATE_RECORD_SIZE, "");
_Static_assert(offsetof(struct flexos__entry, gate) == GATE_ENTRY_GATE, "");
_Static_assert(offsetof(struct flexos__entry, fn) == GATE_ENTRY_FN, "");
_Static_assert(offsetof(struct flexos__entry, compartment) ==
		       GATE_ENTRY_COMPARTMENT, "");
_Static_assert(offsetof(struct flexos__entry, pkru) == GATE_ENTRY_PKRU, "");
_Static_assert(offsetof(struct flexos__entry, stacks) == GATE_ENTRY_STACKS,
	       "");
_Static_assert(offsetof(struct flexos__entry, secrets) == GATE_ENTRY_SECRETS,
	       "");
_Static_assert(offsetof(struct flexos__entry, callers) == GATE_ENTRY_CALLERS,
	       "");
_Static_assert(offsetof(struct flexos__sealed, heaps) == GATE_SEALED_HEAPS, "");
_Static_assert(offsetof(struct flexos__heap, gate_secrets) == GATE_HEAP_SECRETS,
	       "");
_Static_assert(sizeof(struct flexos__heap) <= FLEXOS__PAGE,
	       "a heap's state fits the first page of its arena");

/* The code flexos__gate jumps to for a call of record `r`. */
static uintptr_t gate_of(const struct flexos__entry_record *r)
{
	extern const unsigned char flexos__gate_c[], flexos__pkru_gate[],
		flexos__pkru_gate_stack_args[];

	if (flexos__sealed.gate_direct)
		return r->fn;
	if (!flexos__sealed.pkru_gate)
		return (uintptr_t)flexos__gate_c;
	return r->register_args ? (uintptr_t)flexos__pkru_gate
				: (uintptr_t)flexos__pkru_gate_stack_args;
}

/* The compartment whose code holds record r: the link step puts each
 * compartment's records together (image.ld), the default compartment's
 * with flexos-gen's stubs; a record of an object the build placed in no
 * compartment (a library's own dependency, say) stops start-up. */
static unsigned site_of(const struct flexos__entry_record *r, size_t i)
{
	char where[512];

	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		const struct flexos_compartment_desc *d =
			&flexos__rt.image->compartments[c];

		if ((const char *)r >= d->entries_start &&
		    (const char *)r < d->entries_end)
			return c;
	}
	flexos__describe_address(r->fn, where, sizeof(where));
	flexos__die(FLEXOS_EXIT_SETUP,
		    "gate site %zu (to %s) lies in an object that image '%s' "
		    "placed in no compartment: link its library as one of a "
		    "compartment's LIBRARIES (flexos_image)", i, where,
		    flexos__rt.image->name);
}

/* Whether compartment c's own code, or the program's, lets every
 * compartment call fn: a callback it made of fn, or FLEXOS_EXPOSE. */
static bool exposed(uintptr_t fn, unsigned c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct flexos__entry_record *r = &__start_flexos_entries[i];

		if (r->fn != fn || r->lib->compartment != c ||
		    r->callers != FLEXOS__ANY_CALLER)
			continue;
		unsigned site = site_of(r, i);
		if (site == c || site == 0)
			return true;
	}
	return false;
}

/* Who may call through record i, bit c for compartment c (decision 45):
 * what it says, where its site may say it. */
static uint32_t callers_of(size_t i, unsigned site, size_t n)
{
	const struct flexos__entry_record *r = &__start_flexos_entries[i];
	unsigned callee = r->lib->compartment;
	uint32_t all = (uint32_t)((1ull << flexos__rt.ncompartments) - 1);
	char where[512];

	/* A compartment never calls itself through the switch (a gate
	 * within one is a plain call): its own secret is no one's to
	 * present.  The program and the build decide the rest; a library's
	 * own record says only "my code" or "anyone", and names another
	 * compartment's function only where that one agrees. */
	all &= ~(1u << callee);
	if (site == 0)
		return (r->callers == 0 ? 1u
			: r->callers == FLEXOS__ANY_CALLER
				? all
				: (uint32_t)r->callers) & all;
	if (r->callers != 0 && r->callers != FLEXOS__ANY_CALLER) {
		flexos__describe_address(r->fn, where, sizeof(where));
		flexos__die(FLEXOS_EXIT_SETUP,
			    "gate site %zu, in the code of compartment '%s', "
			    "names its callers (0x%lx) for %s: only the "
			    "program's records and the build's may", i,
			    flexos__rt.compartments[site].name,
			    (unsigned long)r->callers, where);
	}
	if (callee != site && !exposed(r->fn, callee, n)) {
		flexos__describe_address(r->fn, where, sizeof(where));
		flexos__die(FLEXOS_EXIT_SETUP,
			    "gate site %zu, in the code of compartment '%s', "
			    "calls %s of compartment '%s', which does not "
			    "expose it: declare FLEXOS_EXPOSE(<library>, <fn>) "
			    "in that compartment's code (or pass a "
			    "flexos_callback of it)", i,
			    flexos__rt.compartments[site].name, where,
			    flexos__rt.compartments[callee].name);
	}
	return (r->callers == FLEXOS__ANY_CALLER ? all : 1u << site) & all;
}

#ifndef FLEXOS__BAREMETAL
/* On hardware keys the sealed page becomes a read-only mapping of a
 * memory file, and a second mapping of it, under the default
 * compartment's key, is the only way to write it (hooks registered after
 * start-up): the system-call policy then lets no one make the page
 * itself writable again, which a compartment could ask for as well as
 * the runtime (seccomp does not see PKRU; decision 46). */
static void seal_behind_alias(void)
{
	int fd = (int)syscall(SYS_memfd_create, "flexos-sealed", MFD_CLOEXEC);
	struct flexos__sealed *alias;
	int err;

	if (fd < 0 || ftruncate(fd, sizeof(flexos__sealed)) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the runtime's "
			    "sealed page: memfd_create: %s", strerror(errno));
	alias = mmap(NULL, sizeof(flexos__sealed), PROT_READ | PROT_WRITE,
		     MAP_SHARED, fd, 0);
	if (alias == MAP_FAILED)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot map the runtime's "
			    "sealed page twice: %s", strerror(errno));
	flexos__sealed.alias = alias;
	memcpy(alias, &flexos__sealed, sizeof(flexos__sealed));
	if (mmap(&flexos__sealed, sizeof(flexos__sealed), PROT_READ,
		 MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the runtime's "
			    "sealed page: %s", strerror(errno));
	close(fd);
	err = flexos__sealed.backend->assign(0, alias, sizeof(*alias));
	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot give the sealed page's "
			    "writable mapping the default compartment's key: "
			    "%s", flexos_strerror(err));
}
#endif

void flexos__entries_seal(void)
{
	size_t n = (size_t)(__stop_flexos_entries - __start_flexos_entries);
	size_t bytes = (n * sizeof(struct flexos__entry) + FLEXOS__PAGE) &
		       ~(size_t)(FLEXOS__PAGE - 1);
	struct flexos__entry *table = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (table == MAP_FAILED)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot map the table of entry "
			    "points (%zu gate sites)", n);
	for (size_t i = 0; i < n; i++) {
		const struct flexos__entry_record *r = &__start_flexos_entries[i];
		unsigned c, site;

		if (!r->lib || r->lib->compartment >= flexos__rt.ncompartments)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "gate site %zu of image '%s' names a "
				    "library outside its %u compartments "
				    "(objects from another build?)",
				    i, flexos__rt.image->name,
				    flexos__rt.ncompartments);
		c = r->lib->compartment;
		/* Where nothing isolates, nothing checks who calls. */
		site = flexos__sealed.gate_direct ? 0 : site_of(r, i);
		table[i] = (struct flexos__entry){
			.fn = r->fn,
			.compartment = c,
			.pkru = flexos__sealed.pkru[c],
			.gate = gate_of(r),
			.stacks = flexos__sealed.stacks[c],
			.secrets = flexos__sealed.pkru_gate
					   ? flexos__sealed.heaps[c]->gate_secrets
					   : NULL,
			.callers = flexos__sealed.gate_direct
					   ? 0
					   : callers_of(i, site, n),
			.site = site,
		};
	}
	flexos__sealed.records = (uintptr_t)__start_flexos_entries;
	flexos__sealed.record_bytes = n * sizeof(struct flexos__entry_record);
	flexos__sealed.entries = table;
	flexos__sealed.entry_bytes = n * sizeof(struct flexos__entry);
	entries_bytes = bytes;
	/* Where nothing isolates, nothing needs sealing. */
	if (flexos__sealed.gate_direct)
		return;
	flexos__sealed.sealed = true;
	if (mprotect(table, bytes, PROT_READ) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the table of entry "
			    "points");
#ifndef FLEXOS__BAREMETAL
	if (flexos__sealed.pkru_gate) {
		seal_behind_alias();
		return;
	}
#endif
	if (mprotect(&flexos__sealed, sizeof(flexos__sealed), PROT_READ) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the runtime's "
			    "sealed page");
}

void flexos__sealed_write(void (*write)(struct flexos__sealed *, void *),
			  void *context)
{
	static atomic_flag writing = ATOMIC_FLAG_INIT;

	if (!flexos__sealed.sealed) {
		write(&flexos__sealed, context);
		return;
	}
	/* The default compartment's key alone opens the alias: any other
	 * caller faults there. */
	if (flexos__sealed.alias) {
		write(flexos__sealed.alias, context);
		return;
	}
	/* One writer at a time: another's reseal must not catch us. */
	while (atomic_flag_test_and_set(&writing))
		__builtin_ia32_pause();
	if (flexos__runtime_syscall(SYS_mprotect, (long)&flexos__sealed,
				    sizeof(flexos__sealed),
				    PROT_READ | PROT_WRITE) < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot unseal the runtime's "
			    "sealed page");
	write(&flexos__sealed, context);
	if (flexos__runtime_syscall(SYS_mprotect, (long)&flexos__sealed,
				    sizeof(flexos__sealed), PROT_READ) < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the runtime's "
			    "sealed page");
	atomic_flag_clear(&writing);
}

bool flexos__sealed_contains(uintptr_t address)
{
	uintptr_t page = (uintptr_t)&flexos__sealed;
	uintptr_t alias = (uintptr_t)flexos__sealed.alias;
	uintptr_t table = (uintptr_t)flexos__sealed.entries;

	return (address >= page && address < page + sizeof(flexos__sealed)) ||
	       (alias && address >= alias &&
		address < alias + sizeof(flexos__sealed)) ||
	       (address >= table && address < table + entries_bytes);
}

const struct flexos__entry *flexos__entry_of(uintptr_t record)
{
	uintptr_t offset = record - flexos__sealed.records;

	if (offset >= flexos__sealed.record_bytes ||
	    offset % sizeof(struct flexos__entry_record))
		return NULL;
	return &flexos__sealed.entries[offset /
				       sizeof(struct flexos__entry_record)];
}

const struct flexos__entry *flexos__entry_checked(uintptr_t entry)
{
	uintptr_t offset = entry - (uintptr_t)flexos__sealed.entries;

	if (offset >= flexos__sealed.entry_bytes ||
	    offset % sizeof(struct flexos__entry))
		return NULL;
	return (const struct flexos__entry *)entry;
}

/* The trampoline found no record at `record`: a gate called before
 * start-up (resolved again once it ran), or a stub a compartment forged. */
void flexos__gate_unresolved(uintptr_t record)
{
	char where[512];

	if (!flexos__rt.ready) {
		flexos__init();
		if (flexos__entry_of(record))
			return;
	}
	flexos__describe_address(record, where, sizeof(where));
	flexos__die(FLEXOS_EXIT_FAULT,
		    "isolation fault: compartment '%s' entered a gate with "
		    "0x%lx (%s), which no gate site of the build recorded: "
		    "not an entry point\nflexos:   backend %s",
		    flexos__rt.compartments[flexos__current()].name,
		    (unsigned long)record, where, flexos_backend_name());
}

void flexos__caller_refused(const struct flexos__entry *entry, unsigned caller)
{
	char where[512], admitted[256] = "";
	size_t used = 0;

	if (!entry)
		flexos__die(FLEXOS_EXIT_FAULT, "isolation fault: a gate came "
			    "from a caller its entry does not admit\nflexos:   "
			    "backend %s", flexos_backend_name());
	caller &= FLEXOS_MAX_COMPARTMENTS - 1; /* a register, on hardware keys */
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (entry->callers >> c & 1 && used < sizeof(admitted))
			used += (size_t)snprintf(admitted + used,
						 sizeof(admitted) - used,
						 "%s'%s'", used ? ", " : "only ",
						 flexos__rt.compartments[c].name);
	if (!used)
		snprintf(admitted, sizeof(admitted), "no other compartment");
	flexos__describe_address(entry->fn, where, sizeof(where));
	/* On hardware keys the gate takes who called from a register: an
	 * admitted caller refused did not know the secret it shares with
	 * the callee, so it was another compartment. */
	flexos__die(FLEXOS_EXIT_FAULT,
		    "isolation fault: %s '%s' called %s of compartment '%s' "
		    "through a gate site of compartment '%s', which admits "
		    "%s\nflexos:   backend %s",
		    entry->callers >> caller & 1 ? "a compartment that claimed "
						   "to be"
						 : "compartment",
		    caller < flexos__rt.ncompartments
			    ? flexos__rt.compartments[caller].name
			    : "?",
		    where, flexos__rt.compartments[entry->compartment].name,
		    flexos__rt.compartments[entry->site].name, admitted,
		    flexos_backend_name());
}
