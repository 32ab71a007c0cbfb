/* Private to libflexos and its backends; never installed. */
#ifndef FLEXOS_INTERNAL_H
#define FLEXOS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flexos/backend.h>
#include <flexos/flexos.h>
#include <flexos/image.h>

#define FLEXOS__PAGE 4096u
/* Each compartment's private arena: a heap, then thread stacks.  The heap
 * is address space reserved, its pages committed when first touched, as
 * large as the machine's memory can ever fill (init.c, heap_reservation):
 * so the machine's memory limits a heap before its reservation does
 * (FLEXOS_HEAP_SIZE caps the allocator below it, heap.c).  Set at
 * start-up, on the sealed page. */
#define FLEXOS__HEAP_SIZE ((size_t)flexos__sealed.heap_size)
#define FLEXOS__STACK_SHIFT 18
#define FLEXOS__STACK_SIZE (1u << FLEXOS__STACK_SHIFT)
#define FLEXOS__STACK_SLOTS 64u
#define FLEXOS__ARENA_SIZE                                                    \
	(FLEXOS__HEAP_SIZE + FLEXOS__STACK_SLOTS * FLEXOS__STACK_SIZE)
/* Unmapped gap around every arena so that mappings never merge. */
#define FLEXOS__GUARD (64u << 10)
/* Bytes above each stack's first frame: its setjmp points and slot record
 * at the very end, and room a gate copies stack arguments from (see
 * gate.S). */
#define FLEXOS__STACK_SLACK 2048u

/* A heap of size classes over a fixed range, see heap.c. */
/* Size classes of heap.c: up to blocks of 2^37 bytes, more than any heap
 * (7 small ones, then 8 for each power of two from 2^7 to 2^36). */
#define FLEXOS__HEAP_CLASSES 240

/* A thread a compartment created that has not entered it yet
 * (pthread.c): what it runs there, kept in that compartment's memory. */
struct flexos__thread_boot {
	void *(*start)(void *);
	void *arg;
	atomic_uint state; /* and a count of its uses (thread.c) */
};

struct flexos__heap {
	char *base;
	size_t size;
	size_t used;      /* bump pointer, offset from base */
	/* The most `used` has ever been: a freed block at the top lowers
	 * `used`, not the extent the memory debuggers were told about. */
	size_t reached;
	void *free[FLEXOS__HEAP_CLASSES]; /* free blocks by size class */
	atomic_flag lock;
	/* On hardware keys, the secret this compartment shares with each
	 * other one (entry c for compartment c): a caller hands the gate the
	 * one it shares with the callee, which the callee's copy checks.
	 * Here because only this compartment can read this page. */
	uint64_t gate_secrets[FLEXOS_MAX_COMPARTMENTS];
	/* On hardware keys and baremetal, the threads this compartment
	 * created that have not entered it yet: here for the same reason. */
	struct flexos__thread_boot boots[FLEXOS__STACK_SLOTS];
};

/* FLEXOS_STATS (stats.c): the bytes of heap blocks each compartment has in
 * use and their peak, in its private heap (entry c) and in the shared heap
 * (FLEXOS_MAX_COMPARTMENTS + c).  Kept in key 0, where the allocating
 * compartment can write: figures for the user, not guarantees. */
struct flexos__heap_count {
	_Atomic size_t in_use, peak;
};
extern struct flexos__heap_count
	flexos__heap_counts[2 * FLEXOS_MAX_COMPARTMENTS];
/* FLEXOS_STATS: the gates each compartment took out of itself on the C
 * path (gate.c: emulated keys, proc), in key 0 like the heap counts;
 * counted only when FLEXOS_STATS or FLEXOS_CROSSINGS is on
 * (flexos__gate_counting: a locked add per gate, which threads would
 * contend for otherwise). */
extern bool flexos__stats_on;
extern bool flexos__gate_counting;
extern _Atomic unsigned long flexos__gate_crossings[FLEXOS_MAX_COMPARTMENTS];
/* FLEXOS_CROSSINGS=path (crossings.c): the same per (caller, entry
 * function), written to path at exit for flexos-gen -k.  Installed once
 * the entries are sealed and before proc forks; it turns
 * flexos__gate_counting on, and counts only inside that branch. */
