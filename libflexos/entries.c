/* Entry points: a gate runs only a function that some gate site of the
 * build names, in the compartment that site names.
 *
 * Every site records (fn, library) in section flexos_entries, and its stub
 * hands the trampoline the address of that record, never the function's.
 * Start-up copies the records, resolved to compartments, into a read-only
 * table, then makes read-only the page that says where that table is
 * (flexos__sealed).  So a stub a compartment writes itself, with any %r11
 * that is not a record, gets the fault report; and rewriting a record
 * after start-up changes nothing the trampoline reads. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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

		if (!r->lib || r->lib->compartment >= flexos__rt.ncompartments)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "gate site %zu of image '%s' names a "
				    "library outside its %u compartments "
				    "(objects from another build?)",
				    i, flexos__rt.image->name,
				    flexos__rt.ncompartments);
		table[i] = (struct flexos__entry){
			.fn = r->fn,
			.compartment = r->lib->compartment,
			.pkru = flexos__sealed.pkru[r->lib->compartment],
			.gate = gate_of(r),
			.stacks = flexos__sealed.stacks[r->lib->compartment],
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
	if (mprotect(table, bytes, PROT_READ) != 0 ||
	    mprotect(&flexos__sealed, sizeof(flexos__sealed), PROT_READ) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the table of entry "
			    "points");
}

void flexos__sealed_write(void (*write)(void *), void *context)
{
	static atomic_flag writing = ATOMIC_FLAG_INIT;

	if (!flexos__sealed.sealed) {
		write(context);
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
	write(context);
	if (flexos__runtime_syscall(SYS_mprotect, (long)&flexos__sealed,
				    sizeof(flexos__sealed), PROT_READ) < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot seal the runtime's "
			    "sealed page");
	atomic_flag_clear(&writing);
}

bool flexos__sealed_contains(uintptr_t address)
{
	uintptr_t page = (uintptr_t)&flexos__sealed;
	uintptr_t table = (uintptr_t)flexos__sealed.entries;

	return (address >= page && address < page + sizeof(flexos__sealed)) ||
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