extern bool flexos__crossings_on;
void flexos__crossings_install(void);
/* The image stops (flexos__die): no file, and no temporary one left. */
void flexos__crossings_abandon(void);
void flexos__crossings_count(unsigned src, uintptr_t fn);

/* [start, end), page aligned; empty when start == end. */
struct flexos__range {
	char *start, *end;
};

/* A compartment's static data: its initialised data, then its zero-filled
 * data (struct flexos_compartment_desc). */
#define FLEXOS__STATIC_RANGES 2

struct flexos__compartment {
	const char *name;
	struct flexos__range static_data[FLEXOS__STATIC_RANGES];
	char *arena; /* heap (its allocator's state on the first page), then
		      * stack slots */
};

/* The last bytes of each stack slot: the state of that slot's thread in
 * that compartment, kept in the compartment's own memory so that no other
 * compartment can write it (see arch/x86_64/pkru_gate.S). */
struct flexos__slot_record {
	/* The latest gate frame through which the compartment called out on
	 * this slot and waits, or NULL: the way back resumes only this
	 * frame, and the next entry into the compartment starts below it
	 * (or at the slot's top). */
	char *top;
	/* Non-zero while the slot's thread runs the compartment's code. */
	uint64_t busy;
	/* SPLIT_STACKS: the pointer of the compartment's unsafe stack on this
	 * slot (split_stack.c), or NULL. */
	void *unsafe_sp;
};
#define FLEXOS__SLOT_RECORD 64u /* its distance from the slot's end */

/* A setjmp of a compartment on a slot, registered below the slot record
 * (longjmp.c): the registers setjmp saved, kept where only that
 * compartment writes, so that a longjmp out of calls into other
 * compartments resumes only a point the compartment set. */
struct flexos__setjmp_point {
	uintptr_t buf; /* the jmp_buf's address; 0: a free entry */
	uintptr_t rbx, rbp, r12, r13, r14, r15, sp, pc;
	uint32_t mxcsr; /* the floating-point controls at setjmp */
	uint16_t fpu_control;
	uint16_t unused;
};
#define FLEXOS__SETJMP_POINTS 16u

/* Where each activation of a compartment on a slot starts: the slot's top
 * when none waits there, else the gate frame the latest one waits in.  The
 * word below it links to the gate frame that entered the activation. */
#define FLEXOS__ACTIVATION_LINK 16u
/* The word above it: the function the gate called, which starts the
 * activation (0 for a thread's first), so that memory it allocates with a
 * tail call is named by it (allocation_site.c). */
#define FLEXOS__ACTIVATION_ENTRY 8u

struct flexos__runtime {
	bool starting; /* flexos__init() is running: the C library's own
			* allocations then are the TCB's */
	bool ready;
	bool isolating; /* the backend has FLEXOS_BACKEND_PRIVATE_MEMORY */
	const struct flexos_image_desc *image;
	unsigned ncompartments;
	struct flexos__compartment compartments[FLEXOS_MAX_COMPARTMENTS];
	/* Thread stacks of every compartment, when the sharing policy says
	 * "stacks shared"; NULL otherwise. */
	char *shared_stacks;
	/* Bit i: stack slot i belongs to a thread (the same slot in every
	 * compartment). */
	_Atomic uint64_t thread_slots;
};

extern struct flexos__runtime flexos__rt;

/* Per-thread state.  `current` must stay first: gate.S compares it. */
struct flexos__thread {
	unsigned current;
	bool started;
	/* The compartment the current activation returns to: a gate's way
	 * back finds its caller's frame through this record (sp[caller]),
	 * never through anything on the callee's stack. */
	uint8_t caller;
	/* The thread's stack slot, the same in every compartment, when
	 * has_slot (a thread the runtime did not start takes one at its
	 * first gate). */
	bool has_slot;
	int slot;
	/* The compartment it started in, and whether no gate of it is left
	 * open (its first activation returned, or it ended in it). */
	unsigned start;
	bool left_gates;
	/* The gate path of gate.c and pkru_gate.c: the frame of the latest
	 * gate through which the thread left each compartment, or NULL. */
	char *sp[FLEXOS_MAX_COMPARTMENTS];
	/* Emulated keys: the compartments pthread_exit inside a gate opened
	 * for the unwind of the thread's frames there (pthread.c). */
	uint32_t exit_open;
	void *signal_stack;
	/* proc: the innermost call this thread serves for a thread of
	 * another process: its frame, or NULL (a longjmp above it leaves the
	 * call), where the server resumes then (__builtin_setjmp) to say so
	 * to the caller's process, and what it says (longjmp.c). */
	char *served_from;
	void **serve_unwind;
	uintptr_t served_fn; /* the entry point that call runs */
	uintptr_t leaving_buf;
	int leaving_value;
	/* Hardware keys, baremetal: the thread started with every
	 * compartment closed (pthread.c), and the thread-exit handlers each
	 * compartment registered on it, kept for its end there
	 * (exit_handlers.c): records in that compartment's heap. */
	bool starts_closed;
	void *exit_records[FLEXOS_MAX_COMPARTMENTS];
};
extern __thread struct flexos__thread flexos__self;

void flexos__init(void);
/* Whether an on/off variable such as FLEXOS_STATS is on: set, not empty,
 * not "0" (init.c). */
bool flexos__env_set(const char *name);
void flexos__die(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Set once a thread of this process reports a fault or a fatal error, which
 * then ends the process with its own status: the process must not end
 * first with a status of success (proc's dispatcher, as the image shuts
 * down). */
extern _Atomic bool flexos__stopping;

/* Gates (gate.c). */

/* What each gate site records in section flexos_entries (see
 * <flexos/gate.h>): the address of the record is what its stub hands the
 * trampoline.  The records are ordinary writable data; the trampoline
 * reads only the sealed copy (struct flexos__entry) at the same index. */
struct flexos__entry_record {
	uintptr_t fn;
	const struct flexos_library *lib;
	uintptr_t register_args; /* 1: only general-purpose registers */
	/* Which compartments may call through it (decision 45): 0, the one
	 * whose code holds the record (a gate site); FLEXOS__ANY_CALLER,
	 * every compartment (a callback, an exposed function); else bit c
	 * for compartment c, which only the program's own records and the
	 * build's may say (flexos-gen's stubs). */
	uintptr_t callers;
	uintptr_t reserved[4];
};

/* The sealed copy of one record, resolved to its compartment, at the
 * same offset in the sealed table as the record in its section. */
struct flexos__entry {
	uintptr_t fn;
	uint32_t compartment;
	/* On hardware keys, copies of what the sealed page says of the
	 * compartment, read by the gate without an index: its PKRU and where
	 * its stack slots begin. */
	uint32_t pkru;
	/* Where flexos__gate sends a call of this entry: the backend's gate
	 * (on hardware keys, the variant for its arguments), or the
	 * function itself where nothing isolates. */
	uintptr_t gate;
	uintptr_t stacks;
	/* On hardware keys, the callee's table of secrets, one shared with
	 * each compartment (struct flexos__heap): the gate checks that its
	 * caller knew the one it claims to share (decision 45). */
	const uint64_t *secrets;
	/* The compartments that may call through this entry, bit c for
	 * compartment c, and the one whose code holds its record. */
	uint32_t callers;
	uint32_t site;
	uintptr_t reserved[2];
};

/* The memory debuggers start-up found (tools.c), for fcall: only there
 * do they run. */
struct flexos__tools {
	bool valgrind; /* running under valgrind */
	bool lsan;     /* LeakSanitizer's root regions can be registered */
};

/* What the gate trampoline trusts, on a page of its own that start-up
 * fills and then makes read-only (entries.c): a compartment that writes it
 * gets the fault report.  Offsets: arch/<name>/gate_frame.h. */
struct flexos__sealed {
	/* The backend isolates nothing: every gate is a plain tail call. */
	bool gate_direct;
	/* The first record of section flexos_entries, the bytes of all
	 * records, and their sealed copies in the same order. */
	uintptr_t records;
	uintptr_t record_bytes;
	const struct flexos__entry *entries;
	/* Each compartment's PKRU, for backends that switch with WRPKRU;
	 * pkru_gate: gates go through arch/x86_64/pkru_gate.S. */
	uint32_t pkru[FLEXOS_MAX_COMPARTMENTS];
	bool pkru_gate;
	uint64_t ncompartments;
	/* Where each compartment's stack slots begin. */
	uintptr_t stacks[FLEXOS_MAX_COMPARTMENTS];
	/* The bytes of `entries`: half of record_bytes. */
	uintptr_t entry_bytes;
	/* Each compartment's heap: its allocator's state is the first page
	 * of its arena, which only it can write. */
	struct flexos__heap *heaps[FLEXOS_MAX_COMPARTMENTS];
	/* The shared heap, whose state is at the start of its own mapping
	 * (so that processes sharing the mapping share the allocator, proc),
	 * and the range its blocks must come from: that state is writable
	 * by every compartment. */
	struct flexos__heap *shared_heap;
	uintptr_t shared_start, shared_end;
	/* The hooks, registered by the default compartment only: a hook runs
	 * with the rights of the thread that reaches it (hooks.c). */
	struct flexos_hooks hooks;
	/* PKRU with every compartment's key shut: what a gate whose check
	 * failed writes first. */
	uint32_t pkru_closed;
	/* The backend's operations (the variant it chose). */
	const struct flexos_backend *backend;
	/* Set as the page is sealed: start-up is over. */
	bool sealed;
	/* The compartments whose memory each compartment reaches, bit c for
	 * compartment c: itself and its sandboxes. */
	uint32_t reach[FLEXOS_MAX_COMPARTMENTS];
	struct flexos__tools tools;
	/* Where a signal frame's XSAVE area keeps PKRU, 0 when it keeps
	 * none: the offset signal.c's check reads (on key 0 it would be
	 * every compartment's to zero). */
	uint32_t xsave_pkru;
	/* The bytes of address space every heap has (FLEXOS__HEAP_SIZE). */
	uintptr_t heap_size;
	/* On hardware keys on Linux, a second mapping of this page, under
	 * the default compartment's key: the only way to write it once it is
	 * sealed (entries.c). */
	struct flexos__sealed *alias;
} __attribute__((aligned(4096)));
extern struct flexos__sealed flexos__sealed;

/* Whether another compartment reaches this one's memory (init.c). */
bool flexos__reached_by_others(unsigned compartment);

/* The backend operations the gate path uses; NULL ones do nothing. */
static inline void flexos__grant(unsigned compartment)
{
	if (flexos__sealed.backend->grant)
		flexos__sealed.backend->grant(compartment);
}

static inline void flexos__revoke(unsigned compartment)
{
	if (flexos__sealed.backend->revoke)
		flexos__sealed.backend->revoke(compartment);
}

/* Stops the image: compartment `caller` called through `entry`, which
 * does not admit it (entries.c). */
void flexos__caller_refused(const struct flexos__entry *entry, unsigned caller)
	__attribute__((noreturn));
/* Copies flexos_entries into a read-only table and seals flexos__sealed
 * (entries.c); the last step of start-up. */
void flexos__entries_seal(void);
/* For a backend that switches with WRPKRU, from its init: compartment c
 * has protection key keys[c], `closed` shuts them all; gates then go
 * through arch/x86_64/pkru_gate.S (pkru_gate.c). */
void flexos__pkru_gate_use(const int *keys, unsigned ncompartments,
			   uint32_t closed);
/* Draws the secret each pair of compartments shares for the gate's check
 * of its caller into their heaps' state (pkru_gate.c), while start-up can
 * still write every compartment's memory. */
void flexos__pkru_gate_secrets(void);
/* Its thread_start operation (pkru_gate.c). */
void flexos__pkru_thread_start(unsigned compartment);
/* The main thread's first PKRU, written at start-up only
 * (arch/x86_64/pkru_gate.S): called once the page is sealed, it stops the
 * image. */
void flexos__pkru_first(uint32_t pkru);
/* A thread's start on hardware keys and baremetal
 * (arch/x86_64/pkru_gate.S): fn(arg) on `stack`, in key 0, with every
 * compartment closed, and back; and the new thread's way into its
 * compartment, where it runs flexos__thread_begin (pthread.c). */
void *flexos__pkru_call_closed(void *(*fn)(void *), void *arg, char *stack);
void *flexos__pkru_thread_enter(unsigned compartment, unsigned slot,
				unsigned boot);
/* What such a thread runs in its compartment: the boot that compartment
 * created, and then the end of the thread there (thread.c). */
void *flexos__thread_begin(unsigned compartment, unsigned boot);
/* The end of a thread the runtime started, in `compartment`, where its
 * start routine returned: the destructors of the keys that compartment
 * created, and the thread-exit handlers it registered on the thread
 * (exit_handlers.c). */
void flexos__thread_end_in(unsigned compartment);
/* Its thread-exit handlers alone, for a thread that ends by pthread_exit
 * there (the C library's own round then runs the key destructors, with
 * the same rights). */
void flexos__thread_exit_handlers_in(unsigned compartment);
/* Whether the thread holds no compartment's rights: a thread the runtime
 * started, outside its compartment (pkru_gate.c). */
bool flexos__pkru_closed(void);
/* A boot for start(arg) in `heap`, its index (waits while every one is
 * pending), and in *pending its state; and the boot back to free, if it
 * is still in that state: whether it was (thread.c). */
unsigned flexos__thread_boot_claim(struct flexos__heap *heap,
				   void *(*start)(void *), void *arg,
				   unsigned *pending);
bool flexos__thread_boot_cancel(struct flexos__thread_boot *boot,
				unsigned pending);
/* Makes the runtime's checked WRPKRUs the only PKRU writers of the
 * process, or stops it (pkru_sites.c). */
void flexos__pkru_sites_disarm(void);
/* Whether `ip` is a writer it disarmed, and which. */
bool flexos__pkru_site_disarmed(uintptr_t ip, const char **what,
				const char **object);
/* What pkru_gate.S calls (pkru_gate.c): where a caller off its stack
 * slot waits (the top of its room, 16-byte aligned, and the slot record
 * that says the caller does not run there), and the reports of a gate
 * from no compartment and of a failed check. */
struct flexos__off_slot {
	char *top;
	struct flexos__slot_record *record;
};
struct flexos__off_slot flexos__pkru_gate_off_slot(unsigned caller);
void flexos__pkru_gate_no_caller(uint32_t pkru) __attribute__((noreturn));
/* The compartment whose sealed PKRU is `pkru` (a fault's, from the
 * kernel); without hardware keys, or for a PKRU that is no compartment's,
 * the runtime's per-thread record, in key 0, which a compartment can
 * rewrite: a hint, kept within bounds. */
unsigned flexos__compartment_of_pkru(uint32_t pkru);
/* The code that faulted with `pkru`, for a report: its compartment, or
 * FLEXOS_MAX_COMPARTMENTS for a thread with every compartment closed (a
 * thread the runtime started, outside its compartment: pthread.c). */
unsigned flexos__accessor_of_pkru(uint32_t pkru);
/* The same for the calling thread now; without hardware keys, the
 * runtime's record (flexos__current). */
unsigned flexos__accessor_now(void);
/* Whether a fault at `ip` is the hardware-key gate's access through a
 * register a callee returned with: that callee forged it. */
bool flexos__pkru_gate_faulted(uintptr_t ip);
void flexos__pkru_gate_violation(uint32_t pkru, int why, uintptr_t entry,
				 unsigned claimed) __attribute__((noreturn));
/* proc: a longjmp to `buf` from compartment `by` left the call this
 * thread made into it: resumes the thread's setjmp point for `buf`, or
 * leaves the call the thread serves in turn (longjmp.c). */
void flexos__longjmp_arrived(uintptr_t buf, int value, unsigned by)
	__attribute__((noreturn));
/* Whether the function that registered `point` still runs: its frame is
 * among those from the caller of `gate_frame` up, or, for NULL, from the
 * calling function up, to the gate that started their activation
 * (point_live.c). */
bool flexos__point_live(const struct flexos__setjmp_point *point,
			const void *gate_frame);
/* Whether `return_address` is where a gate's call of an entry returns:
 * the frame above it is a gate's, the activation below begins there
 * (gate.c). */
bool flexos__gate_return(uintptr_t return_address);
/* Stops the image: compartment `by` made a longjmp the runtime does not
 * follow, GATE_STOP_NO_SETJMP or GATE_STOP_STALE (point_live.c). */
void flexos__longjmp_refused(unsigned by, int why) __attribute__((noreturn));
/* A longjmp out of the calling activation, whose base holds `link`, to
 * the point registered for `buf` at stack pointer `hint` if any
 * (pkru_gate.S; longjmp.c). */
void flexos__pkru_unwind(const void *buf, int value, uintptr_t link,
			 uintptr_t hint) __attribute__((noreturn));
/* Runs write(context) on the sealed page, made writable for it
 * (entries.c). */
void flexos__sealed_write(void (*write)(struct flexos__sealed *, void *),
			  void *context);
/* Whether `address` is sealed state: a write there is an attack. */
bool flexos__sealed_contains(uintptr_t address);
/* The sealed entry a stub's record names, or NULL (entries.c). */
const struct flexos__entry *flexos__entry_of(uintptr_t record);
/* `entry` if it is an entry of the sealed table, else NULL: what a
 * hardware-key gate frame, in its caller's memory, says it called. */
const struct flexos__entry *flexos__entry_checked(uintptr_t entry);

/* The C library's allocator, for the runtime's own memory: it must stay
 * reachable from every compartment (malloc from the runtime's code would
 * land in the current compartment's private heap). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

/* What malloc.c leaves to the platform: malloc_glibc.c on Linux,
 * backends/baremetal/user/malloc_musl.c inside a baremetal image.
 * If the call of malloc & co. returning to `caller` belongs to the TCB
 * (the C library's or a shared library's own, or one made before the
 * compartments exist), serves it from the C library's allocator, zero
 * filled if `zeroed`, into *out and returns true.  Returns false when the
 * call is the program's: the runtime is then ready to serve it. */
bool flexos__tcb_allocate(const void *caller, size_t size, size_t align,
			  bool zeroed, void **out);
/* malloc_usable_size() of a block of the C library's allocator. */
size_t flexos__libc_usable_size(void *ptr);

/* Memory debuggers (tools.c): refused on isolating backends at start-up;
 * on fcall, heap.c tells them about the shared heap. */
void flexos__tools_check(const struct flexos_image_desc *image,
			 const struct flexos_backend *backend);
void flexos__tools_heap_grown(const char *base, size_t before, size_t now);

/* Where a heap block is allocated (allocation_site.c): `code` lies in
 * the function that names it; `via` holds the allocator wrappers stepped
 * past, innermost first (0 ends them); `entered` says that function is an
 * entry point which tail-called the allocator. */
#define FLEXOS__SITE_VIA 4
struct flexos__site {
	uintptr_t code;
	uintptr_t via[FLEXOS__SITE_VIA];
	bool entered;
};
void flexos__allocation_site(uintptr_t return_address,
			     struct flexos__site *site);
/* [start, end) is an allocator wrapper's code. */
void flexos__add_allocator(uintptr_t start, uintptr_t end);

/* Sharing policy (policy.c): whether it has share-heap entries, which
 * allocations are then matched against, and whether `code` is in one. */
extern bool flexos__policy_shared_stacks;
void flexos__policy_load(void);
bool flexos__policy_shares_heap(void);
bool flexos__policy_shared_site(uintptr_t code);

/* Learning mode (learn.c). */
extern bool flexos__learning;
void flexos__learn_init(void);
/* Its record of the program's heap blocks (learn_heap.c): their
 * allocation site; false for an address of no block recorded. */
void flexos__learn_allocated(void *ptr, size_t size,
			     const struct flexos__site *site);
void flexos__learn_freed(void *ptr);
void flexos__learn_moved(void *from, void *to, size_t size);
bool flexos__learn_allocation_site(uintptr_t address,
				   struct flexos__site *site);
/* An isolation fault in learning mode: record it, step over the access.
 * Returns false when the access cannot be stepped over. */
bool flexos__learn_access(const struct flexos_fault *fault, void *context);
/* The program, returning to `caller`, frees or reallocates `block`, a
 * block of compartment `owner`'s private heap: a write to it. */
void flexos__learn_foreign_block(uintptr_t block, unsigned owner,
				 uintptr_t caller);

/* Split stacks (split_stack.c, linked only into images SafeStack
 * compiled): a thread that ends gives back the unsafe stack it has of its
 * own (proc, fcall; elsewhere unsafe stacks stay with the slot). */
void flexos__unsafe_stack_end(void) __attribute__((weak));

/* Thread lifecycle (thread.c). */
void flexos__thread_setup(unsigned compartment);
void flexos__thread_teardown(void);
void flexos__thread_hook_start(unsigned compartment);
void flexos__thread_hook_end(unsigned compartment);

/* Stacks (stack.c). */
/* The calling thread takes a stack slot, or gives it back. */
void flexos__stack_slot_take(void);
void flexos__stack_slot_release(void);
/* The top of the calling thread's stack in `compartment`, where its first
 * frame there starts. */
char *flexos__slot_top(unsigned compartment);
/* The record of the calling thread's slot in `compartment`. */
struct flexos__slot_record *flexos__slot_record(unsigned compartment);
/* Whether `address` lies on the calling thread's stack slot in
 * `compartment`, below its top: only frames there are in its record. */
bool flexos__on_slot(unsigned compartment, uintptr_t address);
/* Its setjmp points, FLEXOS__SETJMP_POINTS of them. */
struct flexos__setjmp_point *flexos__setjmp_points(unsigned compartment);
/* Where the calling thread's next activation in `compartment` starts
 * (FLEXOS__ACTIVATION_LINK above its first frame). */
char *flexos__activation_base(unsigned compartment);
/* Runs fn(arg) as the calling thread's first activation in `compartment`,
 * on its stack there; the thread already holds that compartment's rights. */
void *flexos__run_in_compartment(unsigned compartment, void *(*fn)(void *),
				 void *arg);
/* The compartment the calling thread runs in: on backends that switch
 * with WRPKRU, the one whose PKRU the thread holds (a thread cannot forge
 * it); elsewhere, the thread's record. */
unsigned flexos__current(void);
/* Calls fn(arg) on stack `sp` and returns its result (arch). */
void *flexos__call_on_stack(void *(*fn)(void *), void *arg, char *sp);

/* Heaps (heap.c). */
void flexos__heap_init(struct flexos__heap *heap, void *base, size_t size);
/* A size in bytes from environment variable `name` (FLEXOS_HEAP_SIZE,
 * FLEXOS_SHARED_HEAP_SIZE), at most `most`; `fallback` when unset
 * (init.c). */
size_t flexos__env_size(const char *name, size_t fallback, size_t most);
void *flexos__heap_alloc(struct flexos__heap *heap, size_t size, size_t align);
void flexos__heap_free(struct flexos__heap *heap, void *ptr);
void *flexos__heap_realloc(struct flexos__heap *heap, void *ptr, size_t size);
size_t flexos__heap_usable(const struct flexos__heap *heap, void *ptr);

/* "static data", "heap", "stack": for reports. */
const char *flexos__memory_kind_name(enum flexos_memory_kind kind);
/* Which compartment owns an address, and as what; false if none. */
bool flexos__classify(uintptr_t address, unsigned *owner,
		      enum flexos_memory_kind *kind);

/* The runtime's own exit handlers (its reports), which run whatever
 * compartment exits: registered past the image's (exit_handlers.c). */
int flexos__at_exit(void (*fn)(void));

/* Symbols (symbols.c). */
struct flexos__where {
	const char *symbol; /* containing function or object, or NULL */
	unsigned long offset;
	const char *file; /* source of the code at the address, or NULL */
	int line;
};
void flexos__where(uintptr_t lookup, struct flexos__where *where);
/* "symbol+0xoff (file:line)", or "" when nothing is known; `lookup` is the
 * address to name (a return address minus one), `address` the one shown. */
void flexos__describe(uintptr_t address, uintptr_t lookup, char *out,
		      size_t size);
/* Whether `address` is in the executable (not a shared library). */
bool flexos__in_executable(uintptr_t address);
/* The same, "??" when nothing is known (and then false). */
bool flexos__describe_address(uintptr_t address, char *out, size_t size);
/* The code of the image's functions named names[0..count) (sorted by
 * strcmp, each once), found in one pass over its symbol table:
 * found(i, start, end, context) for each function named names[i], for
 * each of them when several have that name (static functions of different
 * files); a name of no function gets no call. */
void flexos__functions_code(const char *const *names, size_t count,
			    void (*found)(size_t i, uintptr_t start,
					  uintptr_t end, void *context),
			    void *context);
/* found(0, start, end, context) for each function of the executable
 * whose name like() accepts (Linux only). */
void flexos__functions_like(bool (*like)(const char *name),
			    void (*found)(size_t i, uintptr_t start,
					  uintptr_t end, void *context),
			    void *context);
/* Calls found() for each code range of source line file:line (file may be
 * a trailing part of the path); returns how many. */
int flexos__line_code(const char *file, int line,
		      void (*found)(uintptr_t start, uintptr_t end, void *),
		      void *context);

/* Faults and hooks. */
/* What the first lines of a fault report say (fault_report.c):
 *   flexos: isolation fault: compartment 'a' wrote memory private to ...
 *   flexos:   address 0x...: heap of 'b' (symbol)
 *   flexos:   at symbol
 *   flexos:   backend name
 * The backend's own details, whole text with their leading space, or NULL
 * for none, end the line they belong to. */
struct flexos__fault_heading {
	const struct flexos_fault *fault;
	bool isolation; /* an access the backend's isolation refused */
	bool owned;     /* fault->owner and fault->kind are known */
	bool no_address; /* not a memory access: no "address" line */
	/* The gate faulted on a register the accessor returned with
	 * (flexos__pkru_gate_faulted): an isolation fault of its own kind. */
	bool forged_return;
	/* The first line, after "flexos: ", of a fault other than an
	 * isolation fault; NULL: a segmentation fault. */
	const char *crash;
	/* After "memory it may not access" (owner unknown). */
	const char *unowned_detail;
	/* After the faulting instruction's symbol. */
	const char *ip_detail;
};
void flexos__report_fault_heading(const struct flexos__fault_heading *heading);
/* "compartment 'name'" for `accessor`, or what it is when it is none
 * (flexos__accessor_of_pkru): how reports name who faulted. */
void flexos__describe_accessor(unsigned accessor, char *out, size_t size);
/* The PKRU a signal frame restores (the interrupted thread's), or false
 * when it restores none (fault.c). */
struct ucontext_t;
bool flexos__context_pkru(const struct ucontext_t *context, uint32_t *pkru);
/* Who a signal interrupted, for a report: flexos__accessor_of_pkru of
 * the PKRU its frame restores, or of none (the runtime's record). */
unsigned flexos__accessor_of_context(const struct ucontext_t *context);
void flexos__fault_install(void);
/* FLEXOS_STATS (stats.c): the report at exit, and a proc compartment
 * process's own at its end. */
void flexos__stats_install(void);
/* One compartment's figures, for the report and the learning report. */
void flexos__stats_line(unsigned compartment, char *out, size_t size);
void flexos__stats_print_process(unsigned compartment);
void flexos__fault_thread_init(void);

/* The system-call policy of the Linux backends (syscall_policy.c): the
 * backends' start op, after every compartment process has its memory. */
int flexos__syscall_policy_install(void);
/* Reads FLEXOS_SYSCALL_POLICY once: false for "off". */
bool flexos__syscall_policy_wanted(void);
/* Memory no compartment may remap or reprotect (syscall_filter.c). */
struct flexos__span {
	uintptr_t start, end;
};
struct flexos__range_rules {
	const struct flexos__span *protected; /* nobody remaps these */
	unsigned nprotected;
	/* All the image's code (W^X: there is no other); a call from
	 * elsewhere is a program an execve put in the image's place. */
	const struct flexos__span *code;
	unsigned ncode;
	const struct flexos__span *switched; /* the runtime's mprotect, each */
	unsigned nswitched;		     /* exactly */
	bool mediate_altstack;		     /* sigaltstack: the runtime's */
};
void flexos__range_filter_load(const struct flexos__range_rules *rules);
struct sock_fprog;
void flexos__range_filter_build(const struct flexos__range_rules *rules,
				struct sock_fprog *prog);
/* The libseccomp filter of the policy, unloaded (seccomp_release it). */
void *flexos__policy_rules_build(void);
/* Files of /proc that reach memory past its keys (landlock.c). */
void flexos__landlock_own_memory(void);
/* The runtime's own mprotect, sigaltstack and rt_sigaction
 * (runtime_syscall.S). */
long flexos__runtime_syscall(long nr, long a, long b, long c);
long flexos__runtime_syscall4(long nr, long a, long b, long c, long d);
/* Signal handlers, installed by the runtime with its restorer once the
 * policy is on (signal.c): every handler there is, again, at start; an
 * rt_sigaction that trapped, answered (-errno); whether replacing `sig`'s
 * handler is refused (the runtime's own). */
void flexos__signals_take_over(void);
long flexos__sigaction_answer(int sig, const void *act, void *old,
			      unsigned long size);
bool flexos__sigaction_refused(int sig, bool replacing);
/* `sig` to its default action, touching nothing else: for a child about
 * to execve, which shares its parent's memory (spawn.c). */
void flexos__signal_default(int sig);
void flexos__sigaction_redirect(void); /* sigaction_redirect.S */

#endif
